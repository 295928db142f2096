#!/bin/sh
# run-e2e.sh [ARTIFACT_DIR]
#
# Brings up a throw-away test-signed Windows VM (QEMU/KVM, overlay over a
# base image made by build-base-image.sh), turns on test signing and Driver
# Verifier (standard settings) for hiveguard.sys, installs the release
# package's hiveguard.sys through its INF and runs the real-registry suite
# (hgwinetest.exe --real); with WITH_AGENT=1 (default) also the agent in the
# foreground and the release zip installed by its install.ps1 with the agent
# as the HiveGuardAgent service, then uninstall.ps1. Collects logs, STATS,
# audit files and any crash dumps into ARTIFACT_DIR (default:
# driver/build/vm-artifacts), writes ARTIFACT_DIR/junit.xml and powers off.
#
# Exit status: 0 only if every guest step passed and no dump was found.
# --dry-run: print the resolved configuration and plan, touch nothing.
# See README.md for the prerequisites and the one-time base image.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DRY_RUN=0
if [ "${1:-}" = --dry-run ]; then DRY_RUN=1; shift; fi
ART=${1:-$ROOT/driver/build/vm-artifacts}
CONF=${HG_VM_CONF:-$HERE/vm.conf}

# What an exit status of enable-testsigning.ps1 means. The script exits 3010
# (ERROR_SUCCESS_REBOOT_REQUIRED) when it turned test signing on; a process
# exit status that crosses ssh is truncated to 8 bits, so the host sees
# 3010 mod 256 = 194. Both mean "reboot, then go on".
testsigning_action() { # testsigning_action STATUS -> continue | reboot | fail
    case $1 in
        0) echo continue ;;
        3010|194) echo reboot ;;
        *) echo fail ;;
    esac
}
# The CPU QEMU emulates. `-cpu host` passes the host CPU through and exists
# only with KVM; under TCG a named model is needed. Westmere has what 64-bit
# Windows 10/11 checks at boot (CMPXCHG16B, LAHF/SAHF, POPCNT, SSE4.2) and
# nothing TCG cannot emulate (no AVX), so QEMU prints no "feature not
# supported" warnings. QEMU_CPU in vm.conf overrides either choice.
default_cpu() { # default_cpu ACCEL
    case $1 in
        kvm) echo host ;;
        *) echo Westmere ;;
    esac
}

[ -f "$CONF" ] || { echo "run-e2e.sh: no $CONF (copy vm.conf.example)" >&2; exit 2; }
# shellcheck disable=SC1090
. "$CONF"
: "${BASE_IMAGE:?}" "${SSH_USER:?}" "${SSH_KEY:?}" "${SSH_PORT:?}"
MEMORY_MB=${MEMORY_MB:-4096} CPUS=${CPUS:-2} QEMU=${QEMU:-qemu-system-x86_64} ACCEL=${ACCEL:-kvm}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600} SUITE_TIMEOUT=${SUITE_TIMEOUT:-900} SHUTDOWN_TIMEOUT=${SHUTDOWN_TIMEOUT:-180}
WITH_AGENT=${WITH_AGENT:-1}

QEMU_CPU=${QEMU_CPU:-$(default_cpu "$ACCEL")}
case $ACCEL in
    kvm|tcg) ;;
    *) echo "run-e2e.sh: ACCEL must be kvm or tcg, not '$ACCEL'" >&2; exit 2 ;;
esac
if [ "$ACCEL" = tcg ] && [ "$QEMU_CPU" = host ]; then
    echo "run-e2e.sh: QEMU_CPU=host needs KVM; under ACCEL=tcg name a model (e.g. Westmere)" >&2; exit 2
fi
for n in "$MEMORY_MB" "$CPUS" "$SSH_PORT" "$BOOT_TIMEOUT" "$SUITE_TIMEOUT" "$SHUTDOWN_TIMEOUT"; do
    case $n in
        ''|*[!0-9]*) echo "run-e2e.sh: '$n' in $CONF is not a whole number" >&2; exit 2 ;;
    esac
done
case $WITH_AGENT in 0|1) ;; *) echo "run-e2e.sh: WITH_AGENT must be 0 or 1" >&2; exit 2 ;; esac

qemu_command() { # qemu_command RUNNER: RUNNER is `command` to start QEMU, `echo` to print it
    # i440fx + IDE + e1000: inbox Windows drivers, no virtio media needed.
    # SeaBIOS boot: no Secure Boot, so `bcdedit /set testsigning on` takes effect.
    "$1" "$QEMU" -machine "pc,accel=$ACCEL" -cpu "$QEMU_CPU" -smp "$CPUS" -m "$MEMORY_MB" \
        -drive "file=$DISK,format=qcow2,if=ide" \
        -nic "user,model=e1000,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22" \
        -display none -serial "file:$RUN/serial.log" -daemonize -pidfile "$PIDFILE"
}
RUN="$ART/run"
STAGE="$RUN/stage"
DISK="$RUN/disk.qcow2"
PIDFILE="$RUN/qemu.pid"

