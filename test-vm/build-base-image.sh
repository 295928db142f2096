#!/bin/sh
# build-base-image.sh: makes the test-vm base image unattended.
#
#   test-vm/build-base-image.sh --windows-iso WIN.iso --jdk-msi JDK.msi \
#       --sdk-layout DIR --ssh-pubkey KEY.pub --out IMAGE.qcow2 \
#       [--wdk-layout DIR] [--openssh-msi OpenSSH-Win64.msi] [--image-index N] \
#       [--product-key KEY] [--admin-user NAME] [--disk-size 64G] \
#       [--accel kvm|tcg] [--timeout SECONDS] [--answer-only DIR]
#
# Media the user provides (none is downloaded here):
#   --windows-iso  Windows 10 22H2 x64 or Windows Server 2022 (evaluation is fine)
#   --jdk-msi      a Java 17+ x64 MSI (e.g. Temurin's)
#   --sdk-layout   an offline Windows SDK: `winsdksetup.exe /layout DIR` (signtool)
#   --wdk-layout   optional, an offline WDK: `wdksetup.exe /layout DIR` (Inf2Cat, InfVerif)
#   --openssh-msi  optional, Win32-OpenSSH's MSI; without it the guest adds the
#                  OpenSSH.Server capability from Windows Update (needs internet)
#   --image-index  the edition inside install.wim/esd (default 1; `wiminfo` lists them)
#   --product-key  for non-evaluation media (e.g. the KMS client setup key)
#
# What it does: writes the answer files (autounattend.xml with the fields filled
# in, firstlogon.ps1, base-image.conf, the public key) and the media into a
# directory, makes an ISO of it (genisoimage or xorriso), creates IMAGE (qcow2),
# and boots QEMU with the Windows ISO and the answer ISO: Setup installs without
# questions, the first logon runs firstlogon.ps1, which powers the VM off when the
# image is ready. Then the image is booted once more, headless, and checked over
# SSH (sshd, java -version, signtool present) before it is called done.
# Settings match run-e2e.sh: legacy BIOS (no Secure Boot), IDE disk, e1000 NIC.
#
# --answer-only DIR: write the answer files into DIR and stop (no ISO, no VM);
# test-vm/check.sh uses it to check the rendered answer file on Linux.
#
# The administrator's password is random, written to IMAGE.password (mode 600);
# the harness logs in with the SSH key.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,12p' "$0" >&2; exit 2; }

WIN_ISO='' JDK_MSI='' SDK_DIR='' WDK_DIR='' OPENSSH_MSI='' PUBKEY='' OUT='' ANSWER_ONLY=''
IMAGE_INDEX=1 PRODUCT_KEY='' ADMIN_USER=hgadmin DISK_SIZE=64G ACCEL=kvm TIMEOUT=7200
MEMORY_MB=${MEMORY_MB:-4096} CPUS=${CPUS:-2} QEMU=${QEMU:-qemu-system-x86_64} SSH_PORT=${SSH_PORT:-2299}
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case $1 in
        --windows-iso) WIN_ISO=$2 ;;
        --jdk-msi) JDK_MSI=$2 ;;
        --sdk-layout) SDK_DIR=$2 ;;
        --wdk-layout) WDK_DIR=$2 ;;
        --openssh-msi) OPENSSH_MSI=$2 ;;
        --ssh-pubkey) PUBKEY=$2 ;;
        --out) OUT=$2 ;;
        --image-index) IMAGE_INDEX=$2 ;;
        --product-key) PRODUCT_KEY=$2 ;;
        --admin-user) ADMIN_USER=$2 ;;
        --disk-size) DISK_SIZE=$2 ;;
        --accel) ACCEL=$2 ;;
        --timeout) TIMEOUT=$2 ;;
        --answer-only) ANSWER_ONLY=$2 ;;
        *) echo "build-base-image.sh: unknown option $1" >&2; usage ;;
    esac
    shift 2
done

die() { echo "build-base-image.sh: $*" >&2; exit 2; }
case $IMAGE_INDEX in ''|*[!0-9]*) die "--image-index must be a number" ;; esac
case $TIMEOUT in ''|*[!0-9]*) die "--timeout must be a number of seconds" ;; esac
case $ACCEL in kvm|tcg) ;; *) die "--accel must be kvm or tcg" ;; esac
echo "$ADMIN_USER" | grep -Eq '^[A-Za-z][A-Za-z0-9_-]{0,19}$' || die "--admin-user must be 1-20 letters, digits, _ or -"
[ -z "$PRODUCT_KEY" ] || echo "$PRODUCT_KEY" | grep -Eq '^([A-Z0-9]{5}-){4}[A-Z0-9]{5}$' ||
    die "--product-key must look like XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"
[ -f "${PUBKEY:-/nonexistent}" ] || die "--ssh-pubkey FILE is required"
grep -Eq '^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+) ' "$PUBKEY" || die "$PUBKEY is not an OpenSSH public key"
if [ -z "$ANSWER_ONLY" ]; then
    [ -f "${WIN_ISO:-/nonexistent}" ] || die "--windows-iso FILE is required"
    [ -f "${JDK_MSI:-/nonexistent}" ] || die "--jdk-msi FILE is required"
    [ -f "${SDK_DIR:-/nonexistent}/winsdksetup.exe" ] || die "--sdk-layout DIR (with winsdksetup.exe) is required"
    [ -z "$WDK_DIR" ] || [ -f "$WDK_DIR/wdksetup.exe" ] || die "--wdk-layout $WDK_DIR has no wdksetup.exe"
    [ -z "$OPENSSH_MSI" ] || [ -f "$OPENSSH_MSI" ] || die "--openssh-msi $OPENSSH_MSI not found"
    [ -n "$OUT" ] || die "--out IMAGE.qcow2 is required"
    [ ! -e "$OUT" ] || die "$OUT exists; the base image is never overwritten"
    for tool in "$QEMU" qemu-img ssh; do command -v "$tool" >/dev/null || die "$tool not found"; done
    if command -v genisoimage >/dev/null; then MKISO=genisoimage
    elif command -v xorriso >/dev/null; then MKISO=xorriso
    else die "genisoimage or xorriso is needed (apt-get install genisoimage)"; fi
    if [ "$ACCEL" = kvm ] && [ ! -w /dev/kvm ]; then die "/dev/kvm not writable (group kvm, or --accel tcg)"; fi
