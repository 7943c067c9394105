#!/usr/bin/env bash
# A state disk that fills up mid-job, for real: the coordinator's --state-dir is a 1 MiB tmpfs
# (mounted in a mount namespace of its own, so nothing outside sees it and it goes with the test),
# the journal's writes fail with ENOSPC while a job runs, and:
#   - the job's `braid submit` does not report a success: it says the end is not durable;
#   - a new submit is refused, naming the cause;
#   - once space returns and the coordinator restarts, the job is not run again (its task ran
#     once), it ends succeeded, and the job that ended before the disk filled is not run again.
# Needs root (a mount namespace): a run that cannot make one fails, it does not skip.
#
#   tests/full_state_disk_test.sh PATH/TO/braid
set -euo pipefail

braid=$(realpath "${1:?usage: full_state_disk_test.sh BRAID}")
root=$(mktemp -d /tmp/fullstate.XXXXXX)  # short: ipc paths are at most 107 bytes
endpoint="ipc://$root/coordinator"
pids=()

log() { echo "full_state_disk: $*"; }
die() {
  log "FAILED: $*"
  local f
  for f in "$root"/*.log; do
    [[ -f "$f" ]] && { echo "--- $f"; tail -n 15 "$f"; }
  done
  exit 1
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT

# wait_for FILE TEXT SECONDS
wait_for() {
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || die "no '$2' in $1 after $3 s"
    sleep 0.1
  done
}

# The tmpfs lives as long as `holder`, in its mount namespace; `inside` runs a command there.
mkdir -p "$root/state" "$root/in"
# shellcheck disable=SC2016  # $0 is for the inner shell
unshare -m --propagation private sh -c \
  'mount -t tmpfs -o size=1m tmpfs "$0" && echo mounted && exec sleep 600' "$root/state" \
  >"$root/holder.log" 2>&1 &
holder=$!
pids+=("$holder")
wait_for "$root/holder.log" mounted 10
inside() { nsenter -t "$holder" -m -- "$@"; }
inside mountpoint -q "$root/state" || die "the state directory is not the tmpfs"
mountpoint -q "$root/state" && die "the tmpfs is visible outside its namespace"

# start_coordinator N: its log is coordinatorN.log.
start_coordinator() {
  # (nsenter itself, not a subshell: $! is then the coordinator's pid, for kill -9.)
  nsenter -t "$holder" -m -- "$braid" coordinator --listen "$endpoint" --state-dir "$root/state" \
    --work-dir "$root/work" >"$root/coordinator$1.log" 2>&1 &
  coordinator=$!
  pids+=("$coordinator")
  wait_for "$root/coordinator$1.log" "listening on" 30
}
start_coordinator 1
for w in 1 2; do
  "$braid" worker --coordinator "$endpoint" --slots 2 --scratch "$root/scratch$w" \
    >"$root/worker$w.log" 2>&1 &
  pids+=("$!")
done

# Job 1 ends while there is space: durable.
printf 'one two\ntwo three\n' >"$root/in/words.txt"
"$braid" submit --coordinator "$endpoint" --job wordcount --input "$root/in/words.txt" \
  --output "$root/out1" >"$root/submit1.log" 2>&1 || die "job 1 failed"
[[ -f "$root/out1/_SUCCESS" ]] || die "job 1 has no _SUCCESS"

# Job 2's 40 maps wait for a gate, and note each run of themselves. (Their commits are more
# than the 4 KiB a full tmpfs may still have in the journal's last page.)
for i in $(seq 10 49); do echo "line$i"; done >"$root/in/lines.txt"
mapper="while [ ! -e $root/gate ]; do sleep 0.05; done; echo \$mapreduce_task_id >>$root/runs; cat"
"$braid" submit --coordinator "$endpoint" --mapper "$mapper" --reducers 0 --split-size 7 \
  --input "$root/in/lines.txt" --output "$root/out2" >"$root/submit2.log" 2>&1 &
submit2=$!
pids+=("$submit2")
# (Accepted, and so journaled, once the coordinator lists it as running.)
deadline=$((SECONDS + 30))
until "$braid" status --coordinator "$endpoint" 2>/dev/null | grep -q " mapping "; do
  ((SECONDS < deadline)) || die "job 2 is not running after 30 s"
  sleep 0.1
done

# Fill the state disk, then let job 2 finish.
inside dd if=/dev/zero of="$root/state/filler" bs=64k >/dev/null 2>&1 || true
touch "$root/gate"
set +e
wait "$submit2"
code2=$?
set -e
((code2 != 0)) || die "job 2's submit reported success without a durable end: $(cat "$root/submit2.log")"
grep -q "not durabl" "$root/submit2.log" || die "job 2's submit did not say its end is not durable"
log "job 2's submit exited $code2: $(tail -n 1 "$root/submit2.log")"

# No new job while the journal cannot be written, and the refusal names the cause.
set +e
"$braid" submit --coordinator "$endpoint" --job wordcount --input "$root/in/words.txt" \
  --output "$root/out3" >"$root/submit3.log" 2>&1
code3=$?
set -e
((code3 != 0)) || die "a submit was accepted while the journal cannot be written"
grep -q "No space left on device" "$root/submit3.log" ||
  die "the refusal does not name the cause: $(cat "$root/submit3.log")"
[[ -e "$root/out3" ]] && die "a refused job made its output directory"

# Space returns; the coordinator restarts on the same state directory.
inside rm -f "$root/state/filler"
kill -9 "$coordinator"
wait "$coordinator" 2>/dev/null || true
start_coordinator 2
# Job 2's resumed run finds its own committed output: it ends succeeded without running again.
deadline=$((SECONDS + 60))
until [[ $("$braid" status --coordinator "$endpoint" 2>/dev/null | grep -c " succeeded ") -eq 2 ]]; do
  ((SECONDS < deadline)) || die "not two succeeded jobs a minute after the restart"
  sleep 0.2
done
"$braid" status --coordinator "$endpoint" >"$root/status-final.log" 2>&1 ||
  die "status after the restart failed"
grep -q " failed " "$root/status-final.log" && die "a job failed: $(cat "$root/status-final.log")"
[[ $(sort -u "$root/runs" | wc -l) -eq 40 ]] || die "job 2 did not run its 40 maps"
[[ $(wc -l <"$root/runs") -eq 40 ]] || die "job 2's maps ran $(wc -l <"$root/runs") times, not 40"
[[ -f "$root/out2/_SUCCESS" ]] || die "job 2 has no _SUCCESS"
[[ "$(cat "$root/out2"/part-m-*)" == "$(sed 's/$/\t/' "$root/in/lines.txt")" ]] ||
  die "job 2's output is not its input"
cat "$root/status-final.log"
log "passed"
