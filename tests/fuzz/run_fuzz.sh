#!/bin/sh
# Runs the decoder fuzzer for FUZZ_SECONDS (default 60) over the seed directories given after
# the fuzzer and the artifact directory; fails on any crash, leak, timeout or sanitizer report.
# Seeds (*.seed, *.dat) are copied, deduplicated by content, so the fuzzer never writes into
# the source tree; new inputs go to a scratch corpus that is removed afterwards.
set -eu
fuzzer=$1
artifacts=$2
shift 2
seconds=${FUZZ_SECONDS:-60}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/corpus" "$work/seeds" "$artifacts"
for dir in "$@"; do
    [ -d "$dir" ] || { echo "seed directory $dir: missing, skipped"; continue; }
    find "$dir" -type f \( -name '*.seed' -o -name '*.dat' \) | while read -r f; do
        cp "$f" "$work/seeds/$(sha1sum < "$f" | cut -c1-16)"
    done
done
echo "seeds: $(ls "$work/seeds" | wc -l) files; fuzzing for ${seconds}s"

UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
timeout $((seconds + 300)) "$fuzzer" \
    -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work/corpus" "$work/seeds"