# --dry-run: print the resolved configuration, the QEMU command and how each
# enable-testsigning.ps1 status is handled, then stop - no tool, image or VM
# is touched. The Linux-side check (test-vm/check.sh) runs this.
if [ "$DRY_RUN" = 1 ]; then
    echo "conf=$CONF"
    echo "accel=$ACCEL cpu=$QEMU_CPU memory_mb=$MEMORY_MB cpus=$CPUS ssh=$SSH_USER@127.0.0.1:$SSH_PORT"
    echo "timeouts boot=$BOOT_TIMEOUT suite=$SUITE_TIMEOUT shutdown=$SHUTDOWN_TIMEOUT with_agent=$WITH_AGENT"
    echo "qemu: $(qemu_command echo)"
    for rc in 0 3010 194 1 255; do echo "testsigning $rc -> $(testsigning_action "$rc")"; done
    exit 0
fi

for tool in "$QEMU" qemu-img ssh scp make; do
    command -v "$tool" >/dev/null || { echo "run-e2e.sh: $tool not found" >&2; exit 2; }
done
[ -f "$BASE_IMAGE" ] || { echo "run-e2e.sh: base image $BASE_IMAGE not found" >&2; exit 2; }
if [ "$ACCEL" = kvm ] && [ ! -w /dev/kvm ]; then
    echo "run-e2e.sh: /dev/kvm not writable (add yourself to group kvm, or ACCEL=tcg)" >&2; exit 2
fi

rm -rf "$ART"
mkdir -p "$STAGE"

# ---- build ---------------------------------------------------------------
# The release package exactly as shipped (mvn -Pdist package builds and checks
# it), plus the test client hgwinetest.exe (--real suite and registry helper).
if [ "$WITH_AGENT" = 1 ]; then
    (cd "$ROOT" && mvn -B -q -Pdist -DskipTests package) >"$ART/build.log" 2>&1 ||
        { cat "$ART/build.log"; echo "run-e2e.sh: release package did not build" >&2; exit 1; }
    ZIP=$(find "$ROOT/target" -maxdepth 1 -name 'hiveguard-*-windows-x64.zip' | head -n 1)
    [ -n "$ZIP" ] || { echo "run-e2e.sh: no release zip in target/" >&2; exit 1; }
    cp "$ZIP" "$STAGE/"
    # The INF path, the real suite and run-agent.ps1 use the zip's driver image and jar.
    unzip -q -j -o "$ZIP" '*/hiveguard.sys' '*/hiveguard.inf' '*/hiveguard.jar' -d "$STAGE"
else
    make -C "$ROOT/driver" sys-pdb >"$ART/build.log" 2>&1 || { cat "$ART/build.log"; exit 1; }
    cp "$ROOT/driver/build/sys/pdb/hiveguard.sys" "$ROOT/inf/hiveguard.inf" "$STAGE/"
