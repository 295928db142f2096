#!/bin/sh
# check-image.sh OBJDUMP NM RELEASE_FULL RELEASE_SYS TEST_FULL TEST_SYS
#
# Fails the build unless:
#  - the release image imports from ntoskrnl.exe and hal.dll only (a kernel
#    image importing anything else does not load; printed for review);
#  - the release image has no injection path: no hg_inject_* symbol in its
#    unstripped link, no inject device name in ASCII or UTF-16;
#  - no section of the release image is both writable and executable
#    (HVCI / memory integrity refuses to load such a driver);
#  - no SSE/AVX register appears in its code (built -mgeneral-regs-only:
#    the kernel does not save vector state around our code for us);
#  - the test image HAS the injection markers (proves that check can fail).
set -eu
OBJDUMP=$1 NM=$2 REL_FULL=$3 REL_SYS=$4 TEST_FULL=$5 TEST_SYS=$6
ALLOWED="ntoskrnl.exe hal.dll"
fail=0

dlls=$("$OBJDUMP" -p "$REL_SYS" | sed -n 's/^[[:space:]]*DLL Name: //p')
echo "hiveguard.sys imports:"
"$OBJDUMP" -p "$REL_SYS" | awk '
    /DLL Name:/ { dll = $3; next }
    /^[[:space:]]*[0-9a-f]+[[:space:]]+[0-9]+[[:space:]]+[A-Za-z_]/ && dll != "" { print "  " dll "!" $3 }
    /^$/ { if (dll != "") dll = dll }'
for d in $dlls; do
    ok=0
    for a in $ALLOWED; do [ "$(echo "$d" | tr 'A-Z' 'a-z')" = "$a" ] && ok=1; done
    if [ $ok -ne 1 ]; then echo "FAIL: release image imports from $d"; fail=1; fi
done
[ -n "$dlls" ] || { echo "FAIL: no import table found in $REL_SYS"; fail=1; }

wx=$("$OBJDUMP" -h "$REL_SYS" | awk '
    /^ *[0-9]+ / { name = $2; next }
    name != "" { if ($0 ~ /CODE/ && $0 !~ /READONLY/) print name; name = "" }')
if [ -n "$wx" ]; then
    echo "FAIL: writable code section(s) in the release image: $wx"; fail=1
else
    echo "release image: no writable+executable section"
fi

if "$OBJDUMP" -d "$REL_SYS" | grep -q '%[xyz]mm[0-9]'; then
    echo "FAIL: vector registers used in the release image"; fail=1
else
    echo "release image: general-purpose registers only"
fi

has_inject() { # $1 full image, $2 stripped image
    "$NM" "$1" 2>/dev/null | grep -q 'hg_inject_' && return 0
    # An lld link keeps its symbols in the PDB beside it, not in the image.
    pdb="${1%.full}.pdb"
    if [ -f "$pdb" ]; then
        "${LLVM_PDBUTIL:-llvm-pdbutil}" dump -publics -globals "$pdb" | grep -q 'hg_inject_' && return 0
    fi
    for f in "$1" "$2"; do
        strings -a "$f" | grep -q 'HiveGuardInject\|INJECT is available' && return 0
        strings -a -e l "$f" | grep -q 'HiveGuardInject' && return 0
    done
    return 1
}
if has_inject "$REL_FULL" "$REL_SYS"; then
    echo "FAIL: the release image contains the injection path"; fail=1
else
    echo "release image: no injection path (symbols and strings checked)"
fi
if ! has_inject "$TEST_FULL" "$TEST_SYS"; then
    echo "FAIL: the test image shows no injection markers - the check is blind"; fail=1
fi
exit $fail
