#!/usr/bin/env bash
# Separate hosts, for real: a coordinator and three workers, each in a network namespace of its
# own (veth pairs onto a bridge, addresses that exist only inside the namespaces) and with a
# private /tmp (its own directory bound over /tmp in a mount namespace of its own), so that they
# share no disk but the braid binary and the keys. The input exists only on the coordinator's
# host and the output must appear there. Word count and sort must equal the reference: on a
# clean network, with a map-output holder killed with SIGKILL mid-shuffle, and with 1% packet
# loss on one worker's link and a slow link (tc tbf) on another's.
#
# No test traffic leaves the machine: before anything else the namespaces' range is blackholed in
# the host's namespace, so a command that forgot `ip netns exec` fails here instead of routing
# out; the route, the namespaces and the processes go at the end, also on failure. Needs root:
# a run that cannot make the namespaces fails, it does not skip.
#
#   tests/separate_hosts_test.sh PATH/TO/braid
set -euo pipefail

braid=$(realpath "${1:?usage: separate_hosts_test.sh BRAID}")
net=10.201.7
port=7300
endpoint="tcp://$net.10:$port"
hosts=(coord w1 w2 w3)
root=$(mktemp -d "${TEST_TMPDIR:-/var/tmp}/hosts.XXXXXX")
case "$root" in /tmp/*) root=$(mktemp -d /var/tmp/hosts.XXXXXX) ;; esac  # /tmp is each host's own
# shellcheck source=tests/hosts.sh
source "$(dirname "${BASH_SOURCE[0]}")/hosts.sh"

log() { echo "separate_hosts: $*"; }
die() {
  log "FAILED: $*"
  local f
  for f in "$root"/*.log; do
    [[ -f "$f" ]] && { echo "--- $f"; tail -n 15 "$f"; }
  done
  exit 1
}

cleanup() {
  hosts_down
  rm -rf "$root"
}
trap cleanup EXIT

((EUID == 0)) || die "needs root (network namespaces); run it as root, as CI does"
hosts_up || die "cannot make the hosts"

# wait_or_die FILE TEXT SECONDS
wait_or_die() { wait_for "$@" || die "no '$2' in $1 after $3 s: $(tail -n 20 "$1")"; }

# The hosts share nothing but the binary and the keys (kept outside /tmp).
mkdir -p "$root/keys"
(
  cd "$root/keys"
  for name in coordinator w1 w2 w3 alice; do "$braid" keygen "$name" >/dev/null; done
  {
    for w in w1 w2 w3; do echo "worker $(cat "$w.pub") $w"; done
    echo "client $(cat alice.pub) alice"
  } >authorized_keys
)
keys() { echo --curve-key "$root/keys/$1.key" --coordinator-key "$root/keys/coordinator.pub"; }

spawn "$root/coord.log" coord "$braid" coordinator --listen "$endpoint" --work-dir /tmp/work \
  --curve-key "$root/keys/coordinator.key" --authorized-keys "$root/keys/authorized_keys"
wait_or_die "$root/coord.log" "listening on" 30

declare -A worker_pid
start_worker() {
  local w=$1
  : >"$root/$w.log"
  # shellcheck disable=SC2046
  spawn "$root/$w.log" "$w" "$braid" worker --coordinator "$endpoint" --slots 2 \
    --scratch /tmp/scratch --data-listen auto $(keys "$w")
  worker_pid[$w]=$!
  wait_or_die "$root/$w.log" "joined the coordinator" 30
}
for w in w1 w2 w3; do start_worker "$w"; done

on coord "$braid" gen-corpus --size 6MiB --files 4 /tmp/words >/dev/null
on coord "$braid" gen-corpus --size 4MiB --files 3 --kind terasort /tmp/tera >/dev/null
for w in w1 w2 w3; do
  [[ ! -e "$root/$w/words" ]] || die "host $w sees the coordinator's input"
done
# Nor does any namespace reach the host's own addresses: the guard is in place.
if on w1 sh -c "exec 3<>/dev/tcp/$net.1/22" 2>/dev/null; then die "a host reached outside"; fi

# submit NAME ARGS...: runs a job from the coordinator's host; its output in its /tmp/NAME.
submit() {
  local name=$1
  shift
  # shellcheck disable=SC2046
  timeout 240 ip netns exec "$(host_netns coord)" unshare -m --propagation private \
    sh -c 'mount --rbind "$0" /tmp && exec "$@"' "$root/coord" \
    "$braid" submit --coordinator "$endpoint" $(keys alice) --output "/tmp/$name" "$@" \
    >"$root/$name.submit.log" 2>&1
}

# check_wordcount NAME: the output equals a count of the input's words (StringTokenizer's).
check_wordcount() {
  local out="$root/coord/$1"
  [[ -e "$out/_SUCCESS" ]] || die "$1: no _SUCCESS"
  cat "$root"/coord/words/* | tr ' \t\r\f' '\n\n\n\n' | grep -v '^$' | LC_ALL=C sort |
    uniq -c | awk '{ print $2 "\t" $1 }' >"$root/$1.expected"
  LC_ALL=C sort "$out"/part-* >"$root/$1.got"
  cmp -s "$root/$1.expected" "$root/$1.got" || die "$1: the counts differ from the reference"
  for w in w1 w2 w3; do [[ ! -e "$root/$w/$1" ]] || die "$1: host $w has the output"; done
  log "$1: exact ($(wc -l <"$root/$1.got") words)"
}

# check_sort NAME [INPUT]: the output holds the input's records (those in /tmp/INPUT, default
# tera), in key order across the part files.
check_sort() {
  local out="$root/coord/$1" input="${2:-tera}"
  [[ -e "$out/_SUCCESS" ]] || die "$1: no _SUCCESS"
  cat "$out"/part-r-* | cut -c1-10 | LC_ALL=C sort -c || die "$1: not in key order"
  cmp -s <(cat "$root"/coord/"$input"/* | LC_ALL=C sort) <(cat "$out"/part-r-* | LC_ALL=C sort) ||
    die "$1: the records differ from the input's"
  log "$1: exact ($(cat "$out"/part-r-* | wc -l) records, ordered)"
}

# 1. A clean network.
submit count1 --job wordcount --input '/tmp/words/*' --reducers 3 --split-size 256KiB ||
  die "count1: $(tail -n 20 "$root/count1.submit.log")"
check_wordcount count1
submit sort1 --job sort --input '/tmp/tera/*' --reducers 3 --split-size 256KiB ||
  die "sort1: $(tail -n 20 "$root/sort1.submit.log")"
check_sort sort1

# 2. A holder killed with SIGKILL mid-shuffle: once the job reduces, w1 dies with its disk's
# outputs; its maps run again elsewhere and the reducers take them from their new holders. Its
# link is slowed, so that the shuffle lasts.
on coord "$braid" gen-corpus --size 16MiB --files 4 --kind terasort --seed 2 /tmp/tera2 >/dev/null
ip netns exec "$(host_netns w1)" tc qdisc add dev "$(host_link w1)" root tbf rate 40mbit burst 64kb \
  latency 200ms
submit sort2 --job sort --input '/tmp/tera2/*' --reducers 3 --split-size 512KiB &
job_pid=$!
deadline=$((SECONDS + 120))
# shellcheck disable=SC2046
until on coord "$braid" status --coordinator "$endpoint" $(keys alice) 2>/dev/null |
  grep -q " reducing "; do
  ((SECONDS < deadline)) || die "sort2 never reached its reduce phase"
  kill -0 "$job_pid" 2>/dev/null || die "sort2 ended before w1 could be killed"
  sleep 0.05
done
kill -KILL "${worker_pid[w1]}"
log "sort2: killed w1 mid-shuffle"
wait "$job_pid" || die "sort2: $(tail -n 20 "$root/sort2.submit.log")"
rm -rf "$root/w1/scratch"  # its disk goes with it
check_sort sort2 tera2
start_worker w1

# 3. 1% of the packets w3 receives are dropped, and w2's link is slow.
ip netns exec "$(host_netns w3)" iptables -A INPUT -p tcp -m statistic --mode random --probability 0.01 \
  -j DROP
ip netns exec "$(host_netns w2)" tc qdisc add dev "$(host_link w2)" root tbf rate 40mbit burst 64kb \
  latency 200ms
submit count3 --job wordcount --input '/tmp/words/*' --reducers 3 --split-size 256KiB ||
  die "count3: $(tail -n 20 "$root/count3.submit.log")"
check_wordcount count3
submit sort3 --job sort --input '/tmp/tera/*' --reducers 3 --split-size 256KiB ||
  die "sort3: $(tail -n 20 "$root/sort3.submit.log")"
check_sort sort3
drops=$(ip netns exec "$(host_netns w3)" iptables -L INPUT -v -n | awk '/DROP/ { print $1 }')
log "w3's link dropped $drops packets"

# The workers read no input and wrote no output of their own: all came from, and went to, the
# coordinator's host.
for w in w1 w2 w3; do kill -INT "${worker_pid[$w]}" 2>/dev/null || true; done
for w in w1 w2 w3; do wait "${worker_pid[$w]}" 2>/dev/null || true; done
sent=$(cat "$root"/w?.log | sed -n 's/.*; sent \([0-9]*\) bytes of part files.*/\1/p' |
  awk '{ s += $1 } END { print s + 0 }')
((sent > 0)) || die "no part file went through the coordinator"
log "workers sent $sent bytes of part files to the coordinator"
log "PASSED"
