#!/usr/bin/env bash
# A Crank mesh across separate Linux network stacks: NODES network namespaces (default 3), each
# with its own address on a bridge that lives in a namespace of its own, so no traffic ever
# touches the host's interfaces. Node 1 holds the mesh CA; the others join with one-time tokens.
# It runs every built-in capability across the namespaces, stops the CA node and brings it
# back, prints timings, and tears everything down. Needs root and `ip netns`.
#
#   sudo bash bootstrap/netns-mesh.sh      # NODES=4 for more namespaces; DELAY_MS=25 one way via the proxy
#
# Addresses come from 198.18.0.0/15 (RFC 2544, set aside for benchmarking); they exist only
# inside the namespaces this script creates. The last lines are `key=value` figures.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
NODES=${NODES:-3}
WAIT_S=${WAIT_S:-300}
tag="cr$$"
work=$(mktemp -d /tmp/crank-netns.XXXXXX)
hub="$tag-hub"
node_bin="$repo/node_modules/.bin/node"
pids=()
created=()

cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${created[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
log() { echo "netns-mesh: $*" >&2; }
now_ms() { date +%s%3N; }
ns_of() { echo "$tag-n$1"; }
ip_of() { echo "198.18.0.$1"; }
# The CLI inside node i's namespace.
cli() { local i=$1; shift; ip netns exec "$(ns_of "$i")" "$node_bin" "$repo/src/cli/main.ts" "$@"; }
# Polls a command until it succeeds, up to WAIT_S: the condition is the event waited for.
wait_for() {
  local what=$1; shift
  local deadline=$(( $(date +%s) + WAIT_S ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { log "timed out: $what"; return 1; }
    sleep 0.5
  done
}

# --- network: a bridge in the hub namespace, one veth pair per node namespace ---
ip netns add "$hub"; created+=("$hub")
ip -n "$hub" link add br0 type bridge
ip -n "$hub" link set br0 up
ip -n "$hub" link set lo up
for i in $(seq 1 "$NODES"); do
  ns=$(ns_of "$i"); ip netns add "$ns"; created+=("$ns")
  ip link add "$tag-h$i" netns "$hub" type veth peer name eth0 netns "$ns"
  ip -n "$hub" link set "$tag-h$i" master br0 up
  ip -n "$ns" addr add "$(ip_of "$i")/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done
log "$NODES namespaces on a bridge: $(for i in $(seq 1 "$NODES"); do printf '%s ' "$(ip_of "$i")"; done)"

# --- trust root and the CA node ---
"$node_bin" src/cli/main.ts ca init --ca-dir "$work/ca" >/dev/null
t_form=$(now_ms)
id1=$(cli 1 init --data-dir "$work/n1" --name n1 --listen "/ip4/$(ip_of 1)/tcp/4501" | sed -n 's/^peer id: \([^ ]*\).*/\1/p')
seed="/ip4/$(ip_of 1)/tcp/4501/p2p/$id1"
"$node_bin" src/cli/main.ts ca issue --ca-dir "$work/ca" --data-dir "$work/n1" --name n1 >/dev/null
start_node() {
  local i=$1; shift
  cli "$i" start --data-dir "$work/n$i" "$@" >>"$work/n$i.log" 2>&1 &
  pids[$i]=$!
}
start_node 1 --ca-dir "$work/ca"
# A node is up once it answers on its port: a client in another namespace can run a job on it.
submit_on() { # <from-namespace index> <peer multiaddr> [submit args…]
  local i=$1 peer=$2; shift 2
  cli "$i" submit --data-dir "$work/client" --bootstrap "$seed" --peer "$peer" "$@"
}

# --- members join with tokens, each from its own namespace ---
declare -A addr
addr[1]=$seed
for i in $(seq 2 "$NODES"); do
  id=$(cli "$i" init --data-dir "$work/n$i" --name "n$i" --listen "/ip4/$(ip_of "$i")/tcp/4501" --bootstrap "$seed" | sed -n 's/^peer id: \([^ ]*\).*/\1/p')
  addr[$i]="/ip4/$(ip_of "$i")/tcp/4501/p2p/$id"
  token=$("$node_bin" src/cli/main.ts ca token --ca-dir "$work/ca" --name "n$i" 2>/dev/null)
  wait_for "n$i joins through the CA node" cli "$i" join --data-dir "$work/n$i" --bootstrap "$seed" --token "$token"
  start_node "$i"
done
# The client (the CLI's own identity) lives in the last namespace.
last=$NODES
cli "$last" init --data-dir "$work/client" --name client --listen "/ip4/$(ip_of "$last")/tcp/0" --bootstrap "$seed" >/dev/null
token=$("$node_bin" src/cli/main.ts ca token --ca-dir "$work/ca" --name client 2>/dev/null)
wait_for "the client joins" cli "$last" join --data-dir "$work/client" --bootstrap "$seed" --token "$token"
mesh_knows_all() {
  local caps; caps=$(cli "$last" peers --data-dir "$work/client" --bootstrap "$seed" --json 2>/dev/null) || return 1
  for i in $(seq 1 "$NODES"); do grep -q "${addr[$i]##*/}" <<<"$caps" || return 1; done
}
wait_for "every node is in the mesh" mesh_knows_all
form_ms=$(( $(now_ms) - t_form ))
log "mesh formed in ${form_ms} ms"

# --- every built-in capability, each on a node in another namespace ---
samples="$work/samples"; mkdir -p "$samples"
printf '# Across namespaces\n\nA *document* from one network stack to another.\n' >"$samples/doc.md"
printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Lunch tomorrow?\r\nMessage-ID: <1@example.org>\r\n\r\nShall we have lunch tomorrow at noon?\r\n' >"$samples/mail.eml"
printf '{"host":"a","ms":5}\n{"host":"b","ms":50}\n{"host":"a","ms":7}\n' >"$samples/records.ndjson"
image=$(ls "$repo"/scripts/image/samples/*.png | head -1)
jobs_ok=0
run_job() { # <label> <target index> <capability> <params> [input]
  local label=$1 target=$2 cap=$3 params=$4 input=${5:-}
  local t0; t0=$(now_ms)
  local args=(--params "$params" --json)
  [ -n "$input" ] && args+=(--input "$input")
  local out
  if out=$(submit_on "$last" "${addr[$target]}" "$cap" "${args[@]}" 2>&1) && grep -q '"state":"succeeded"' <<<"$out"; then
    jobs_ok=$((jobs_ok + 1)); log "$label on n$target: succeeded ($(( $(now_ms) - t0 )) ms with CLI start-up)"
  else
    log "$label on n$target FAILED: $out"; return 1
  fi
}
run_job example.echo 1 example.echo '{"echo":"hi"}'
run_job email.parse 2 email.parse '{}' "$samples/mail.eml"
run_job email.classify 1 email.classify '{}' "$samples/mail.eml"
run_job document.convert 2 document.convert '{"to":"html"}' "$samples/doc.md"
run_job image.classify 1 image.classify '{"top_k":1}' "$image"
run_job stream.process 2 stream.process '{"pipeline":[{"op":"filter","where":"ms > 6"}]}' "$samples/records.ndjson"
log "certificate.sign_csr ran $((NODES)) times: every join above is a CSR signed by n1"

# --- job latency with 50 ms of added round-trip time: a delaying proxy in the hub namespace ---
ip -n "$hub" addr add 198.18.0.254/24 dev br0
ip netns exec "$hub" "$node_bin" "$repo/bootstrap/netns/delay-proxy.ts" 198.18.0.254 4600 "$(ip_of 2)" 4501 "${DELAY_MS:-25}" >>"$work/proxy.log" 2>&1 &
pids+=($!)
wait_for "the delay proxy listens" grep -q "delay-proxy:" "$work/proxy.log"
latency=$(ip netns exec "$(ns_of "$last")" "$node_bin" "$repo/bootstrap/netns/job-latency.ts" "$work/client" "${addr[2]}" "/ip4/198.18.0.254/tcp/4600/p2p/${addr[2]##*/}" 20)
log "echo job p50 on n2, direct vs through the proxy: $(tr '\n' ' ' <<<"$latency")"

# --- the CA node stops and comes back ---
kill -TERM "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
run_job "echo while the CA node is down" 2 example.echo '{"echo":"still here"}'
t_restart=$(now_ms)
start_node 1 --ca-dir "$work/ca"
wait_for "the CA node serves again" submit_on "$last" "$seed" example.echo --params '{"echo":"back"}'
recover_ms=$(( $(now_ms) - t_restart ))
log "CA node back: serving jobs ${recover_ms} ms after its restart"

echo "nodes=$NODES"
echo "form_ms=$form_ms"
echo "jobs_succeeded=$jobs_ok"
echo "ca_recover_ms=$recover_ms"
echo "$latency"
