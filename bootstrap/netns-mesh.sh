#!/usr/bin/env bash
# A Crank mesh across separate Linux network stacks: NODES network namespaces (default 3), each
# with its own address on a bridge that lives in a namespace of its own, so no traffic touches
# the host's interfaces. Node n1 holds the mesh CA; the other nodes join with one-time tokens,
# each from its own namespace (a join is a certificate.sign_csr job on n1). It then
#   - runs every built-in capability, and certificate.sign_csr, from the client in the last
#     namespace on nodes in the other namespaces (bootstrap/netns/capability-jobs.ts);
#   - times echo jobs to n2 directly, through a TCP proxy in the hub namespace, and through one
#     that adds RTT_MS of round-trip time (bootstrap/netns/delay-proxy.ts; `tc netem` needs
#     sch_netem, which many kernels lack);
#   - stops the CA node, runs a job while it is down, starts it again, and times the mesh's
#     recovery and a new enrolment through it;
#   - prints one JSON object of figures on stdout (progress goes to stderr), and removes every
#     namespace, process and file it made, on failure and on Ctrl-C too.
# Needs root and `ip netns`. Exits non-zero if any step or job failed.
#
#   sudo bash bootstrap/netns-mesh.sh
#   sudo NODES=4 RTT_MS=100 bash bootstrap/netns-mesh.sh      # LATENCY_ROUNDS=0 skips the latency rounds
#
# Addresses come from 198.18.0.0/15 (RFC 2544, set aside for benchmarking); they exist only
# inside the namespaces this script creates. KEEP=1 keeps the work dir (node logs) and says where.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
NODES=${NODES:-3}
RTT_MS=${RTT_MS:-50}
LATENCY_ROUNDS=${LATENCY_ROUNDS:-5}
LATENCY_JOBS=${LATENCY_JOBS:-20}
WAIT_S=${WAIT_S:-120}
[ "$NODES" -ge 3 ] || { echo "netns-mesh: NODES must be at least 3 (the client shares the last namespace)" >&2; exit 2; }
tag="crank$$"
hub="$tag-hub"
node_bin="$repo/node_modules/.bin/node"
work=$(mktemp -d /tmp/crank-netns.XXXXXX)
created=()
declare -A node_pid addr
failures=0

now_ms() { date +%s%3N; }
t_start=$(now_ms)
# The script's own stderr, kept on fd 3: a trap can run inside a redirected command (the
# runner's output goes to a file), and its lines must still reach the terminal.
exec 3>&2
log() { printf 'netns-mesh: +%ss %s\n' "$(( ($(now_ms) - t_start) / 1000 ))" "$*" >&3; }
ns_of() { echo "$tag-n$1"; }
ip_of() { echo "198.18.0.$1"; }

