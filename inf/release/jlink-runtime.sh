#!/bin/sh
# jlink-runtime.sh JMODS_DIR JAR OUT_DIR
#
# Builds a trimmed Java runtime for the agent: the modules hiveguard.jar needs
# (jdeps --print-module-deps) linked from JMODS_DIR into OUT_DIR.
# For the Windows release, JMODS_DIR is the jmods/ folder of an unpacked
# Windows x64 JDK of the SAME feature version as the jlink that runs here
# (jlink links another platform's modules, but only its own version's);
# build-release.sh puts the result in the zip as runtime/ when
# HG_WINDOWS_JMODS names that folder, and install.ps1 then uses
# runtime\bin\java.exe, so the machine needs no installed Java.
set -eu
[ $# -eq 3 ] || { echo "usage: jlink-runtime.sh JMODS_DIR JAR OUT_DIR" >&2; exit 2; }
JMODS=$1 JAR=$2 OUT=$3
[ -f "$JMODS/java.base.jmod" ] || { echo "jlink-runtime.sh: no java.base.jmod in $JMODS" >&2; exit 2; }
modules=$(jdeps --print-module-deps --ignore-missing-deps --multi-release 17 "$JAR")
[ -n "$modules" ] || { echo "jlink-runtime.sh: jdeps found no modules" >&2; exit 1; }
rm -rf "$OUT"
jlink --module-path "$JMODS" --add-modules "$modules" \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$OUT"
echo "runtime ($modules): $OUT"
