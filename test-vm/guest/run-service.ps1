# run-service.ps1 - guest step 5: the release package installed by its own
# install.ps1, the agent as the HiveGuardAgent service, and uninstall.ps1.
#
# Needs java (17+) on PATH (the base image's first-logon script installs it) and,
# in C:\hiveguard, the release zip (hiveguard-*-windows-x64.zip, from
# `mvn -Pdist package`) and hgwinetest.exe (the registry helper). Checks, as the
# SCM and Windows see them:
#   - the package's shipped test signature: its certificate is trusted and the
#     driver must load as shipped; if Windows refuses it (error 577, reported for
#     some osslsigncode signatures) that is recorded as a failure and the image is
#     re-signed with signtool (SHA256SUMS updated) so the rest still runs;
#   - install.ps1 twice (idempotent), refusing nothing, exit 0;
#   - the service configuration install promises (sc qc / qfailure / qfailureflag /
#     qsidtype, the DACL of %ProgramData%\HiveGuard);
#   - the agent reaches RUNNING, a blocked write fails with 5 and an allowed one
#     succeeds, an OPERATION_BLOCKED (3000) and a SERVICE_STARTED (1000) event are
#     in the Application log, rendered from the DLL;
#   - `sc control HiveGuardAgent paramchange` reloads the policy (a 2000 event);
#   - the agent killed while registry callers wait for its verdict: the callers
#     (rule timeout 20 s) are released well inside that timeout, and the SCM
#     restarts the agent (failure actions);
#   - `sc stop` ends in STOPPED with exit code 0 well inside 30 s, and a
#     SERVICE_STOPPED (1001) event follows;
#   - uninstall.ps1 (twice) leaves nothing: no HiveGuardAgent or HiveGuard service,
#     no Event Log source, no driver image, no %ProgramFiles%\HiveGuard, no data,
#     no hiveguard.inf in the Driver Store.
$ErrorActionPreference = 'Stop'
$dir = 'C:\hiveguard'
$art = Join-Path $dir 'artifacts'
$pkgDir = Join-Path $dir 'release'
$helper = Join-Path $dir 'hgwinetest.exe'
New-Item -ItemType Directory -Force $art, $pkgDir | Out-Null
$failed = 0
function Check([bool]$ok, [string]$what) {
    if ($ok) { Write-Output "ok   $what" } else { Write-Output "FAIL $what"; $script:failed++ }
}
function Helper([string]$op, [string]$name) {
    $p = Start-Process -FilePath $helper -ArgumentList '--reg-helper', $op, $name -NoNewWindow -PassThru
    $null = $p.Handle
    if (-not $p.WaitForExit(30000)) { $p.Kill(); return -1 }
    return $p.ExitCode
}
function State([string]$name) { (Get-Service -Name $name -ErrorAction SilentlyContinue).Status }
function WaitState([string]$name, [string]$want, [int]$seconds) {
    $deadline = (Get-Date).AddSeconds($seconds)
    while ((State $name) -ne $want -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 250 }
    return (State $name) -eq $want
}
function Events([int]$id, [datetime]$since) {
    @(Get-WinEvent -FilterHashtable @{ LogName = 'Application'; ProviderName = 'HiveGuard'; Id = $id;
        StartTime = $since } -ErrorAction SilentlyContinue)
}

$java = Get-Command java -ErrorAction SilentlyContinue
if (-not $java) { Write-Output 'FAIL java not found in the guest (base image)'; exit 1 }
$zip = Get-ChildItem -Path $dir -Filter 'hiveguard-*-windows-x64.zip' | Select-Object -First 1
if (-not $zip) { Write-Output 'FAIL no release zip staged in C:\hiveguard'; exit 1 }
Remove-Item -Recurse -Force $pkgDir -ErrorAction SilentlyContinue
Expand-Archive -Path $zip.FullName -DestinationPath $pkgDir
$pkg = (Get-ChildItem -Directory $pkgDir | Select-Object -First 1).FullName
$installed = Join-Path $env:ProgramFiles 'HiveGuard'