# Every process this script started that can still run lives in one of its namespaces (the
# helpers run outside are waited for): TERM them all (nodes drain and exit), KILL what is left
# after DRAIN_S, then delete the namespaces, which takes the veths and the bridge with them.
in_namespaces() { local ns; for ns in "${created[@]}"; do ip netns pids "$ns" 2>/dev/null || true; done; }
cleanup() {
  local rc=$? t0 deadline left
  t0=$(now_ms)
  deadline=$((t0 + ${DRAIN_S:-10} * 1000))
  trap - EXIT INT TERM
  left=$(in_namespaces)
  [ -z "$left" ] || kill -TERM $left 2>/dev/null || true
  while [ -n "$left" ] && [ "$(now_ms)" -lt "$deadline" ]; do
    sleep 0.1
    left=$(in_namespaces)
  done
  if [ -n "$left" ]; then
    log "killing what would not stop: $(echo $left)"
    kill -KILL $left 2>/dev/null || true
  fi
  for ns in "${created[@]}"; do ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"; done
  if [ -n "${KEEP:-}" ]; then log "work dir kept: $work"; else rm -rf "$work"; fi
  log "torn down in $(($(now_ms) - t0)) ms"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

crank() { "$node_bin" src/cli/main.ts "$@"; }
# The CLI inside node i's namespace.
cli() { local i=$1; shift; ip netns exec "$(ns_of "$i")" "$node_bin" src/cli/main.ts "$@"; }
in_ns() { local i=$1; shift; ip netns exec "$(ns_of "$i")" "$node_bin" "$@"; }
# A simple command run in the background is exec'd by its subshell, and `ip netns exec` execs
# node: so $! is the node's own pid, and TERM reaches the node (it drains and exits).
start_node() { # <index> [start flags…]
  local i=$1; shift
  ip netns exec "$(ns_of "$i")" "$node_bin" src/cli/main.ts start --data-dir "$work/n$i" "$@" >>"$work/n$i.log" 2>&1 &
  node_pid[$i]=$!
}
# Waits for background steps; on a failure shows that step's output and fails.
wait_steps() { # <pid>:<output file>…
  local s ok=0
  for s in "$@"; do
    wait "${s%%:*}" || { log "failed: $(tail -5 "${s#*:}")"; ok=1; }
  done
  return "$ok"
}
# Members node i has connected and verified, as its own status.json says (what `crank-node
# status` reads; JSON.stringify(…, null, 1), a key per line), or -1 when it is not running. Read
# here, not through a process per poll: every node process costs a second of CPU to start.
members_of() {
  local f="$work/n$1/status.json" pid
  grep -q '"running": true' "$f" 2>/dev/null || { echo -1; return; }
  pid=$(sed -n 's/^ *"pid": \([0-9]*\).*/\1/p' "$f")
  kill -0 "${pid:-0}" 2>/dev/null || { echo -1; return; }
  sed -n 's/^ *"members": \([0-9]*\).*/\1/p' "$f"
}
# Until every node given is running with <members> members (exactly; `<n>+`: at least n).
# Exact, so that the same wait sees members drop when a node stops.
wait_mesh() { # <members>[+] <index>…
  local want=${1%+} at_least=0 i m deadline=$(($(date +%s) + WAIT_S)) settled
  [ "$1" = "$want" ] || at_least=1
  shift
  while :; do
    settled=1
    for i in "$@"; do
      m=$(members_of "$i")
      if [ "$at_least" = 1 ]; then [ "${m:--1}" -ge "$want" ] || settled=0; else [ "${m:--1}" -eq "$want" ] || settled=0; fi
    done
    [ "$settled" = 0 ] || return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "timed out waiting for $want member(s) on $(for i in "$@"; do printf 'n%s:%s ' "$i" "$(members_of "$i")"; done)"
      return 1
    fi
    sleep 0.1
  done
}
wait_for_file_line() { # <file> <text>: a process says it is ready
  local deadline=$(($(date +%s) + WAIT_S))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { log "timed out waiting for '$2' in $1"; return 1; }
    sleep 0.1
  done
}
last=$NODES
all=$(seq 1 "$NODES")

# --- network: a bridge in the hub namespace, one veth pair per node namespace ---
t_setup=$(now_ms)
ip netns add "$hub"
created+=("$hub")
ip -n "$hub" link add br0 type bridge
ip -n "$hub" link set br0 up
ip -n "$hub" link set lo up
for i in $all; do
  ns=$(ns_of "$i")
  ip netns add "$ns"
  created+=("$ns")
  ip link add "h$i" netns "$hub" type veth peer name eth0 netns "$ns"
  ip -n "$hub" link set "h$i" master br0 up
  ip -n "$ns" addr add "$(ip_of "$i")/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done
log "$NODES namespaces on a bridge: $(for i in $all; do printf '%s ' "$(ip_of "$i")"; done)"

# --- identities, the trust root, certificates, join tokens: one process, no network ---
# n1 and the client (the CLI's identity, in the last namespace) are certified directly; the
# other members get a token each and enrol over the network. Two more tokens: one for the
# runner's own certificate.sign_csr job, one for a node that enrols after the CA node restarts.
listens=()
for i in $all; do listens+=("n$i=/ip4/$(ip_of "$i")/tcp/4501"); done
declare -A token
while read -r kind name value; do
  case $kind in
    peer) [ "$name" = client ] || addr[${name#n}]="/ip4/$(ip_of "${name#n}")/tcp/4501/p2p/$value" ;;
    token) token[$name]=$value ;;
  esac
done < <("$node_bin" bootstrap/netns/prepare-mesh.ts --dir "$work" --issue n1 --issue client \
  $(for i in $(seq 2 "$NODES"); do echo "--token n$i"; done) --token probe --token late "${listens[@]}" client=)
[ "${#addr[@]}" -eq "$NODES" ] && [ "${#token[@]}" -eq $((NODES + 1)) ] || { log "preparing the data dirs and the CA failed"; exit 1; }
seed=${addr[1]}
setup_ms=$(($(now_ms) - t_setup))

# --- the mesh forms: n1 (the CA) first, members enrol through it with tokens, then start ---
t_form=$(now_ms)
start_node 1 --ca-dir "$work/ca"
wait_mesh 0+ 1
t_enrol=$(now_ms)
steps=()
for i in $(seq 2 "$NODES"); do
  cli "$i" join --data-dir "$work/n$i" --bootstrap "$seed" --token "${token[n$i]}" >"$work/n$i.join" 2>&1 &
  steps+=("$!:$work/n$i.join")
done
wait_steps "${steps[@]}"
enrol_ms=$(($(now_ms) - t_enrol))
log "$((NODES - 1)) members enrolled through n1 in ${enrol_ms} ms"
for i in $(seq 2 "$NODES"); do start_node "$i" --bootstrap "$seed"; done
# shellcheck disable=SC2086 # word splitting of the index lists is wanted
wait_mesh $((NODES - 1)) $all
form_ms=$(($(now_ms) - t_form))
log "mesh formed in ${form_ms} ms: every node has the other $((NODES - 1)) as verified members"

# --- every capability, each on a node in another namespace than the client's ---
targets=()
for i in $all; do targets+=("n$i=${addr[$i]}"); done
if ! in_ns "$last" bootstrap/netns/capability-jobs.ts --data-dir "$work/client" --ca n1 --here "n$last" \
  --token "${token[probe]}" "${targets[@]}" >"$work/jobs.jsonl" 2>"$work/jobs.err"; then
  failures=$((failures + 1))
  log "a capability job failed: $(grep '"ok":false' "$work/jobs.jsonl" || tail -5 "$work/jobs.err")"
fi
adverts_ms=$(sed -n 's/^{"adverts_ms":\(.*\)}$/\1/p' "$work/jobs.jsonl")
jobs_json=$(grep '"capability"' "$work/jobs.jsonl" | paste -sd, -)
log "capabilities: $(grep -c '"ok":true' "$work/jobs.jsonl" || true) of $(grep -c '"capability"' "$work/jobs.jsonl" || true) succeeded on remote nodes"

# --- job latency to n2: direct, through a proxy, through a proxy that adds RTT_MS ---
latency_json=null
if [ "$LATENCY_ROUNDS" -gt 0 ]; then
  ip -n "$hub" addr add 198.18.0.254/24 dev br0
  half=$(awk "BEGIN { print $RTT_MS / 2 }")
  ip netns exec "$hub" "$node_bin" bootstrap/netns/delay-proxy.ts 198.18.0.254 4600 "$(ip_of 2)" 4501 0 >"$work/proxy0.log" 2>&1 &
  ip netns exec "$hub" "$node_bin" bootstrap/netns/delay-proxy.ts 198.18.0.254 4601 "$(ip_of 2)" 4501 "$half" >"$work/proxy1.log" 2>&1 &
  wait_for_file_line "$work/proxy0.log" "delay-proxy:"
  wait_for_file_line "$work/proxy1.log" "delay-proxy:"
  id2=${addr[2]##*/}
  if paths=$(in_ns "$last" bootstrap/netns/job-latency.ts "$work/client" "$LATENCY_ROUNDS" "$LATENCY_JOBS" "direct=${addr[2]}" \
    "proxy=/ip4/198.18.0.254/tcp/4600/p2p/$id2" "proxy_delayed=/ip4/198.18.0.254/tcp/4601/p2p/$id2" 2>"$work/latency.err"); then
    latency_json="{\"added_rtt_ms\":$RTT_MS,${paths#\{}"
    log "echo job latency to n2 (p50/p90 ms): $paths"
  else
    failures=$((failures + 1))
    log "latency rounds failed: $(grep -m1 -i error "$work/latency.err" || tail -5 "$work/latency.err")"
  fi
fi

# --- the CA node stops and comes back ---
t_stop=$(now_ms)
kill -TERM "${node_pid[1]}"
wait "${node_pid[1]}" || true
stop_ms=$(($(now_ms) - t_stop))
unset 'node_pid[1]'
members=$(seq 2 "$NODES")
t_exit=$(now_ms)
# shellcheck disable=SC2086
wait_mesh $((NODES - 2)) $members
down_noticed_ms=$(($(now_ms) - t_exit))
log "the other nodes dropped n1 within ${down_noticed_ms} ms of its exit"
job_while_down=failed
if out=$(cli "$last" submit example.echo --data-dir "$work/client" --bootstrap "${addr[2]}" --peer "${addr[2]}" \
  --params '{"echo":"CA down"}' --json 2>&1) && grep -q '"state":"succeeded"' <<<"$out"; then
  job_while_down=succeeded
else
  failures=$((failures + 1))
  log "job on n2 while the CA node is down failed: $out"
fi
t_restart=$(now_ms)
start_node 1 --ca-dir "$work/ca"
wait_mesh 0+ 1
restart_up_ms=$(($(now_ms) - t_restart))
# shellcheck disable=SC2086
wait_mesh $((NODES - 1)) $all
rejoin_ms=$(($(now_ms) - t_restart))
log "n1 restarted: running after ${restart_up_ms} ms, the mesh whole again after ${rejoin_ms} ms"
enrol_after_restart=failed
t_late=$(now_ms)
if cli "$last" join --data-dir "$work/late" --bootstrap "$seed" --token "${token[late]}" >"$work/late.join" 2>&1; then
  enrol_after_restart=succeeded
else
  failures=$((failures + 1))
  log "enrolment through the restarted CA node failed: $(tail -3 "$work/late.join")"
fi
enrol_after_restart_ms=$(($(now_ms) - t_late))

cat <<EOF
{"nodes":$NODES,"namespace_prefix":"$tag","work_dir":"$work","setup_ms":$setup_ms,"form_ms":$form_ms,"enrol_ms":$enrol_ms,"adverts_ms":${adverts_ms:-null},"client_node":"n$last","jobs":[${jobs_json}],"latency":$latency_json,"ca_restart":{"stop_ms":$stop_ms,"down_noticed_ms":$down_noticed_ms,"job_while_down":"$job_while_down","up_ms":$restart_up_ms,"rejoin_ms":$rejoin_ms,"enrol_after_restart":"$enrol_after_restart","enrol_after_restart_ms":$enrol_after_restart_ms},"failures":$failures}
EOF
[ "$failures" -eq 0 ]
