#!/bin/sh
# Writes to $1 the workspace reduced to what decides its dependencies: every Cargo.toml, the
# Cargo.lock, and an empty stand-in for each crate root (lib.rs, main.rs, src/bin/*.rs). The
# Dockerfile builds the dependencies from it in a layer of their own, which a change to the
# sources leaves in the cache. Fixed mtimes: the same manifests give the same files, hence a
# cache hit on `COPY --from=skeleton`.
set -eu
out=$1
mkdir -p "$out"
cp Cargo.toml Cargo.lock "$out/"
find . -path ./target -prune -o -path ./node_modules -prune -o -name Cargo.toml -print | while read -r manifest; do
    crate=$(dirname "$manifest")
    mkdir -p "$out/$crate"
    cp "$manifest" "$out/$crate/"
    [ -f "$crate/src/lib.rs" ] && { mkdir -p "$out/$crate/src"; : >"$out/$crate/src/lib.rs"; }
    for bin in "$crate/src/main.rs" "$crate/src/bin/"*.rs; do
        [ -f "$bin" ] || continue
        mkdir -p "$out/$(dirname "$bin")"
        echo 'fn main() {}' >"$out/$bin"
    done
done
find "$out" -exec touch -h -d @0 {} +
