# enable-verifier.ps1 - guest step 1b: Driver Verifier, standard settings, on
# hiveguard.sys, for every later step (the INF install, the real suite, the
# agent service). Verifier settings take effect at the next boot, so like
# enable-testsigning.ps1 this exits 3010 when it changed them and run-e2e.sh
# reboots the guest (one reboot for both). A verifier finding is a bugcheck:
# collect.ps1 fetches the dump, and any dump fails the run.
#
# Exit codes: 0 = already active for hiveguard.sys, 3010 = set, reboot needed, 1 = failed.
$ErrorActionPreference = 'Stop'
try {
    $settings = (verifier.exe /querysettings) -join "`n"
    # After a reboot the driver list and the standard flags are both in effect.
    if ($settings -match '(?im)^\s*hiveguard\.sys\s*$' -and $settings -match '(?i)Special pool:\s*Enabled') {
        Write-Output 'Driver Verifier already on for hiveguard.sys (standard settings)'
        exit 0
    }
    verifier.exe /standard /driver hiveguard.sys | Write-Output
    # Its exit code differs between Windows builds when a reboot is pending, so
    # the settings it wrote are the check.
    $after = (verifier.exe /querysettings) -join "`n"
    Write-Output $after
    if ($after -notmatch '(?im)^\s*hiveguard\.sys\s*$') { throw "verifier /standard did not take hiveguard.sys (exit $LASTEXITCODE)" }
    Write-Output 'Driver Verifier set for hiveguard.sys; reboot required'
    exit 3010
} catch {
    Write-Error $_
    exit 1
}
