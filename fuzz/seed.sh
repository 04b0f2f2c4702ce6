#!/usr/bin/env bash
# Seeds the fuzzers' corpora, fuzz/corpus/{scene,weights}, from the hostile
# input corpus (tests/hostile, plus the cases tests/hostile_corpus.rs derives
# from valid models) and from valid examples (fuzz/seeds). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p fuzz/corpus/scene fuzz/corpus/weights
cp tests/hostile/scenes/*.json fuzz/seeds/scene/*.json fuzz/corpus/scene/
cp tests/hostile/weights/* fuzz/corpus/weights/

# The generated and derived cases: truncations, metadata edits, small valid models.
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
HOSTILE_CORPUS_OUT="$generated" cargo test --quiet --test hostile_corpus -- \
    --ignored --exact write_corpus_for_fuzzing >/dev/null
# Inputs beyond the fuzzers' -max_len (64 KiB) would only be truncated.
find "$generated/scene" -type f -size -64k -exec cp {} fuzz/corpus/scene/ \;
find "$generated/weights" -type f -size -64k -exec cp {} fuzz/corpus/weights/ \;

echo "seeded $(ls fuzz/corpus/scene | wc -l) scene and $(ls fuzz/corpus/weights | wc -l) weights inputs"
