#!/bin/sh
# sign-test.sh IMAGE OUT_DIR
#
# Test-signs a kernel image from Linux: makes a throw-away code-signing
# certificate with openssl in OUT_DIR (a build directory - keys are never
# committed), signs a copy of IMAGE with osslsigncode (SHA-256 Authenticode,
# page hashes, as Windows' kernel-mode code integrity expects), and verifies
# the signature against that certificate.
#
# Output in OUT_DIR:
#   hiveguard.sys              the signed copy
#   hiveguard-test-signing.cer the certificate (DER), to import into the
#                              test VM's Root and TrustedPublisher stores
#   key.pem / cert.pem         the key pair (reused on later runs)
#
# Limits: this is a TEST signature for machines booted with
# `bcdedit /set testsigning on`. Windows has been reported to refuse some
# osslsigncode-signed kernel images at load (error 577, "Windows cannot
# verify the digital signature") where a signtool signature over the same
# file loads; the VM path (test-vm/) therefore re-signs inside the VM with
# signtool and keeps this script as the Linux-side check that the image is
# signable and the signature verifies.
set -eu
IMAGE=$1
OUT=$2
SUBJECT="/CN=HiveGuard Test Signing (not for production)/O=HiveGuard"
DAYS=90 # short-lived on purpose: a leaked test key stops mattering soon

command -v openssl >/dev/null || { echo "sign-test.sh: openssl not found" >&2; exit 1; }
command -v osslsigncode >/dev/null || { echo "sign-test.sh: osslsigncode not found (apt-get install osslsigncode)" >&2; exit 1; }
[ -f "$IMAGE" ] || { echo "sign-test.sh: no image at $IMAGE" >&2; exit 1; }

mkdir -p "$OUT"
umask 077
if [ ! -f "$OUT/key.pem" ] || [ ! -f "$OUT/cert.pem" ] ||
   ! openssl x509 -in "$OUT/cert.pem" -noout -checkend 86400 >/dev/null 2>&1; then
    openssl req -x509 -newkey rsa:3072 -sha256 -days "$DAYS" -nodes \
        -subj "$SUBJECT" \
        -addext "keyUsage=critical,digitalSignature" \
        -addext "extendedKeyUsage=codeSigning" \
        -addext "basicConstraints=critical,CA:FALSE" \
        -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2>/dev/null
fi
umask 022
openssl x509 -in "$OUT/cert.pem" -outform der -out "$OUT/hiveguard-test-signing.cer"

SIGNED="$OUT/$(basename "$IMAGE")"
rm -f "$SIGNED"
osslsigncode sign -certs "$OUT/cert.pem" -key "$OUT/key.pem" -h sha256 -ph \
    -n "HiveGuard registry guard (test signed)" \
    -in "$IMAGE" -out "$SIGNED" >/dev/null
osslsigncode verify -in "$SIGNED" -CAfile "$OUT/cert.pem" >"$OUT/verify.log" 2>&1 ||
    { cat "$OUT/verify.log"; echo "sign-test.sh: signature does not verify" >&2; exit 1; }
grep -q "Signature verification: ok" "$OUT/verify.log" ||
    { cat "$OUT/verify.log"; echo "sign-test.sh: verify did not report ok" >&2; exit 1; }
echo "signed and verified: $SIGNED"
echo "certificate: $OUT/hiveguard-test-signing.cer ($(openssl x509 -in "$OUT/cert.pem" -noout -fingerprint -sha256))"
