# enable-testsigning.ps1 - guest step 1: allow test-signed kernel images.
#
# `bcdedit /set testsigning on` takes effect at the next boot and only when
# Secure Boot is off (the VM boots SeaBIOS, so it is). Also turns on kernel
# DbgPrint output for every component (Debug Print Filter), so DebugView or a
# kernel debugger sees the driver's "HiveGuard:" lines, and makes sure a
# bugcheck leaves a minidump for collect.ps1.
#
# Exit codes: 0 = already active, 3010 = changed, reboot needed, 1 = failed.
$ErrorActionPreference = 'Stop'
try {
    $bcd = (bcdedit /enum '{current}') -join "`n"
    $already = $bcd -match 'testsigning\s+Yes'

    $filter = 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Debug Print Filter'
    New-Item -Path $filter -Force | Out-Null
    New-ItemProperty -Path $filter -Name DEFAULT -PropertyType DWord -Value 0xffffffff -Force | Out-Null

    $crash = 'HKLM:\SYSTEM\CurrentControlSet\Control\CrashControl'
    Set-ItemProperty -Path $crash -Name CrashDumpEnabled -Value 3   # small memory dump
    Set-ItemProperty -Path $crash -Name MinidumpDir -Value '%SystemRoot%\Minidump'
    Set-ItemProperty -Path $crash -Name AutoReboot -Value 1

    if ($already) {
        Write-Output 'test signing already on'
        exit 0
    }
    bcdedit /set testsigning on | Write-Output
    if ($LASTEXITCODE -ne 0) { throw "bcdedit failed ($LASTEXITCODE); is Secure Boot on?" }
    Write-Output 'test signing enabled; reboot required'
    exit 3010
} catch {
    Write-Error $_
    exit 1
}
