#!/usr/bin/env bash
# `npm run test:package`: checks the package as a user gets it. Packs the tarball (which builds
# dist/), installs it offline into a throw-away app (from the tarball and the npm cache that
# `npm ci` filled), typechecks the README's library example there verbatim with
# skipLibCheck: false, runs it (it must exit by itself), and runs the installed CLI.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Node 24 from the repo's devDependency: the app runs on what a user would have installed.
export PATH="$repo/node_modules/.bin:$PATH" ONNXRUNTIME_NODE_INSTALL=skip
step() { echo "package-test: $*"; }

step "pack"
(cd "$repo" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball=$(ls "$work"/*.tgz)
files=$(tar tzf "$tarball" | wc -l)
step "$(basename "$tarball"): $files files, $(du -k "$tarball" | cut -f1) KiB"
if tar tzf "$tarball" | grep -Eq '^package/(test|bench|simulations|scripts|src|capabilities)/'; then
  echo "package-test: the tarball ships development folders" >&2; exit 1
fi

app="$work/app"; mkdir -p "$app"; cp "$tarball" "$app/"
node "$repo/scripts/package/app-lockfile.ts" "$app/$(basename "$tarball")" "$app" >/dev/null
cd "$app"
step "npm ci --offline"
npm ci --offline --no-audit --no-fund --loglevel=error >/dev/null

step "typecheck the README example (skipLibCheck: false)"
awk '/^## The library/{f=1} f&&/^```ts/{g=1;next} g&&/^```/{exit} g{print}' "$repo/README.md" > example.ts
[ -s example.ts ] || { echo "package-test: no library example in README.md" >&2; exit 1; }
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2023", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
  "skipLibCheck": false, "noEmit": true, "types": ["node"] }, "include": ["example.ts"] }
JSON
npx tsc -p .

step "run the README example"
out=$(timeout 120 node example.ts)
echo "$out" | sed 's/^/  /'
grep -q 'HELLO' <<<"$out" || { echo "package-test: the example did not print its result" >&2; exit 1; }

step "CommonJS consumers get a clear path (require of ESM)"
node -e "const c = require('crank'); if (typeof c.createNode !== 'function') process.exit(1)"
node --input-type=module -e "import { builtinCapabilities, createImageClassify, createSignCsrCapability } from 'crank/capabilities'; if (!builtinCapabilities.length || typeof createImageClassify !== 'function' || typeof createSignCsrCapability !== 'function') process.exit(1)" 2>/dev/null

step "installed CLI"
npx crank-node --help >/dev/null
result=$(npx crank-node submit example.echo --data-dir ./node --params '{"echo":"from the package"}' --json 2>/dev/null)
grep -q '"state":"succeeded"' <<<"$result" || { echo "package-test: submit failed: $result" >&2; exit 1; }
grep -q 'from the package' <<<"$result"
# document.convert runs in a worker thread: its entry point must resolve to dist's .js files.
printf '# Packaged\n\nHello *from the tarball*.\n' > in.md
html=$(npx crank-node submit document.convert --data-dir ./node --params '{"to":"html"}' --input in.md --output - 2>/dev/null)
grep -q '<h1>Packaged</h1>' <<<"$html" || { echo "package-test: document.convert failed: $html" >&2; exit 1; }

step "installed node: a durable job through its control socket, and the job store's history"
npx crank-node init --data-dir ./served --open-mesh --listen /ip4/127.0.0.1/tcp/0 >/dev/null 2>&1
./node_modules/.bin/crank-node start --data-dir ./served >served.log 2>&1 &
served=$!
trap 'kill "$served" 2>/dev/null || true; rm -rf "$work"' EXIT
# The control socket appears once the node serves; bounded, and it fails if the node dies first.
for _ in $(seq 1 240); do [ -S ./served/control.sock ] && break; kill -0 "$served" 2>/dev/null || break; sleep 0.25; done
[ -S ./served/control.sock ] || { echo "package-test: the installed node did not start: $(tail -3 served.log)" >&2; exit 1; }
job=$(npx crank-node submit example.echo --data-dir ./served --durable --idempotency-key pkg-1 --params '{"echo":"kept"}' --json 2>/dev/null)
grep -q '"state":"succeeded"' <<<"$job" || { echo "package-test: durable submit failed: $job" >&2; exit 1; }
id=$(sed -n 's/.*"jobId":"\([^"]*\)".*/\1/p' <<<"$job")
npx crank-node jobs show --data-dir ./served "$id" | grep -q 'durable *yes' || { echo "package-test: jobs show does not know $id" >&2; exit 1; }
kill "$served"; wait "$served" 2>/dev/null || true
step "ok"
