# run-agent.ps1 - guest step 4 (optional): the Java agent end to end.
#
# Starts `java -jar hiveguard.jar run` with e2e-policy.xml against the
# installed driver, waits until `hiveguard status` sees it running, then makes
# two real writes from helper processes: "Allowed" must succeed, "Blocked"
# must fail with ERROR_ACCESS_DENIED (5), and the audit trail must record the
# block. Needs java (17+) on PATH in the base image.
$ErrorActionPreference = 'Stop'
$dir = 'C:\hiveguard'
$art = Join-Path $dir 'artifacts'
$state = Join-Path $dir 'agent-state'
$audit = Join-Path $art 'audit'
$jar = Join-Path $dir 'hiveguard.jar'
$helper = Join-Path $dir 'hgwinetest.exe'
New-Item -ItemType Directory -Force $art, $state, $audit | Out-Null

function Helper([string]$op, [string]$name) {
    $p = Start-Process -FilePath $helper -ArgumentList '--reg-helper', $op, $name -NoNewWindow -PassThru
    $null = $p.Handle # keeps ExitCode readable after exit (a Start-Process quirk)
    if (-not $p.WaitForExit(30000)) { $p.Kill(); return -1 }
    return $p.ExitCode
}

$java = Get-Command java -ErrorAction SilentlyContinue
if (-not $java) { Write-Output 'java not found in the guest: agent step skipped'; exit 0 }
$failed = 0
New-Item -Path 'HKLM:\SOFTWARE\HiveGuardE2E' -Force | Out-Null
sc.exe start HiveGuard | Out-Null

$agent = Start-Process -FilePath $java.Source -PassThru -NoNewWindow `
    -RedirectStandardOutput (Join-Path $art 'agent.out') -RedirectStandardError (Join-Path $art 'agent.err') `
    -ArgumentList '-jar', $jar, 'run', '--policy', (Join-Path $dir 'e2e-policy.xml'),
                  '--state-dir', $state, '--audit-dir', $audit
try {
    $deadline = (Get-Date).AddSeconds(60)
    do {
        Start-Sleep -Seconds 1
        & $java.Source -jar $jar status --state-dir $state *> (Join-Path $art 'agent-status.txt')
        $up = $LASTEXITCODE -eq 0
    } while (-not $up -and -not $agent.HasExited -and (Get-Date) -lt $deadline)
    if (-not $up) { Write-Output 'agent did not come up'; $failed++ }
    else {
        $a = Helper 'set' 'Allowed'
        $b = Helper 'set' 'Blocked'
        Write-Output "allowed write -> $a (expect 0), blocked write -> $b (expect 5)"
        if ($a -ne 0) { $failed++ }
        if ($b -ne 5) { $failed++ }
        & $java.Source -jar $jar status --state-dir $state *> (Join-Path $art 'agent-status-after.txt')
        # Stop-Process is TerminateProcess: no shutdown hook runs, so only what the
        # audit writer has flushed survives. It flushes every second; give it three.
        Start-Sleep -Seconds 3
    }
} finally {
    if (-not $agent.HasExited) { Stop-Process -Id $agent.Id }
    $agent.WaitForExit(30000) | Out-Null
    sc.exe stop HiveGuard | Out-Null
    Remove-Item -Recurse -Force 'HKLM:\SOFTWARE\HiveGuardE2E' -ErrorAction SilentlyContinue
}
# The audit trail is JSON lines with flat, dotted ECS keys; a backslash in a path is
# escaped on disk, so parse each line rather than searching the raw text. A partial
# last line (the process was terminated) is skipped, as AuditReader does.
$blocked = @(Get-ChildItem $audit -Recurse -File -Filter '*.jsonl' -ErrorAction SilentlyContinue |
    Get-Content | ForEach-Object {
        try { $_ | ConvertFrom-Json } catch { $null }
    } | Where-Object {
        $_ -and $_.'registry.path' -like '*\HiveGuardE2E\Blocked' -and $_.'hiveguard.verdict' -eq 'block'
    })
if ($blocked.Count -lt 1) { Write-Output 'audit trail has no record of the blocked write'; $failed++ }
Write-Output "agent end-to-end: $failed failure(s)"
exit $failed
