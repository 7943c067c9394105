# Separate hosts on one machine, for tests and benchmarks (sourced by bash scripts): each host a
# network namespace of its own (veth pairs onto a bridge in a namespace of its own, addresses that
# exist only inside the namespaces) with a private /tmp (its own directory bound over /tmp in a
# mount namespace of its own). Needs root.
#
# No traffic leaves the machine: hosts_up first blackholes the range in the host's namespace,
# so a command that forgot `ip netns exec` fails here instead of routing out; hosts_down removes
# the route, the namespaces and the processes started with `spawn` (call it from an EXIT trap).
#
#   net=10.201.7; hosts=(coord w1 w2); root=$(mktemp -d /var/tmp/hosts.XXXXXX)
#   source tests/hosts.sh; trap hosts_down EXIT; hosts_up
#   on w1 CMD...                 # CMD on w1, its /tmp being $root/w1 (or host_tmp[w1])
#   spawn LOG w1 CMD...; $!      # the same in the background
#
# The address of host i (in `hosts`) is $net.$((10 + i)).

hosts_tag="bh$$"
hosts_pids=()
declare -A host_tmp

hosts_up() {
  ip route add blackhole "$net.0/24" || {
    echo "hosts: cannot blackhole $net.0/24 in the host's namespace" >&2
    return 1
  }
  local i host
  ip netns add "$hosts_tag-sw"
  ip -n "$hosts_tag-sw" link add br0 type bridge
  ip -n "$hosts_tag-sw" link set br0 up
  for i in "${!hosts[@]}"; do
    host=${hosts[$i]}
    ip netns add "$hosts_tag-$host"
    ip link add "$hosts_tag$i" type veth peer name "$hosts_tag${i}s"
    ip link set "$hosts_tag$i" netns "$hosts_tag-$host"
    ip link set "$hosts_tag${i}s" netns "$hosts_tag-sw"
    ip -n "$hosts_tag-sw" link set "$hosts_tag${i}s" master br0 up
    ip -n "$hosts_tag-$host" link set lo up
    ip -n "$hosts_tag-$host" addr add "$net.$((10 + i))/24" dev "$hosts_tag$i"
    ip -n "$hosts_tag-$host" link set "$hosts_tag$i" up
    : "${host_tmp[$host]:=$root/$host}"
    mkdir -p "${host_tmp[$host]}"
  done
}

# The network namespace of HOST, and its link.
host_netns() { echo "$hosts_tag-$1"; }
host_link() {
  local i
  for i in "${!hosts[@]}"; do [[ "${hosts[$i]}" == "$1" ]] && echo "$hosts_tag$i"; done
}

# on HOST CMD...: runs CMD on HOST. What is mounted below its directory comes along (rbind).
on() {
  local host=$1
  shift
  ip netns exec "$hosts_tag-$host" unshare -m --propagation private \
    sh -c 'mount --rbind "$0" /tmp && exec "$@"' "${host_tmp[$host]}" "$@"
}

# spawn LOG HOST CMD...: `on` in the background, its output appended to LOG; $! is CMD's pid.
spawn() {
  local out=$1 host=$2
  shift 2
  ip netns exec "$hosts_tag-$host" unshare -m --propagation private \
    sh -c 'mount --rbind "$0" /tmp && exec "$@"' "${host_tmp[$host]}" "$@" >>"$out" 2>&1 &
  hosts_pids+=($!)
}

hosts_down() {
  local pid host
  for pid in "${hosts_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${hosts_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for host in "${hosts[@]}" sw; do ip netns del "$hosts_tag-$host" 2>/dev/null || true; done
  ip route del blackhole "$net.0/24" 2>/dev/null || true
  # `ip netns add` bind-mounted /run/netns; it goes once no namespace of anyone's is left.
  if [[ -z "$(ip netns list 2>/dev/null)" ]] && mountpoint -q /run/netns; then
    umount /run/netns 2>/dev/null || true
  fi
}

# wait_for FILE TEXT SECONDS: waits until FILE holds TEXT; fails (1) after SECONDS.
wait_for() {
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
