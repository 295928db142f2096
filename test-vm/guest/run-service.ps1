# run-service.ps1 - guest step 5 (optional): the agent as the HiveGuardAgent
# service, installed by `hiveguard install` and removed by `hiveguard uninstall`.
#
# Needs java (17+) on PATH, and in C:\hiveguard the agent jar, the signed
# hiveguard.sys (install-driver.ps1 signs the copy in C:\hiveguard\package)
# and hiveguard-messages.dll (make -C driver eventlog). Checks, as the SCM and
# Windows see them:
#   - the service configuration install promises (sc qc / qfailure / qfailureflag /
#     qsidtype, the DACL of %ProgramData%\HiveGuard);
#   - the agent reaches RUNNING through START_PENDING, a blocked write fails with
#     5 and an allowed one succeeds, an OPERATION_BLOCKED (3000) and a
#     SERVICE_STARTED (1000) event are in the Application log, rendered from the DLL;
#   - `sc control HiveGuardAgent paramchange` reloads the policy (a 2000 event);
#   - `sc stop` ends in STOPPED with exit code 0 well inside 30 s, and a
#     SERVICE_STOPPED (1001) event follows;
#   - killing the agent process makes the SCM restart it (failure actions);
#   - `hiveguard uninstall` leaves no service, no source, no driver image, no data.
$ErrorActionPreference = 'Stop'
$dir = 'C:\hiveguard'
$art = Join-Path $dir 'artifacts'
$pkgDir = Join-Path $dir 'service-pkg'
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
if (-not $java) { Write-Output 'java not found in the guest: service step skipped'; exit 0 }
foreach ($f in 'hiveguard.jar', 'hiveguard-messages.dll') {
    if (-not (Test-Path (Join-Path $dir $f))) { Write-Output "$f not staged: service step skipped"; exit 0 }
}
# The release layout install expects: jar, signed driver image and message DLL side by side.
Copy-Item (Join-Path $dir 'hiveguard.jar'), (Join-Path $dir 'hiveguard-messages.dll') $pkgDir -Force
$signed = Join-Path $dir 'package\hiveguard.sys'
if (-not (Test-Path $signed)) { $signed = Join-Path $dir 'hiveguard.sys' }
Copy-Item $signed (Join-Path $pkgDir 'hiveguard.sys') -Force
$jar = Join-Path $pkgDir 'hiveguard.jar'

# The INF-installed driver of the earlier steps is replaced by install's own service.
sc.exe stop HiveGuard | Out-Null
New-Item -Path 'HKLM:\SOFTWARE\HiveGuardE2E' -Force | Out-Null
$since = Get-Date
try {
    & $java.Source -jar $jar install --policy (Join-Path $dir 'e2e-policy.xml') *> (Join-Path $art 'install.txt')
    Check ($LASTEXITCODE -eq 0) "hiveguard install exits 0 ($LASTEXITCODE)"
    & $java.Source -jar $jar install --policy (Join-Path $dir 'e2e-policy.xml') *> (Join-Path $art 'install-again.txt')
    Check ($LASTEXITCODE -eq 0) 'a second install succeeds (idempotent)'

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

    $agentPid = (Get-CimInstance Win32_Service -Filter "Name='HiveGuardAgent'").ProcessId
    Stop-Process -Id $agentPid -Force
    Check (WaitState 'HiveGuardAgent' 'Running' 30) 'a killed agent is restarted by the failure actions'

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
    & $java.Source -jar $jar uninstall *> (Join-Path $art 'uninstall.txt')
    $uninstallExit = $LASTEXITCODE
    Remove-Item -Recurse -Force 'HKLM:\SOFTWARE\HiveGuardE2E' -ErrorAction SilentlyContinue
}
Check ($uninstallExit -eq 0) 'hiveguard uninstall exits 0'
Check (-not (Get-Service HiveGuardAgent -ErrorAction SilentlyContinue)) 'no HiveGuardAgent service left'
Check (-not (Test-Path 'HKLM:\SYSTEM\CurrentControlSet\Services\EventLog\Application\HiveGuard')) 'no Event Log source left'
Check (-not (Test-Path "$env:SystemRoot\System32\drivers\hiveguard.sys")) 'no driver image left'
Check (-not (Test-Path "$env:ProgramData\HiveGuard")) 'no data directory left'
& $java.Source -jar $jar uninstall *> (Join-Path $art 'uninstall-again.txt')
Check ($LASTEXITCODE -eq 0) 'a second uninstall succeeds'
Write-Output "service step: $failed failed"
exit $failed
