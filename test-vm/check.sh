#!/bin/sh
# check.sh - the Linux-side check of test-vm (no Windows, no QEMU needed):
#   - shellcheck (warnings and errors) on every shell script of test-vm/,
#     inf/ (inf/release/ included);
#   - xmllint: the answer-file template, an answer file rendered by
#     build-base-image.sh --answer-only (no field left), e2e-policy.xml;
#   - run-e2e.sh --dry-run on generated configurations: the CPU model per
#     accelerator (host under kvm, a named model under tcg), 3010 and 194 (3010
#     as ssh reports it) both take the reboot branch, 0 continues, others fail,
#     and bad configurations (unknown ACCEL, -cpu host under tcg, a non-numeric
#     timeout) are refused with exit 2;
#   - junit.sh on sample step logs: well-formed XML with the right counts.
# Part of `mvn -B -Pdist verify` (the README's test command).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
expect() { # expect DESCRIPTION PATTERN FILE
    if grep -Eq "$2" "$3"; then ok "$1"; else fail "$1 (no /$2/ in: $(tr '\n' ' ' <"$3"))"; fi
}
for tool in shellcheck xmllint ssh-keygen; do
    command -v "$tool" >/dev/null || { echo "check.sh: $tool not found (.ci/install-deps)" >&2; exit 2; }
done

# -- shellcheck --------------------------------------------------------------
scripts=$(find "$HERE" "$ROOT/inf" -name '*.sh' | LC_ALL=C sort)
# shellcheck disable=SC2086 # one word per script path (no spaces in the repository's names)
if shellcheck -S warning $scripts >"$TMP/shellcheck.txt" 2>&1; then ok "shellcheck: $(echo "$scripts" | wc -l) scripts"
else cat "$TMP/shellcheck.txt"; fail "shellcheck"; fi

# -- XML ---------------------------------------------------------------------
for x in "$HERE/base/autounattend.xml" "$HERE/guest/e2e-policy.xml"; do
    if xmllint --noout "$x" 2>"$TMP/xml.err"; then ok "well-formed: ${x#"$ROOT"/}"; else cat "$TMP/xml.err"; fail "${x#"$ROOT"/}"; fi
done
ssh-keygen -q -t ed25519 -N '' -f "$TMP/key" >/dev/null
"$HERE/build-base-image.sh" --answer-only "$TMP/answer" --ssh-pubkey "$TMP/key.pub" \
    --image-index 2 --admin-user hgtest --product-key ABCDE-FGHIJ-KLMNO-PQRST-UVWXY >/dev/null
