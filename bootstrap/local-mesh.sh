#!/usr/bin/env bash
# Starts a 3-node Crank mesh on this host: alpha (4501), beta (4502), gamma (4503).
# beta and gamma bootstrap from alpha; gossip and the DHT take over from there.
# Data dirs live under ${CRANK_MESH_DIR:-./.crank/mesh}. Ctrl-C stops all three (they drain first).
#
#   bash bootstrap/local-mesh.sh            # then, in another shell:
#   npx crank-node caps --data-dir .crank/mesh/client --bootstrap "$(cat .crank/mesh/alpha.addr)"
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${CRANK_MESH_DIR:-./.crank/mesh}
cli=(node_modules/.bin/node src/cli/main.ts)
mkdir -p "$dir"

port() { case $1 in alpha) echo 4501 ;; beta) echo 4502 ;; gamma) echo 4503 ;; *) echo 0 ;; esac; }

# The mesh's trust root, once; alpha holds it (serves enrolment, pushes CRLs).
[ -f "$dir/ca/ca.key" ] || "${cli[@]}" ca init --ca-dir "$dir/ca" >/dev/null

# alpha first: the others need its peer id in their bootstrap list.
for name in alpha beta gamma client; do
  if [ ! -f "$dir/$name/identity.key" ]; then
    "${cli[@]}" init --data-dir "$dir/$name" --name "$name" --listen "/ip4/127.0.0.1/tcp/$(port "$name")" --force >/dev/null
    "${cli[@]}" ca issue --ca-dir "$dir/ca" --data-dir "$dir/$name" --name "$name" >/dev/null
  fi
done
alpha_id=$("${cli[@]}" init --data-dir "$dir/alpha" --name alpha --listen /ip4/127.0.0.1/tcp/4501 --force | sed -n 's/^peer id: \([^ ]*\).*/\1/p')
alpha_addr="/ip4/127.0.0.1/tcp/4501/p2p/$alpha_id"
echo "$alpha_addr" > "$dir/alpha.addr"
for name in beta gamma; do
  "${cli[@]}" init --data-dir "$dir/$name" --name "$name" --listen "/ip4/127.0.0.1/tcp/$(port "$name")" --bootstrap "$alpha_addr" --force >/dev/null
done

pids=()
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
for name in alpha beta gamma; do
  extra=()
  [ "$name" = alpha ] && extra=(--ca-dir "$dir/ca")
  "${cli[@]}" start --data-dir "$dir/$name" "${extra[@]}" > "$dir/$name.log" 2>&1 &
  pids+=($!)
done
echo "mesh up: alpha=$alpha_addr (logs in $dir/*.log). Try:"
echo "  npx crank-node caps --data-dir $dir/client --bootstrap $alpha_addr"
echo "  npx crank-node submit example.echo --data-dir $dir/client --route any --bootstrap $alpha_addr --params '{\"echo\":\"hi\"}'"
wait
