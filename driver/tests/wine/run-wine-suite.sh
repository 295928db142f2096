#!/bin/sh
# run-wine-suite.sh TEST_SYS CLIENT_EXE WORK_DIR [RELEASE_SYS]
#
# Runs hiveguard-test.sys as a kernel service in a fresh Wine prefix under
# WORK_DIR and drives it with the mingw-built client (hgwinetest.exe), which
# prints one line per case and, last, exactly "N passed, N failed".
#
# Wine facts this relies on (measured on the build machines):
#  - a persistent wineserver (-p) keeps services.exe and the driver host
#    alive between commands; without it they exit between `wine` calls;
#  - the first wine process of a prefix creates it (no `wineboot -i`), and
#    its stderr is where the driver host's DbgPrint lands with
#    WINEDEBUG=warn+debugstr: that goes to WORK_DIR/driver.log;
#  - `sc create ... type= kernel` + `sc start` loads a .sys from
#    C:\windows\system32\drivers.
set -eu
SYS=$1
CLIENT=$2
WORK=$3
RELEASE_SYS=${4:-}
WINE=${WINE:-wine}
WINESERVER=${WINESERVER:-wineserver}
SERVICE=HiveGuard
IMAGE=hiveguard.sys
# Per-command bound: a hung wine command must not eat the whole CI budget.
STEP_TIMEOUT=${STEP_TIMEOUT:-120}
# The client: ~30 s normally; each of its cases has its own 30 s bound.
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-300}

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
export WINEPREFIX="$WORK/prefix"
export WINEARCH=win64
# No Mono/Gecko installers: they would wait for a display.
export WINEDLLOVERRIDES="mscoree,mshtml="
export DISPLAY=
LOG="$WORK/driver.log"

cleanup() {
    "$WINESERVER" -k >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

"$WINESERVER" -k >/dev/null 2>&1 || true
rm -rf "$WINEPREFIX"
mkdir -p "$WINEPREFIX"
: > "$LOG"

"$WINESERVER" -p
# First process: creates the prefix and starts services.exe, whose stderr
# (and the driver host's) is the log.
WINEDEBUG=warn+debugstr timeout "$STEP_TIMEOUT" "$WINE" cmd /c ver >>"$LOG" 2>&1 </dev/null &
FIRST=$!
wait $FIRST || { echo "wine prefix creation failed"; cat "$LOG"; exit 1; }

DRIVERS="$WINEPREFIX/drive_c/windows/system32/drivers"
mkdir -p "$DRIVERS"
cp "$SYS" "$DRIVERS/$IMAGE"
cp "$CLIENT" "$WINEPREFIX/drive_c/hgwinetest.exe"
RELEASE_ARGS=
if [ -n "$RELEASE_SYS" ]; then
    cp "$RELEASE_SYS" "$DRIVERS/hiveguard-release.sys"
    RELEASE_ARGS='--release-image C:\windows\system32\drivers\hiveguard-release.sys'
fi

WINEDEBUG=-all timeout "$STEP_TIMEOUT" "$WINE" sc create "$SERVICE" type= kernel start= demand \
    binPath= 'C:\windows\system32\drivers\'"$IMAGE" </dev/null >>"$LOG" 2>&1 ||
    { echo "sc create failed"; cat "$LOG"; exit 1; }

# The client starts, stops and restarts the service itself through the SCM
# (each step under its own timeout) and exits non-zero on any failure.
OUT="$WORK/client.out"
echo "driver log (DbgPrint): $LOG"
status=0
WINEDEBUG=-all timeout "$CLIENT_TIMEOUT" "$WINE" 'C:\hgwinetest.exe' "$SERVICE" $RELEASE_ARGS </dev/null >"$OUT" 2>&1 || status=$?
# wine can leave a CR at line ends.
tr -d '\r' <"$OUT" >"$OUT.txt"
summary=$(tail -n 1 "$OUT.txt")
case "$summary" in
    *" passed, "*" failed") sed '$d' "$OUT.txt" ;;
    *) cat "$OUT.txt"; echo "the client ended without a summary (exit $status)"
       summary="0 passed, 1 failed"; [ $status -ne 0 ] || status=1 ;;
esac
if [ $status -ne 0 ]; then
    echo "--- driver log (DbgPrint), last lines ---"
    grep -a 'HiveGuard' "$LOG" | tail -n 60 | sed 's/^/  /' || true
    echo "wine suite FAILED (exit $status)"
fi
# A passing run leaves only its logs (the prefix is ~700 MB); a failing one
# keeps the prefix for inspection.
if [ $status -eq 0 ]; then
    "$WINESERVER" -k >/dev/null 2>&1 || true
    rm -rf "$WINEPREFIX"
fi
echo "$summary"
exit $status
