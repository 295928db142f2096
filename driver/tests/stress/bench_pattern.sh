#!/bin/sh
# bench_pattern.sh BENCH_BINARY [BASE_BINARY] - instructions per filtered-out
# operation with 0, 100, 1000 and 2000 SUFFIX/CONTAINS patterns, counted by
# callgrind, next to the naive one-pattern-at-a-time baseline in the same run:
#   raise  the whole hg_core_raise of an operation the subscription filters out
#   match  hg_sub_match_path alone (prefix trie + one automaton pass)
#   naive  every pattern compared with the path, one by one
# With BASE_BINARY (the same bench built from another revision, see
# `make bench-pattern BENCH_BASE=...`), its raise and match counts are the
# "before" columns of the same run; "rejected" where its CONFIGURE refused
# the patterns. Then what CONFIGURE's compile costs (BENCH_BINARY build N).
set -eu
bin=$1
base=${2:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ops=2000
ir_of() { # binary mode count function -> total Ir, or "rejected" when the run failed
    if valgrind --tool=callgrind --callgrind-out-file="$out/cg" --toggle-collect="$4" "$1" "$2" "$3" >/dev/null 2>&1; then
        callgrind_annotate "$out/cg" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
    else
        echo rejected
    fi
}
per_op() { # total -> per operation
    case $1 in rejected) echo rejected ;; *) awk -v t="$1" -v ops="$ops" 'BEGIN { printf "%.0f", t / ops }' ;; esac
}
if [ -n "$base" ]; then
    printf '%-9s %14s %12s %14s %12s %12s %12s\n' patterns "raise before" "raise Ir/op" "match before" "match Ir/op" \
        "naive Ir/op" "naive/match"
else
    printf '%-9s %12s %12s %12s %12s\n' patterns "raise Ir/op" "match Ir/op" "naive Ir/op" "naive/match"
fi
for n in 0 100 1000 2000; do
    raise=$(per_op "$(ir_of "$bin" core "$n" bench_loop)")
    match=$(per_op "$(ir_of "$bin" core "$n" hg_sub_match_path)")
    if [ "$n" -eq 0 ]; then
        naive=-
        ratio=-
    else
        naive=$(per_op "$(ir_of "$bin" naive "$n" bench_naive_loop)")
        ratio=$(awk -v v="$naive" -v m="$match" 'BEGIN { if (m + 0 > 0) printf "%.0f", v / m; else print "-" }')
    fi
    if [ -n "$base" ]; then
        raise_before=$(per_op "$(ir_of "$base" core "$n" bench_loop)")
        match_before=$(per_op "$(ir_of "$base" core "$n" hg_sub_match_path)")
        printf '%-9s %14s %12s %14s %12s %12s %12s\n' "$n" "$raise_before" "$raise" "$match_before" "$match" "$naive" "$ratio"
    else
        printf '%-9s %12s %12s %12s %12s\n' "$n" "$raise" "$match" "$naive" "$ratio"
    fi
done
echo
echo "with IMAGE entries and a 26-volume map (every operation needs its image, maps to C:, is filtered out):"
printf '%-9s %12s %12s\n' patterns "raise Ir/op" "image Ir/op"
for n in 0 1000; do
    raise=$(per_op "$(ir_of "$bin" image "$n" bench_loop)")
    image=$(per_op "$(ir_of "$bin" image "$n" hg_sub_match_image)")
    printf '%-9s %12s %12s\n' "$n" "$raise" "$image"
done
echo
echo "With DATA entries (every fourth pattern; each SetValue carries REG_SZ data none matches):"
printf '%-9s %12s\n' patterns "raise Ir/op"
for n in 100 1000 2000; do
    printf '%-9s %12s\n' "$n" "$(per_op "$(ir_of "$bin" data "$n" bench_loop)")"
done
echo
echo "With AND groups (wire minor 3; the last 100 of the patterns are members of 40 groups):"
echo "  filtered: no member matches; partial: one group's first clause matches, its second not"
printf '%-9s %16s %16s %16s\n' patterns "filtered Ir/op" "partial Ir/op" "partial match"
for n in 1000 2000; do
    filtered=$(per_op "$(ir_of "$bin" groups "$n" bench_loop)")
    partial=$(per_op "$(ir_of "$bin" partial "$n" bench_loop)")
    pmatch=$(per_op "$(ir_of "$bin" partial "$n" hg_sub_match_path)")
    printf '%-9s %16s %16s %16s\n' "$n" "$filtered" "$partial" "$pmatch"
done
echo
echo "CONFIGURE compile (median of 9 runs; peak RSS growth during the first):"
for n in 100 1000 2000; do
    "$bin" build "$n"
done
echo "... with 100 of the patterns members of 40 AND groups (clause records, 448 bytes a record):"
for n in 1000 2000; do
    "$bin" build-groups "$n"
done