xmllint --noout "$TMP/answer/autounattend.xml" && ok "rendered autounattend.xml is well-formed" || fail "rendered autounattend.xml"
if grep -q '@[A-Z_]*@' "$TMP/answer/autounattend.xml"; then fail "a field left unfilled in the rendered answer file"; else ok "every field filled"; fi
# The values landed where Setup reads them (XPath over the unattend namespace).
ns='//*[local-name()="component"][@name="Microsoft-Windows-Setup"]'
[ "$(xmllint --xpath "string($ns//*[local-name()=\"MetaData\"]/*[local-name()=\"Value\"])" "$TMP/answer/autounattend.xml")" = 2 ] &&
    ok "image index in /IMAGE/INDEX" || fail "image index not in /IMAGE/INDEX"
[ "$(xmllint --xpath 'string(//*[local-name()="LocalAccount"]/*[local-name()="Name"])' "$TMP/answer/autounattend.xml")" = hgtest ] &&
    ok "administrator account name" || fail "administrator account name"
[ "$(xmllint --xpath 'string(//*[local-name()="ProductKey"]/*[local-name()="Key"])' "$TMP/answer/autounattend.xml")" = ABCDE-FGHIJ-KLMNO-PQRST-UVWXY ] &&
    ok "product key element" || fail "product key element"
expect "first logon runs firstlogon.ps1 from the answer media" 'firstlogon\.ps1 -Media' "$TMP/answer/autounattend.xml"
cmp -s "$TMP/answer/authorized_keys" "$TMP/key.pub" && ok "public key on the answer media" || fail "public key on the answer media"
if "$HERE/build-base-image.sh" --answer-only "$TMP/a2" --ssh-pubkey "$TMP/key.pub" --product-key nonsense >/dev/null 2>&1; then
    fail "a malformed product key was accepted"; else ok "a malformed product key is refused"; fi

# -- run-e2e.sh --dry-run ------------------------------------------------------
conf() { # conf FILE ACCEL [EXTRA LINE]
    printf 'BASE_IMAGE=/nonexistent.qcow2\nSSH_USER=hgadmin\nSSH_KEY=/nonexistent\nSSH_PORT=2222\nACCEL=%s\n%s\n' "$2" "${3:-}" >"$1"
}
conf "$TMP/tcg.conf" tcg
HG_VM_CONF="$TMP/tcg.conf" "$HERE/run-e2e.sh" --dry-run "$TMP/art" >"$TMP/tcg.out"
expect "tcg: a named CPU model, not host" '^qemu: .* -machine pc,accel=tcg -cpu Westmere ' "$TMP/tcg.out"
expect "3010 -> reboot" '^testsigning 3010 -> reboot$' "$TMP/tcg.out"
expect "194 (3010 mod 256, over ssh) -> reboot" '^testsigning 194 -> reboot$' "$TMP/tcg.out"
expect "0 -> continue" '^testsigning 0 -> continue$' "$TMP/tcg.out"
expect "1 -> fail" '^testsigning 1 -> fail$' "$TMP/tcg.out"
expect "the overlay disk is under the artifact directory" "file=$TMP/art/run/disk.qcow2,format=qcow2,if=ide" "$TMP/tcg.out"
conf "$TMP/kvm.conf" kvm
HG_VM_CONF="$TMP/kvm.conf" "$HERE/run-e2e.sh" --dry-run "$TMP/art" >"$TMP/kvm.out"
expect "kvm: -cpu host" '^qemu: .* -machine pc,accel=kvm -cpu host ' "$TMP/kvm.out"
conf "$TMP/override.conf" tcg 'QEMU_CPU=Skylake-Client'
HG_VM_CONF="$TMP/override.conf" "$HERE/run-e2e.sh" --dry-run "$TMP/art" >"$TMP/override.out"
expect "QEMU_CPU overrides the model" ' -cpu Skylake-Client ' "$TMP/override.out"
refused() { # refused DESCRIPTION CONF
    rc=0
    HG_VM_CONF="$2" "$HERE/run-e2e.sh" --dry-run "$TMP/art" >"$TMP/refused.out" 2>&1 || rc=$?
    if [ "$rc" -eq 2 ]; then ok "refused: $1"; else fail "not refused ($rc): $1"; fi
}
conf "$TMP/bad1.conf" tcg 'QEMU_CPU=host'
refused "-cpu host under tcg" "$TMP/bad1.conf"
conf "$TMP/bad2.conf" hvf
refused "an unknown ACCEL" "$TMP/bad2.conf"
conf "$TMP/bad3.conf" kvm 'BOOT_TIMEOUT=10m'
refused "a non-numeric timeout" "$TMP/bad3.conf"
refused "a missing vm.conf" "$TMP/none.conf"

# -- junit.sh -----------------------------------------------------------------------
mkdir -p "$TMP/steps"
printf 'ok   install.ps1 exits 0 (0)\r\nFAIL callers released 12.0 s after the kill <x> & "y"\nnoise\n' >"$TMP/steps/run-service.log"
echo 1 >"$TMP/steps/run-service.rc"
echo 'no checks here' >"$TMP/steps/install-driver.log"; echo 0 >"$TMP/steps/install-driver.rc"
echo 'boom' >"$TMP/steps/run-suite.log"; echo 3 >"$TMP/steps/run-suite.rc"
"$HERE/junit.sh" "$TMP/junit.xml" "$TMP/steps/install-driver.log" "$TMP/steps/run-suite.log" \
    "$TMP/steps/run-service.log" "$TMP/steps/collect.log" >/dev/null
if xmllint --noout "$TMP/junit.xml" 2>/dev/null; then ok "junit.xml is well-formed"; else fail "junit.xml is not well-formed"; fi
counts=$(xmllint --xpath 'concat(/testsuites/@tests, " ", /testsuites/@failures, " ", /testsuites/@skipped)' "$TMP/junit.xml")
[ "$counts" = "5 2 1" ] && ok "junit counts: 5 tests, 2 failures, 1 skipped" || fail "junit counts '$counts', want '5 2 1'"
[ "$(xmllint --xpath 'count(//testcase[failure])' "$TMP/junit.xml")" = 2 ] && ok "junit: 2 failed testcases" || fail "junit failed testcases"

if [ "$failures" -ne 0 ]; then echo "test-vm/check.sh: $failures failure(s)"; exit 1; fi
echo "test-vm/check.sh: all passed"
