#!/bin/sh
# build-release.sh VERSION JAR TARGET_DIR
#
# Builds the Windows release package TARGET_DIR/hiveguard-VERSION-windows-x64.zip
# (run by `mvn -B -Pdist package` after the jar is shaded; see README.md
# "Release package") and, when gcab is installed, the unsigned attestation
# CAB TARGET_DIR/hiveguard-VERSION-attestation.cab for Partner Center.
#
# The zip holds one folder, hiveguard-VERSION-windows-x64/, with:
#   hiveguard.sys               release image (clang + lld build, make sys-pdb),
#                               VERSIONINFO = VERSION, TEST-signed (throw-away
#                               certificate, inf/sign-test.sh)
#   hiveguard-test-signing.cer  that certificate, for test machines only
#   hiveguard.pdb               the image's symbols for WinDbg (GUID/age match)
#   hiveguard.inf               DriverVer stamped with the build date and version
#   hiveguard-messages.dll      the Event Log message table
#   hiveguard.jar               the agent (install, service, run, ...)
#   policies/*.xml              the shipped policies (audit-only is install's default)
#   install.ps1 uninstall.ps1   install/upgrade and removal (inf/README.md)
#   README.md                   inf/README.md: install, upgrade, removal, signing
#   VERSION                     the version, one line
#   runtime/                    only with HG_WINDOWS_JMODS: a jlink Java runtime
#   SHA256SUMS                  sha256sum of every other file
# No hiveguard.cat: a catalog is made on Windows (Inf2Cat, WDK) or by
# Microsoft's attestation signing; see inf/README.md "Catalog".
#
# Environment: HG_BUILD_NUMBER (4th version field, default 0), HG_WINDOWS_JMODS
# (a Windows x64 JDK 17's jmods/ folder: adds runtime/),
# SOURCE_DATE_EPOCH (the DriverVer date and the zip's timestamps; default now).
set -eu
[ $# -eq 3 ] || { echo "usage: build-release.sh VERSION JAR TARGET_DIR" >&2; exit 2; }
VERSION=$1 JAR=$2 TARGET=$3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_NUMBER=${HG_BUILD_NUMBER:-0}
EPOCH=${SOURCE_DATE_EPOCH:-$(date +%s)}

case $VERSION in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *) echo "build-release.sh: version '$VERSION' is not MAJOR.MINOR.PATCH[-QUALIFIER]" >&2; exit 2 ;;
esac
[ -f "$JAR" ] || { echo "build-release.sh: no agent jar at $JAR" >&2; exit 2; }
for tool in make zip sha256sum osslsigncode openssl clang ld.lld llvm-pdbutil; do
    command -v "$tool" >/dev/null || { echo "build-release.sh: $tool not found (.ci/install-deps)" >&2; exit 2; }
done

NAME="hiveguard-$VERSION-windows-x64"
WORK="$TARGET/dist"
BUILD="$WORK/build"
STAGE="$WORK/$NAME"
ZIP="$TARGET/$NAME.zip"
rm -rf "$WORK" "$ZIP"
mkdir -p "$STAGE/policies"

# A build directory of its own: the version is compiled into the images, and a
# developer's driver/build keeps its 0.0.0-dev images.
make -s -C "$ROOT/driver" BUILD="$BUILD" HG_VERSION="$VERSION" HG_BUILD_NUMBER="$BUILD_NUMBER" \
    sys-pdb eventlog >"$WORK/make.log" 2>&1 ||
    { cat "$WORK/make.log"; echo "build-release.sh: driver build failed" >&2; exit 1; }
"$ROOT/inf/sign-test.sh" "$BUILD/sys/pdb/hiveguard.sys" "$BUILD/signing" >"$WORK/sign.log" 2>&1 ||
    { cat "$WORK/sign.log"; echo "build-release.sh: test signing failed" >&2; exit 1; }

cp "$BUILD/signing/hiveguard.sys" "$BUILD/signing/hiveguard-test-signing.cer" "$STAGE/"
cp "$BUILD/sys/pdb/hiveguard.pdb" "$BUILD/eventlog/hiveguard-messages.dll" "$STAGE/"
cp "$JAR" "$STAGE/hiveguard.jar"
cp "$ROOT"/java/src/main/resources/policies/*.xml "$STAGE/policies/"
cp "$HERE/install.ps1" "$HERE/uninstall.ps1" "$STAGE/"
cp "$ROOT/inf/README.md" "$STAGE/README.md"
printf '%s\n' "$VERSION" >"$STAGE/VERSION"
# Optional: a Windows Java runtime in runtime/ (inf/release/jlink-runtime.sh).
if [ -n "${HG_WINDOWS_JMODS:-}" ]; then
    "$HERE/jlink-runtime.sh" "$HG_WINDOWS_JMODS" "$JAR" "$STAGE/runtime"
    [ -f "$STAGE/runtime/bin/java.exe" ] ||
        { echo "build-release.sh: $HG_WINDOWS_JMODS is not a Windows JDK's jmods (no runtime/bin/java.exe)" >&2; exit 1; }
fi

# DriverVer = MM/DD/YYYY,w.x.y.z: the date Windows compares first when it ranks
# driver packages, then the four-part version (the pom version's numbers and
# the build number). UTC, so every builder stamps the same day.
numeric=${VERSION%%-*}
driver_ver="$(date -u -d "@$EPOCH" +%m/%d/%Y),$numeric.$BUILD_NUMBER"
sed "s|^DriverVer *=.*|DriverVer   = $driver_ver|" "$ROOT/inf/hiveguard.inf" >"$STAGE/hiveguard.inf"
grep -q "^DriverVer   = $driver_ver\$" "$STAGE/hiveguard.inf" ||
    { echo "build-release.sh: DriverVer was not stamped" >&2; exit 1; }

# Windows tools expect CRLF in INF and PowerShell files edited by people on Windows.
for f in hiveguard.inf install.ps1 uninstall.ps1; do
    sed -i 's/\r*$/\r/' "$STAGE/$f"
done

# Same timestamps on every file: the zip depends only on the inputs and EPOCH.
find "$STAGE" -exec touch -h -d "@$EPOCH" {} +
(cd "$STAGE" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum) >"$WORK/SHA256SUMS"
mv "$WORK/SHA256SUMS" "$STAGE/SHA256SUMS"
touch -d "@$EPOCH" "$STAGE/SHA256SUMS"
(cd "$WORK" && find "$NAME" | LC_ALL=C sort | TZ=UTC zip -q -X -D "$ZIP" -@)
echo "release package: $ZIP"

# The attestation submission: the UNSIGNED image, the INF and the PDB in a
# CAB, to be signed with the company's EV certificate and uploaded to Partner
# Center (inf/README.md "Attestation signing"). gcab is optional here.
if command -v gcab >/dev/null; then
    CAB_DIR="$WORK/attestation/hiveguard"
    mkdir -p "$CAB_DIR"
    cp "$BUILD/sys/pdb/hiveguard.sys" "$BUILD/sys/pdb/hiveguard.pdb" "$STAGE/hiveguard.inf" "$CAB_DIR/"
    rm -f "$TARGET/hiveguard-$VERSION-attestation.cab"
    (cd "$WORK/attestation" && gcab -c -z "$TARGET/hiveguard-$VERSION-attestation.cab" \
        hiveguard/hiveguard.inf hiveguard/hiveguard.sys hiveguard/hiveguard.pdb)
    echo "attestation CAB (unsigned): $TARGET/hiveguard-$VERSION-attestation.cab"
else
    echo "gcab not found: no attestation CAB (apt-get install gcab)"
fi
