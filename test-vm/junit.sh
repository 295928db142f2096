#!/bin/sh
# junit.sh OUT.xml STEP_LOG...
#
# Turns run-e2e.sh's step logs into one JUnit XML report (what CI systems
# display). Each STEP_LOG is NAME.log with NAME.rc (the step's exit status)
# beside it; it becomes a <testsuite name="NAME">. Lines of the form
#   ok   <description>        (a passed check: run-service.ps1, hgwinetest.exe)
#   FAIL <description>        (a failed check)
# become <testcase>s; a step with none (or a nonzero status with no FAIL
# line) gets one testcase for the step itself. A step that did not run has no
# .rc: its testcase is <skipped/>. Text is XML-escaped; the log is attached
# as <system-out>.
set -eu
[ $# -ge 1 ] || { echo "usage: junit.sh OUT.xml STEP_LOG..." >&2; exit 2; }
OUT=$1; shift

esc() { # XML-escape stdin
    sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' |
        tr -d '\000-\010\013\014\016-\037'
}

total=0 failures=0 skipped=0
body=$(mktemp)
trap 'rm -f "$body"' EXIT INT TERM
for log in "$@"; do
    name=$(basename "$log" .log)
    rcfile="${log%.log}.rc"
    rc=
    [ -f "$rcfile" ] && rc=$(cat "$rcfile")
    cases=$(mktemp)
    if [ -f "$log" ]; then
        tr -d '\r' <"$log" | sed -n -e 's/^ok   \(.*\)$/pass\t\1/p' -e 's/^FAIL \(.*\)$/fail\t\1/p' >"$cases"
    fi
    n=$(wc -l <"$cases" | tr -d ' ')
    f=$(grep -c '^fail' "$cases" || true)
    if [ -z "$rc" ]; then
        n=1 f=0
        s_cases="    <testcase classname=\"vm.$name\" name=\"$name\"><skipped message=\"step did not run\"/></testcase>"
        skipped=$((skipped + 1))
    else
        s_cases=$(while IFS="$(printf '\t')" read -r kind text; do
            t=$(printf '%s' "$text" | esc)
            if [ "$kind" = pass ]; then
                printf '    <testcase classname="vm.%s" name="%s"/>\n' "$name" "$t"
            else
                printf '    <testcase classname="vm.%s" name="%s"><failure message="%s"/></testcase>\n' "$name" "$t" "$t"
            fi
        done <"$cases")
        if [ "$rc" != 0 ] && [ "$f" -eq 0 ]; then
            s_cases="$s_cases
    <testcase classname=\"vm.$name\" name=\"$name exits 0\"><failure message=\"exit status $rc\"/></testcase>"
            n=$((n + 1)) f=$((f + 1))
        elif [ "$n" -eq 0 ]; then
            s_cases="    <testcase classname=\"vm.$name\" name=\"$name exits 0\"/>"
            n=1
        fi
    fi
    rm -f "$cases"
    total=$((total + n)) failures=$((failures + f))
    {
        printf '  <testsuite name="%s" tests="%s" failures="%s">\n' "$name" "$n" "$f"
        [ -n "$s_cases" ] && printf '%s\n' "$s_cases"
        if [ -f "$log" ]; then
            printf '    <system-out>'; esc <"$log"; printf '</system-out>\n'
        fi
        printf '  </testsuite>\n'
    } >>"$body"
done
{
    printf '<?xml version="1.0" encoding="UTF-8"?>\n'
    printf '<testsuites name="hiveguard-vm" tests="%s" failures="%s" skipped="%s">\n' "$total" "$failures" "$skipped"
    cat "$body"
    printf '</testsuites>\n'
} >"$OUT"
echo "junit: $OUT ($total tests, $failures failed, $skipped skipped)"
