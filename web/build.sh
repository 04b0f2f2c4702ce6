#!/usr/bin/env bash
# Builds teleport-lab for the web into web/dist/: index.html, the .wasm,
# its JavaScript glue, and the shipped weights (fetched when a row needs
# them). Serve the folder with any static server, e.g.
#   python3 -m http.server -d web/dist 8080
#
# Needs: rustup's wasm32-unknown-unknown target and wasm-bindgen-cli at the
# version of the wasm-bindgen crate in Cargo.lock; this script adds both
# when missing (the second is compiled from source by `cargo install`).
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
if [ -z "$version" ]; then
    echo "no wasm-bindgen in Cargo.lock" >&2
    exit 1
fi
if command -v rustup >/dev/null 2>&1 \
    && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "== adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
    echo "== installing wasm-bindgen-cli $version (from source)"
    # Not --locked: its lock file names a webpki-roots that some registry
    # mirrors lack; the tool's own version is pinned all the same.
    cargo install wasm-bindgen-cli --version "$version"
fi

echo "== cargo build --profile web --target wasm32-unknown-unknown"
cargo build --profile web --target wasm32-unknown-unknown --bin teleport-lab

out=web/dist
tmp=web/dist.tmp
rm -rf "$tmp"
mkdir -p "$tmp/weights"
echo "== wasm-bindgen"
wasm-bindgen --target web --no-typescript --out-dir "$tmp" \
    "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/web/teleport-lab.wasm"
cp web/index.html "$tmp/"
cp assets/weights/*.safetensors "$tmp/weights/"
# Replace the previous folder only once the new one is complete.
rm -rf "$out"
mv "$tmp" "$out"

# What the page downloads before its first frame: the page, the glue and
# the module (the weights come later, per row).
echo "== $out: before the first frame"
total=0
total_gz=0
for f in index.html teleport-lab.js teleport-lab_bg.wasm; do
    raw=$(wc -c < "$out/$f")
    gz=$(gzip -9 -c "$out/$f" | wc -c)
    total=$((total + raw))
    total_gz=$((total_gz + gz))
    printf '  %-22s %9d bytes  %9d gzip\n' "$f" "$raw" "$gz"
done
printf '  %-22s %9d bytes  %9d gzip\n' "total" "$total" "$total_gz"
printf '  (shipped weights, on demand: %d bytes)\n' "$(cat "$out"/weights/* | wc -c)"