fi
SYS_OUT="$ROOT/driver/build/sys"
make -C "$ROOT/driver" "$SYS_OUT/hgwinetest.exe" >>"$ART/build.log" 2>&1 || { cat "$ART/build.log"; exit 1; }
cp "$SYS_OUT/hgwinetest.exe" "$STAGE/"
cp "$HERE"/guest/*.ps1 "$HERE"/guest/*.xml "$STAGE/"

# ---- VM ------------------------------------------------------------------
qemu-img create -q -f qcow2 -F qcow2 -b "$BASE_IMAGE" "$DISK"

SSH_OPTS="-i $SSH_KEY -p $SSH_PORT -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 -o ServerAliveInterval=15"
SCP_OPTS="-i $SSH_KEY -P $SSH_PORT -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10"
guest() { # guest TIMEOUT_SECONDS POWERSHELL_COMMAND...
    t=$1; shift
    # shellcheck disable=SC2086
    timeout "$t" ssh $SSH_OPTS "$SSH_USER@127.0.0.1" "$@"
}
wait_ssh() {
    end=$(( $(date +%s) + BOOT_TIMEOUT ))
    while [ "$(date +%s)" -lt "$end" ]; do
        guest 20 'exit 0' >/dev/null 2>&1 && return 0
        sleep 5
    done
    echo "run-e2e.sh: guest SSH did not answer within ${BOOT_TIMEOUT}s" >&2
    return 1
}
wait_ssh_down() {
    end=$(( $(date +%s) + SHUTDOWN_TIMEOUT ))
    while [ "$(date +%s)" -lt "$end" ]; do
        guest 10 'exit 0' >/dev/null 2>&1 || return 0
        sleep 3
    done
    return 1
}
stop_vm() {
    [ -f "$PIDFILE" ] || return 0
    pid=$(cat "$PIDFILE")
    guest 30 'shutdown /s /t 0' >/dev/null 2>&1 || true
    end=$(( $(date +%s) + SHUTDOWN_TIMEOUT ))
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 2; done
    kill "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
}
trap stop_vm EXIT INT TERM

qemu_command command
wait_ssh

# ---- guest ---------------------------------------------------------------
guest 60 'Remove-Item -Recurse -Force C:\hiveguard -ErrorAction SilentlyContinue; New-Item -ItemType Directory C:\hiveguard | Out-Null'
# shellcheck disable=SC2086
timeout 300 scp $SCP_OPTS "$STAGE"/* "$SSH_USER@127.0.0.1:C:/hiveguard/"

# Every step's output goes to steps/NAME.log and its status to steps/NAME.rc;
# junit.sh turns them into junit.xml. A step that does not run leaves no .rc.
STEPS="$ART/steps"
mkdir -p "$STEPS"
step() { # step NAME TIMEOUT: runs C:\hiveguard\NAME.ps1, returns its status
    name=$1 t=$2 src=0
    echo "== $name"
    # shellcheck disable=SC2016 # $LASTEXITCODE is PowerShell's, expanded in the guest
    guest "$t" "powershell -NoProfile -ExecutionPolicy Bypass -File C:\\hiveguard\\$name.ps1; exit \$LASTEXITCODE" \
        >"$STEPS/$name.log" 2>&1 || src=$?
    cat "$STEPS/$name.log"
    echo "$src" >"$STEPS/$name.rc"
    return "$src"
}

status=0
# Test signing and Driver Verifier both take effect at the next boot: one reboot.
reboot_needed=0
for prep in enable-testsigning enable-verifier; do
    rc=0
    step "$prep" 120 || rc=$?
    case $(testsigning_action "$rc") in
        reboot) reboot_needed=1; echo 0 >"$STEPS/$prep.rc" ;;
        fail) echo "$prep.ps1 failed ($rc)"; status=1 ;;
    esac
done
if [ $status -eq 0 ] && [ $reboot_needed -eq 1 ]; then
    echo "rebooting the guest (test signing / Driver Verifier)"
    guest 30 'shutdown /r /t 0' || true
    wait_ssh_down || true
    wait_ssh
fi

[ $status -eq 0 ] && { step install-driver "$SUITE_TIMEOUT" || { echo "install-driver.ps1 failed"; status=1; }; }
[ $status -eq 0 ] && { step run-suite "$SUITE_TIMEOUT" || { echo "run-suite.ps1 failed"; status=1; }; }
if [ $status -eq 0 ] && [ "$WITH_AGENT" = 1 ]; then
    step run-agent "$SUITE_TIMEOUT" || { echo "run-agent.ps1 failed"; status=1; }
    step run-service "$SUITE_TIMEOUT" || { echo "run-service.ps1 failed"; status=1; }
fi

# Always collect, pass or fail.
step collect 300 || true
# shellcheck disable=SC2086
timeout 600 scp $SCP_OPTS "$SSH_USER@127.0.0.1:C:/hiveguard/artifacts.zip" "$ART/" || echo "could not fetch artifacts.zip"
[ -f "$ART/artifacts.zip" ] && command -v unzip >/dev/null && unzip -q -o "$ART/artifacts.zip" -d "$ART/guest"
cp "$RUN/serial.log" "$ART/" 2>/dev/null || true

[ -f "$ART/guest/real-suite.txt" ] && tail -n 1 "$ART/guest/real-suite.txt"
# A bugcheck (a Driver Verifier finding among them) fails the run even if every step passed.
if [ -d "$ART/guest/dumps" ] && [ -n "$(find "$ART/guest/dumps" -type f 2>/dev/null)" ]; then
    echo "crash dump(s) collected: $(find "$ART/guest/dumps" -type f | tr '\n' ' ')"
    printf 'FAIL a bugcheck happened (dumps/ in the artifacts)\n' >"$STEPS/crash-dumps.log"
    echo 1 >"$STEPS/crash-dumps.rc"
    status=1
fi
set -- "$STEPS/enable-testsigning.log" "$STEPS/enable-verifier.log" "$STEPS/install-driver.log" \
    "$STEPS/run-suite.log" "$STEPS/run-agent.log" "$STEPS/run-service.log" "$STEPS/collect.log"
[ -f "$STEPS/crash-dumps.rc" ] && set -- "$@" "$STEPS/crash-dumps.log"
"$HERE/junit.sh" "$ART/junit.xml" "$@"
echo "artifacts: $ART"
exit $status