# The INF-installed driver of the earlier steps leaves the Driver Store first, so
# the end of this step can show that nothing of HiveGuard is left.
sc.exe stop HiveGuard | Out-Null
$enum = (pnputil /enum-drivers) -join "`n"
foreach ($m in [regex]::Matches($enum, '(?ms)Published Name\s*:\s*(oem\d+\.inf)\s*\r?\nOriginal Name\s*:\s*hiveguard\.inf')) {
    pnputil /delete-driver $m.Groups[1].Value /uninstall /force | Out-File -Append (Join-Path $art 'pnputil-delete.txt')
}
sc.exe delete HiveGuard | Out-Null

# The shipped test signature: trust the package's certificate as a test machine would.
$cer = Join-Path $pkg 'hiveguard-test-signing.cer'
Import-Certificate -FilePath $cer -CertStoreLocation Cert:\LocalMachine\Root | Out-Null
Import-Certificate -FilePath $cer -CertStoreLocation Cert:\LocalMachine\TrustedPublisher | Out-Null
function Install-Package {
    $ErrorActionPreference = 'Continue'   # the child's stderr is logged, not fatal (PowerShell 5.1)
    & powershell -NoProfile -ExecutionPolicy Bypass -File (Join-Path $pkg 'install.ps1') `
        -Policy (Join-Path $dir 'e2e-policy.xml') *>> (Join-Path $art 'install.txt')
    return $LASTEXITCODE
}
New-Item -Path 'HKLM:\SOFTWARE\HiveGuardE2E' -Force | Out-Null
$since = Get-Date
try {
    # Does the image load as shipped? A bare kernel service answers without install's rollback.
    $probe = "$env:SystemRoot\System32\drivers\hiveguard.sys"
    Copy-Item (Join-Path $pkg 'hiveguard.sys') $probe -Force
    sc.exe create HiveGuard type= kernel start= demand error= normal binPath= System32\drivers\hiveguard.sys | Out-Null
    $startOut = (sc.exe start HiveGuard) -join "`n"
    $startOut | Out-File (Join-Path $art 'shipped-signature-start.txt')
    $signatureRefused = $startOut -match '\b577\b'
    Check ($startOut -match 'RUNNING|START_PENDING') "the shipped test signature loads (osslsigncode, trusted .cer)"
    sc.exe stop HiveGuard | Out-Null
    WaitState 'HiveGuard' 'Stopped' 30 | Out-Null
    sc.exe delete HiveGuard | Out-Null
    Remove-Item $probe -Force -ErrorAction SilentlyContinue
    if ($signatureRefused) {
        # Re-sign as install-driver.ps1 does and record the new hash, so the rest runs.
        $vmCert = Get-ChildItem Cert:\LocalMachine\My | Where-Object { $_.Subject -eq 'CN=HiveGuard VM Test Signing' } | Select-Object -First 1
        $signtool = Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin" -Recurse -Filter signtool.exe |
                    Where-Object { $_.FullName -match '\\x64\\' } | Select-Object -First 1
        $sys = Join-Path $pkg 'hiveguard.sys'
        & $signtool.FullName sign /fd sha256 /sm /s My /sha1 $vmCert.Thumbprint /ph $sys | Out-Null
        $hash = (Get-FileHash -Algorithm SHA256 $sys).Hash.ToLowerInvariant()
        $sums = Join-Path $pkg 'SHA256SUMS'
        (Get-Content $sums) -replace '^[0-9a-f]{64}  hiveguard\.sys$', "$hash  hiveguard.sys" | Set-Content -Encoding ascii $sums
    }
    $rc = Install-Package
    Check ($rc -eq 0) "install.ps1 exits 0 ($rc)"
    $rc = Install-Package
    Check ($rc -eq 0) "a second install.ps1 succeeds (idempotent) ($rc)"
    $jar = Get-ChildItem -Path $installed -Filter hiveguard.jar -Recurse | Select-Object -First 1 -ExpandProperty FullName
    Check ([bool]$jar) "the release is in $installed"
    $ver = (Get-Item "$env:SystemRoot\System32\drivers\hiveguard.sys").VersionInfo
    Check ($ver.ProductVersion -eq (Get-Content (Join-Path $pkg 'VERSION') -TotalCount 1).Trim()) "driver VERSIONINFO $($ver.ProductVersion)"

    sc.exe qc HiveGuardAgent > (Join-Path $art 'sc-qc-agent.txt')
    sc.exe qfailure HiveGuardAgent > (Join-Path $art 'sc-qfailure.txt')
    sc.exe qfailureflag HiveGuardAgent > (Join-Path $art 'sc-qfailureflag.txt')
    sc.exe qsidtype HiveGuardAgent > (Join-Path $art 'sc-qsidtype.txt')
    sc.exe qc HiveGuard > (Join-Path $art 'sc-qc-driver.txt')
    $qc = Get-Content (Join-Path $art 'sc-qc-agent.txt') -Raw
    Check ($qc -match 'AUTO_START\s+\(DELAYED\)') 'agent: delayed automatic start'
    Check ($qc -match 'DEPENDENCIES\s+:\s+HiveGuard') 'agent depends on the driver'
    Check ($qc -match 'LocalSystem') 'agent runs as LocalSystem'
    Check ((Get-Content (Join-Path $art 'sc-qfailure.txt') -Raw) -match 'RESTART -- Delay = 5000') 'restart on failure'
    Check ((Get-Content (Join-Path $art 'sc-qfailureflag.txt') -Raw) -match 'TRUE') 'failure actions on non-crash failures'
    Check ((Get-Content (Join-Path $art 'sc-qsidtype.txt') -Raw) -match 'UNRESTRICTED') 'service SID unrestricted'
    Check ((Get-Content (Join-Path $art 'sc-qc-driver.txt') -Raw) -match 'KERNEL_DRIVER') 'driver: kernel service'
    $acl = Get-Acl "$env:ProgramData\HiveGuard"
    $who = @($acl.Access | ForEach-Object { $_.IdentityReference.Value }) | Sort-Object -Unique
    Check ($acl.AreAccessRulesProtected -and $who.Count -eq 2) "data directory DACL protected, SYSTEM + Administrators ($($who -join ', '))"

    Check (WaitState 'HiveGuardAgent' 'Running' 90) 'agent service RUNNING'
    Start-Sleep -Seconds 2
    $a = Helper 'set' 'Allowed'
    $b = Helper 'set' 'Blocked'
    Check ($a -eq 0) "allowed write -> $a"
    Check ($b -eq 5) "blocked write -> $b (ERROR_ACCESS_DENIED)"
    & $java.Source -jar $jar status > (Join-Path $art 'service-status.txt')
    Check ((Get-Content (Join-Path $art 'service-status.txt') -Raw) -match 'registry callback registered') 'status: callback registered'
    Start-Sleep -Seconds 2
    Check ((Events 1000 $since).Count -ge 1) 'Event Log: SERVICE_STARTED (1000)'
    $blocked = Events 3000 $since
    Check ($blocked.Count -ge 1 -and $blocked[0].Message -match 'Blocked') 'Event Log: OPERATION_BLOCKED (3000), rendered from the DLL'

    $beforeReload = Get-Date
    (Get-Content (Join-Path $dir 'e2e-policy.xml') -Raw) + "`n<!-- touched -->`n" |
        Set-Content -Encoding UTF8 "$env:ProgramData\HiveGuard\policy.xml"
    sc.exe control HiveGuardAgent paramchange | Out-Null
    Start-Sleep -Seconds 3
    Check ((Events 2000 $beforeReload).Count -ge 1) 'PARAMCHANGE reloads the policy (2000)'

    # Agent killed while callers wait: freeze the agent so no verdict comes, start
    # writers to Held (a 20 s rule timeout), kill it, time the writers' release.
    Add-Type -Namespace HG -Name Native -MemberDefinition '[DllImport("ntdll.dll")] public static extern int NtSuspendProcess(IntPtr process);'
    $agentPid = (Get-CimInstance Win32_Service -Filter "Name='HiveGuardAgent'").ProcessId
    # The agent runs as LocalSystem: opening it for suspend needs SeDebugPrivilege enabled.
    [System.Diagnostics.Process]::EnterDebugMode()
    $agentProc = Get-Process -Id $agentPid
    Check ([HG.Native]::NtSuspendProcess($agentProc.Handle) -eq 0) 'agent process suspended'
    $writers = 1..3 | ForEach-Object {
        $w = Start-Process -FilePath $helper -ArgumentList '--reg-helper', 'set', 'Held' -NoNewWindow -PassThru
        $null = $w.Handle
        $w
    }
    Start-Sleep -Seconds 2
    Check (@($writers | Where-Object { -not $_.HasExited }).Count -eq 3) 'three writers held waiting for the frozen agent'
    $killedAt = Get-Date
    Stop-Process -Id $agentPid -Force
    $released = $true
    foreach ($w in $writers) { if (-not $w.WaitForExit(15000)) { $released = $false; $w.Kill() } }
    $after = ((Get-Date) - $killedAt).TotalSeconds
    Check ($released -and $after -lt 10) "callers released $([math]::Round($after, 1)) s after the kill (rule timeout 20 s)"
    "writer exit codes after the kill: $(($writers | ForEach-Object { $_.ExitCode }) -join ', ')" |
        Out-File (Join-Path $art 'held-writers.txt')
    Check (WaitState 'HiveGuardAgent' 'Running' 30) 'a killed agent is restarted by the failure actions'
    Start-Sleep -Seconds 2
    $b = Helper 'set' 'Blocked'
    Check ($b -eq 5) "after the restart a blocked write -> $b"

    $stopStart = Get-Date
    sc.exe stop HiveGuardAgent | Out-Null
    $stopped = WaitState 'HiveGuardAgent' 'Stopped' 30
    $took = ((Get-Date) - $stopStart).TotalSeconds
    Check $stopped "graceful stop in $([math]::Round($took, 1)) s"
    sc.exe query HiveGuardAgent > (Join-Path $art 'sc-query-stopped.txt')
    Check ((Get-Content (Join-Path $art 'sc-query-stopped.txt') -Raw) -match 'WIN32_EXIT_CODE\s+:\s+0 ') 'stopped with exit code 0'
    Check ((Events 1001 $stopStart).Count -ge 1) 'Event Log: SERVICE_STOPPED (1001)'
} finally {
    Get-WinEvent -FilterHashtable @{ LogName = 'Application'; ProviderName = 'HiveGuard'; StartTime = $since } `
        -ErrorAction SilentlyContinue | Format-List TimeCreated, Id, LevelDisplayName, Message |
        Out-File (Join-Path $art 'hiveguard-events.txt')
    $ErrorActionPreference = 'Continue'
    & powershell -NoProfile -ExecutionPolicy Bypass -File (Join-Path $pkg 'uninstall.ps1') *> (Join-Path $art 'uninstall.txt')
    $uninstallExit = $LASTEXITCODE
    Remove-Item -Recurse -Force 'HKLM:\SOFTWARE\HiveGuardE2E' -ErrorAction SilentlyContinue
}
Check ($uninstallExit -eq 0) "uninstall.ps1 exits 0 ($uninstallExit)"
Check (-not (Get-Service HiveGuardAgent -ErrorAction SilentlyContinue)) 'no HiveGuardAgent service left'
Check (-not (Get-Service HiveGuard -ErrorAction SilentlyContinue)) 'no HiveGuard driver service left'
Check (-not (Test-Path 'HKLM:\SYSTEM\CurrentControlSet\Services\EventLog\Application\HiveGuard')) 'no Event Log source left'
Check (-not (Test-Path "$env:SystemRoot\System32\drivers\hiveguard.sys")) 'no driver image left'
Check (-not (Test-Path "$env:ProgramData\HiveGuard")) 'no data directory left'
Check (-not (Test-Path $installed)) "no $installed left"
Check (-not ((pnputil /enum-drivers) -join "`n" -match 'hiveguard\.inf')) 'no hiveguard.inf in the Driver Store'
& powershell -NoProfile -ExecutionPolicy Bypass -File (Join-Path $pkg 'uninstall.ps1') *> (Join-Path $art 'uninstall-again.txt')
Check ($LASTEXITCODE -eq 0) 'a second uninstall.ps1 succeeds'
Write-Output "service step: $failed failed"
exit $failed