fi

# A random password: Windows wants upper, lower and digit; the harness uses the key.
PASSWORD="Hg$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')9"

render_answer() { # render_answer DIR
    mkdir -p "$1"
    key_xml=
    [ -z "$PRODUCT_KEY" ] || key_xml="<ProductKey><Key>$PRODUCT_KEY</Key><WillShowUI>Never</WillShowUI></ProductKey>"
    sed -e "s|@IMAGE_INDEX@|$IMAGE_INDEX|g" -e "s|@ADMIN_USER@|$ADMIN_USER|g" \
        -e "s|@ADMIN_PASSWORD@|$PASSWORD|g" -e "s|@PRODUCT_KEY_XML@|$key_xml|g" \
        "$HERE/base/autounattend.xml" >"$1/autounattend.xml"
    if grep -q '@[A-Z_]*@' "$1/autounattend.xml"; then die "unfilled field in autounattend.xml"; fi
    cp "$HERE/base/firstlogon.ps1" "$1/"
    cp "$PUBKEY" "$1/authorized_keys"
    printf 'IMAGE_INDEX=%s\nADMIN_USER=%s\n' "$IMAGE_INDEX" "$ADMIN_USER" >"$1/base-image.conf"
}

if [ -n "$ANSWER_ONLY" ]; then
    render_answer "$ANSWER_ONLY"
    echo "answer files: $ANSWER_ONLY"
    exit 0
fi

WORK=$(mktemp -d)
QEMU_PID=
cleanup() {
    [ -z "$QEMU_PID" ] || kill "$QEMU_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ANSWER="$WORK/answer"
render_answer "$ANSWER"
cp "$JDK_MSI" "$ANSWER/"
[ -z "$OPENSSH_MSI" ] || cp "$OPENSSH_MSI" "$ANSWER/"
cp -r "$SDK_DIR" "$ANSWER/sdk"
[ -z "$WDK_DIR" ] || cp -r "$WDK_DIR" "$ANSWER/wdk"
if [ "$MKISO" = genisoimage ]; then
    genisoimage -quiet -J -R -joliet-long -udf -allow-limited-size -V HGANSWER -o "$WORK/answer.iso" "$ANSWER"
else
    xorriso -as mkisofs -quiet -J -R -joliet-long -V HGANSWER -o "$WORK/answer.iso" "$ANSWER"
fi

qemu-img create -q -f qcow2 "$OUT" "$DISK_SIZE"
umask 077
printf '%s\n' "$PASSWORD" >"$OUT.password"
umask 022
cpu=host
[ "$ACCEL" = kvm ] || cpu=Westmere

run_qemu() { # run_qemu EXTRA_ARGS...: starts QEMU in the background, sets QEMU_PID
    "$QEMU" -machine "pc,accel=$ACCEL" -cpu "$cpu" -smp "$CPUS" -m "$MEMORY_MB" \
        -drive "file=$OUT,format=qcow2,if=ide,index=0" \
        -nic "user,model=e1000,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22" \
        -display none -serial "file:$OUT.serial.log" "$@" &
    QEMU_PID=$!
}
wait_exit() { # wait_exit SECONDS: 0 when QEMU exited (the guest powered off) in time
    end=$(( $(date +%s) + $1 ))
    while kill -0 "$QEMU_PID" 2>/dev/null; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 10
    done
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=
}

echo "installing Windows into $OUT (unattended; up to ${TIMEOUT}s)"
# Boot order: the empty disk first falls through to the Windows CD; after Setup's
# first reboot the disk boots, so the CD's "press any key" prompt never matters.
run_qemu -drive "file=$WIN_ISO,media=cdrom,if=ide,index=1,readonly=on" \
         -drive "file=$WORK/answer.iso,media=cdrom,if=ide,index=2,readonly=on" -boot order=cd
wait_exit "$TIMEOUT" || die "the guest did not power off within ${TIMEOUT}s; $OUT is unfinished (C:\\hg-firstlogon.log in the guest says why)"

echo "checking the image over SSH"
run_qemu
SSH="ssh -i ${PUBKEY%.pub} -p $SSH_PORT -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10"
end=$(( $(date +%s) + 900 ))
until $SSH "$ADMIN_USER@127.0.0.1" 'exit 0' >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || die "no SSH answer from the new image within 900s"
    sleep 10
done
# shellcheck disable=SC2016 # PowerShell expressions, evaluated in the guest
$SSH "$ADMIN_USER@127.0.0.1" '(Get-Service sshd).StartType; java -version 2>&1 | Select-Object -First 1; if (-not (Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin" -Recurse -Filter signtool.exe)) { exit 1 }; Get-Content C:\hg-base-image.txt; shutdown /s /t 0' ||
    die "the image is missing sshd, java or signtool"
wait_exit 300 || die "the check boot did not power off"
echo "base image ready: $OUT (set BASE_IMAGE in test-vm/vm.conf)"
