#!/bin/sh
# Our IdP and node-oidc-provider (FranceConnect's own OpenID Connect engine, minimal in-memory
# set-up in node-idp.mjs) driven one after the other by the same load generator, same client,
# same person, same flow (authorize → login → code → token → userinfo); prints both reports and
# the CPU-per-flow ratio. Run from the workspace root after
#   cargo build --release -p identity-provider-example -p loadgen && loadgen/bench/setup.sh
# Usage: [BIN_DIR=target/release] loadgen/bench/idp-vs-node.sh [FLOWS] [BROWSERS]
set -eu
flows=${1:-2000}
browsers=${2:-8}
bin=${BIN_DIR:-target/release}
out=target/loadgen/idp-vs-node
mkdir -p "$out"
[ -d loadgen/bench/node_modules/oidc-provider ] || loadgen/bench/setup.sh

# Ours: spawned by the load generator (the IdP alone, port 8001, on generated people: every
# browser logs in as the first of them, as every browser logs in as 3_melaine at node's), ID
# tokens in ES256 as node-idp.mjs signs them.
"$bin/loadgen" --spawn "$bin" --work-dir "$out/ours" --idp-flow http://127.0.0.1:8001 \
    --idp-person charge_0:123 --spawn-env FC_IDP_ID_TOKEN_SIGNED_RESPONSE_ALG=ES256 -c "$browsers" -n "$flows" --warmup 100 \
    --json "$out/ours.json" | tee "$out/ours.txt"

# node-oidc-provider on port 8101, its CPU and RSS read from /proc like ours.
NODE_ENV=production node loadgen/bench/node-idp.mjs --port 8101 > "$out/node.log" 2>&1 &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null || true' EXIT
i=0
until grep -q '^ready' "$out/node.log"; do
    i=$((i + 1)); [ "$i" -lt 200 ] || { cat "$out/node.log"; exit 1; }
    sleep 0.05
done
"$bin/loadgen" --idp-flow http://127.0.0.1:8101 --idp-person 3_melaine:123 \
    --idp-redirect-uri http://localhost:8000/api/v2/oidc-callback \
    -c "$browsers" -n "$flows" --warmup 100 --watch "node-oidc-provider=$node_pid" \
    --json "$out/node.json" | tee "$out/node.txt"

python3 - "$out/ours.json" "$out/node.json" <<'PY'
import json, sys
def cpu(path, name_part):
    r = json.load(open(path))
    for p in r["programs"]:
        if name_part in p["name"]:
            return p, r
    raise SystemExit(f"{path}: no program {name_part}")
ours, ro = cpu(sys.argv[1], "identity-provider")
node, rn = cpu(sys.argv[2], "node-oidc-provider")
def per(p, r):
    return p["cpu_secs"] * 1000 / max(r["journeys_ok"], 1)
a, b = per(ours, ro), per(node, rn)
print(f"CPU per flow: ours {a:.3f} ms, node-oidc-provider {b:.3f} ms, ratio {b / a:.1f}x")
print(f"flows/s: ours {ro['journeys_per_sec']:.0f}, node-oidc-provider {rn['journeys_per_sec']:.0f}")
print(f"peak RSS: ours {ours['hwm_kib'] / 1024:.1f} MiB, node-oidc-provider {node['hwm_kib'] / 1024:.1f} MiB")
PY
