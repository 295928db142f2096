#!/bin/sh
# bench_pattern.sh BENCH_BINARY - instructions per filtered-out operation with
# 0, 100 and 1000 SUFFIX/CONTAINS patterns, counted by callgrind, next to the
# naive one-pattern-at-a-time baseline in the same run:
#   raise  the whole hg_core_raise of an operation the subscription filters out
#   match  hg_sub_match_path alone (prefix trie + one automaton pass)
#   naive  every pattern compared with the path, one by one
set -eu
bin=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ops=2000
ir_of() { # mode count function
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" --toggle-collect="$3" "$bin" "$1" "$2" >/dev/null 2>&1
    callgrind_annotate "$out/cg" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
}
printf '%-9s %12s %12s %14s %11s\n' patterns "raise Ir/op" "match Ir/op" "naive Ir/op" "naive/match"
for n in 0 100 1000; do
    raise=$(ir_of core "$n" bench_loop)
    match=$(ir_of core "$n" hg_sub_match_path)
    naive=$(ir_of naive "$n" bench_naive_loop)
    awk -v n="$n" -v r="$raise" -v m="$match" -v v="$naive" -v ops="$ops" 'BEGIN {
        if (n == 0) printf "%-9d %12.0f %12.0f %14s %11s\n", n, r / ops, m / ops, "-", "-";
        else printf "%-9d %12.0f %12.0f %14.0f %11.0f\n", n, r / ops, m / ops, v / ops, v / m }'
done
