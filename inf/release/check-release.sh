#!/bin/sh
# check-release.sh ZIP VERSION
#
# Unpacks the release zip made by build-release.sh into a scratch directory
# and fails unless:
#   - the folder holds exactly the expected files (none missing, none extra);
#   - SHA256SUMS lists every other file and every checksum matches;
#   - hiveguard.sys's VERSIONINFO, read back from the image with windres,
#     carries VERSION (strings) and its numbers (FILEVERSION/PRODUCTVERSION);
#   - hiveguard.sys is a native x64 image importing only ntoskrnl.exe/hal.dll,
#     and its test signature verifies with osslsigncode against the shipped
#     certificate;
#   - hiveguard.pdb is that image's PDB (RSDS GUID/age, driver/sys/check-pdb.sh);
#   - the INF's DriverVer is a real date MM/DD/YYYY and VERSION's numbers
#     plus a build number, and the rest of the INF is the repository's;
#   - hiveguard-messages.dll is resource-only with a message table;
#   - the jar's manifest starts dev.hiveguard.cli.Main; the policies are XML;
#   - VERSION holds VERSION.
# Then it proves it can fail: a copy of the zip with one byte of the INF
# changed must be rejected by the checksum step.
set -eu
[ $# -eq 2 ] || { echo "usage: check-release.sh ZIP VERSION" >&2; exit 2; }
ZIP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
VERSION=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PREFIX=${MINGW_PREFIX:-x86_64-w64-mingw32-}
NAME="hiveguard-$VERSION-windows-x64"
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT INT TERM
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

checksums_match() { # checksums_match DIR: 0 if SHA256SUMS covers every file and all match
    (cd "$1" &&
        sha256sum --quiet --strict -c SHA256SUMS >/dev/null 2>&1 &&
        [ "$(find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort)" = \
          "$(sed 's/^[0-9a-f]*  //' SHA256SUMS | LC_ALL=C sort)" ])
}

[ -f "$ZIP" ] || { echo "check-release.sh: no zip at $ZIP" >&2; exit 2; }
unzip -q "$ZIP" -d "$SCRATCH/x"
PKG="$SCRATCH/x/$NAME"
[ -d "$PKG" ] || { echo "FAIL: the zip has no top folder $NAME"; exit 1; }
top=$(cd "$SCRATCH/x" && find . -mindepth 1 -maxdepth 1 | sed 's|^\./||')
[ "$top" = "$NAME" ] || fail "the zip holds more than $NAME/: $(echo "$top" | tr '\n' ' ')"

# -- the file list -----------------------------------------------------------
expected="README.md
SHA256SUMS
VERSION
hiveguard-messages.dll
hiveguard-test-signing.cer
hiveguard.inf
hiveguard.jar
hiveguard.pdb
hiveguard.sys
install.ps1
$(cd "$ROOT/java/src/main/resources" && find policies -name '*.xml' | LC_ALL=C sort)
uninstall.ps1"
expected=$(echo "$expected" | LC_ALL=C sort)
# runtime/ (an optional jlink runtime) is checked on its own below.
actual=$(cd "$PKG" && find . -type f ! -path './runtime/*' | sed 's|^\./||' | LC_ALL=C sort)
if [ "$expected" = "$actual" ]; then ok "file list ($(echo "$actual" | wc -l) files)"
else fail "file list differs:"; diff "$(printf '%s\n' "$expected" >"$SCRATCH/e"; echo "$SCRATCH/e")" \
    "$(printf '%s\n' "$actual" >"$SCRATCH/a"; echo "$SCRATCH/a")" || true; fi
for f in $expected; do [ -s "$PKG/$f" ] || fail "$f is empty or missing"; done

# -- checksums -----------------------------------------------------------------
if checksums_match "$PKG"; then ok "SHA256SUMS covers every file and matches"; else fail "SHA256SUMS does not match the files"; fi

# -- hiveguard.sys ----------------------------------------------------------------
numeric=${VERSION%%-*}
major=$(echo "$numeric" | cut -d. -f1) minor=$(echo "$numeric" | cut -d. -f2) patch=$(echo "$numeric" | cut -d. -f3)
"${PREFIX}windres" -i "$PKG/hiveguard.sys" -O rc -o "$SCRATCH/sys.rc" 2>"$SCRATCH/windres.err" ||
    fail "windres cannot read hiveguard.sys's resources: $(cat "$SCRATCH/windres.err")"
if grep -q 'VERSIONINFO' "$SCRATCH/sys.rc" 2>/dev/null; then
    grep -q "VALUE \"FileVersion\", \"$VERSION\"" "$SCRATCH/sys.rc" || fail "VERSIONINFO FileVersion is not $VERSION"
    grep -q "VALUE \"ProductVersion\", \"$VERSION\"" "$SCRATCH/sys.rc" || fail "VERSIONINFO ProductVersion is not $VERSION"
    grep -q "VALUE \"OriginalFilename\", \"hiveguard.sys\"" "$SCRATCH/sys.rc" || fail "VERSIONINFO OriginalFilename is not hiveguard.sys"
    # windres leaves out a zero FILEVERSION; 0.x.y releases still have a nonzero field.
    if [ "$major$minor$patch" != 000 ]; then
        grep -Eq "^ FILEVERSION $major, $minor, $patch, [0-9]+\$" "$SCRATCH/sys.rc" || fail "FILEVERSION is not $major, $minor, $patch, N"
        grep -Eq "^ PRODUCTVERSION $major, $minor, $patch, [0-9]+\$" "$SCRATCH/sys.rc" || fail "PRODUCTVERSION is not $major, $minor, $patch, N"
    fi
    grep -q "FILETYPE 0x3\$" "$SCRATCH/sys.rc" || fail "VERSIONINFO FILETYPE is not VFT_DRV"
    ok "hiveguard.sys VERSIONINFO: $(sed -n 's/^ FILEVERSION //p' "$SCRATCH/sys.rc") \"$VERSION\""
else
    fail "hiveguard.sys has no VERSIONINFO resource"
fi
"${PREFIX}objdump" -p "$PKG/hiveguard.sys" >"$SCRATCH/sys.p"
grep -q 'Subsystem[[:space:]]*00000001' "$SCRATCH/sys.p" || fail "hiveguard.sys is not a native-subsystem image"
grep -q 'file format pei-x86-64' "$SCRATCH/sys.p" || fail "hiveguard.sys is not an x64 PE image"
dlls=$(sed -n 's/^[[:space:]]*DLL Name: //p' "$SCRATCH/sys.p" | tr '[:upper:]' '[:lower:]' | LC_ALL=C sort -u | tr '\n' ' ')
case $dlls in
    "hal.dll ntoskrnl.exe "|"ntoskrnl.exe ") ok "hiveguard.sys imports: $dlls" ;;
    *) fail "hiveguard.sys imports from: $dlls" ;;
