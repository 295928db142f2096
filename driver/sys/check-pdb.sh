#!/bin/sh
# check-pdb.sh OBJDUMP IMAGE PDB
#
# Fails unless PDB is the symbol file WinDbg will load for IMAGE: the
# image's CodeView (RSDS) debug record names "<basename of PDB>" - a bare
# file name, no build-machine path - and its GUID and age are the PDB's, and
# the PDB has the public symbol DriverEntry and type information.
set -eu
OBJDUMP=$1 IMAGE=$2 PDB=$3
PDBUTIL=${LLVM_PDBUTIL:-llvm-pdbutil}
fail=0
rsds=$("$OBJDUMP" -p "$IMAGE" | sed -n 's/.*(format RSDS signature \([0-9a-f]*\) age \([0-9]*\) pdb \(.*\))$/\1 \2 \3/p')
[ -n "$rsds" ] || { echo "FAIL: $IMAGE has no CodeView (RSDS) debug record"; exit 1; }
set -- $rsds
img_guid=$(echo "$1" | tr '[:lower:]' '[:upper:]') img_age=$2 img_pdb=$3
summary=$("$PDBUTIL" dump -summary "$PDB")
pdb_guid=$(echo "$summary" | sed -n 's/^ *GUID: {\(.*\)}$/\1/p' | tr -d '-')
pdb_age=$(echo "$summary" | sed -n 's/^ *Age: //p')
[ "$img_pdb" = "$(basename "$PDB")" ] || { echo "FAIL: $IMAGE names PDB '$img_pdb', not $(basename "$PDB")"; fail=1; }
[ "$img_guid" = "$pdb_guid" ] || { echo "FAIL: PDB GUID $pdb_guid is not the image's $img_guid"; fail=1; }
[ "$img_age" = "$pdb_age" ] || { echo "FAIL: PDB age $pdb_age is not the image's $img_age"; fail=1; }
echo "$summary" | grep -q 'Has Types: true' || { echo "FAIL: $PDB has no type information"; fail=1; }
"$PDBUTIL" dump -publics "$PDB" | grep -q '`DriverEntry`' || { echo "FAIL: $PDB has no DriverEntry public symbol"; fail=1; }
[ $fail -eq 0 ] && echo "$(basename "$IMAGE"): PDB $img_pdb matches (GUID $img_guid, age $img_age)"
exit $fail
