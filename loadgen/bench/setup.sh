#!/bin/sh
# Installs node-oidc-provider for `loadgen/bench/idp-vs-node.sh` (BENCHMARKS.md, "Our IdP against
# node-oidc-provider"): exactly the versions of package-lock.json. Nothing else in the workspace,
# and nothing in `cargo test --workspace`, needs node.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