esac
openssl x509 -inform der -in "$PKG/hiveguard-test-signing.cer" -out "$SCRATCH/cert.pem" 2>/dev/null ||
    fail "hiveguard-test-signing.cer is not a DER certificate"
if osslsigncode verify -in "$PKG/hiveguard.sys" -CAfile "$SCRATCH/cert.pem" >"$SCRATCH/verify.log" 2>&1 &&
   grep -q 'Signature verification: ok' "$SCRATCH/verify.log"; then
    ok "hiveguard.sys test signature verifies (osslsigncode)"
else
    cat "$SCRATCH/verify.log"; fail "hiveguard.sys signature does not verify"
fi
if out=$("$ROOT/driver/sys/check-pdb.sh" "${PREFIX}objdump" "$PKG/hiveguard.sys" "$PKG/hiveguard.pdb" 2>&1); then ok "$out"
else echo "$out"; fail "hiveguard.pdb is not hiveguard.sys's PDB"; fi

# -- the INF -----------------------------------------------------------------------
tr -d '\r' <"$PKG/hiveguard.inf" >"$SCRATCH/inf"
driver_ver=$(sed -n 's/^DriverVer *= *//p' "$SCRATCH/inf")
date_part=${driver_ver%%,*} ver_part=${driver_ver#*,}
if echo "$date_part" | grep -Eq '^(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])/20[0-9][0-9]$' &&
   date -u -d "$(echo "$date_part" | awk -F/ '{ print $3 "-" $1 "-" $2 }')" >/dev/null 2>&1 &&
   echo "$ver_part" | grep -Eq "^$major\\.$minor\\.$patch\\.[0-9]{1,5}\$"; then
    ok "INF DriverVer = $driver_ver"
else
    fail "INF DriverVer '$driver_ver' is not MM/DD/YYYY,$numeric.N"
fi
grep -v '^DriverVer' "$SCRATCH/inf" >"$SCRATCH/inf.rest"
grep -v '^DriverVer' "$ROOT/inf/hiveguard.inf" | tr -d '\r' >"$SCRATCH/inf.repo"
if cmp -s "$SCRATCH/inf.rest" "$SCRATCH/inf.repo"; then ok "INF is the repository's apart from DriverVer"
else fail "INF differs from inf/hiveguard.inf beyond DriverVer"; fi
grep -q '^CatalogFile *= *hiveguard.cat' "$SCRATCH/inf" || fail "INF names no CatalogFile hiveguard.cat"

# -- the rest ---------------------------------------------------------------------------
"${PREFIX}objdump" -p "$PKG/hiveguard-messages.dll" | grep -q 'DLL Name' && fail "hiveguard-messages.dll imports code"
if "${PREFIX}windres" -i "$PKG/hiveguard-messages.dll" -O rc 2>/dev/null | grep -q 'MESSAGETABLE'; then
    ok "hiveguard-messages.dll: resource-only, has a message table"
else fail "hiveguard-messages.dll has no message table"; fi
if unzip -p "$PKG/hiveguard.jar" META-INF/MANIFEST.MF | tr -d '\r' | grep -q '^Main-Class: dev.hiveguard.cli.Main$'; then
    ok "hiveguard.jar Main-Class dev.hiveguard.cli.Main"
else fail "hiveguard.jar has no Main-Class dev.hiveguard.cli.Main"; fi
for p in "$PKG"/policies/*.xml; do
    if command -v xmllint >/dev/null; then
        xmllint --noout "$p" 2>/dev/null || fail "$(basename "$p") is not well-formed XML"
    else
        head -c 64 "$p" | grep -q '^<?xml' || fail "$(basename "$p") does not start with an XML declaration"
    fi
done
if [ -d "$PKG/runtime" ]; then
    if [ -f "$PKG/runtime/bin/java.exe" ] && grep -q '^JAVA_VERSION="17' "$PKG/runtime/release" &&
       grep -q '^OS_NAME="Windows"' "$PKG/runtime/release"; then ok "runtime/: a Windows Java 17 runtime"
    else fail "runtime/ is not a Windows Java 17 runtime"; fi
fi
[ "$(cat "$PKG/VERSION")" = "$VERSION" ] || fail "VERSION file holds '$(cat "$PKG/VERSION")'"
grep -q 'IsInRole(\[Security.Principal.WindowsBuiltInRole\]::Administrator)' "$PKG/install.ps1" ||
    fail "install.ps1 has no elevation check"

# -- the check itself can fail ------------------------------------------------------
cp -r "$PKG" "$SCRATCH/tampered"
printf ';' >>"$SCRATCH/tampered/hiveguard.inf"
if checksums_match "$SCRATCH/tampered"; then fail "a changed INF passed the checksum step"; else ok "a changed INF is caught by SHA256SUMS"; fi

if [ "$failures" -ne 0 ]; then echo "check-release.sh: $failures failure(s) in $ZIP"; exit 1; fi
echo "check-release.sh: $ZIP is complete and consistent"
