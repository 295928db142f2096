# collect.ps1 - last guest step (always runs): everything needed to judge a run
# afterwards, zipped to C:\hiveguard\artifacts.zip for run-e2e.sh to fetch.
# Suite outputs and STATS lines are already in artifacts\; this adds the
# driver's service state, PnP install log, System events of the service and
# any bugcheck, and minidumps (a bugcheck in the VM is a release blocker).
$ErrorActionPreference = 'Continue'
$dir = 'C:\hiveguard'
$art = Join-Path $dir 'artifacts'
New-Item -ItemType Directory -Force $art | Out-Null

sc.exe query HiveGuard > (Join-Path $art 'sc-query-final.txt') 2>&1
sc.exe qc HiveGuard > (Join-Path $art 'sc-qc.txt') 2>&1
reg.exe query 'HKLM\SYSTEM\CurrentControlSet\Services\HiveGuard' /s > (Join-Path $art 'service-key.txt') 2>&1
pnputil /enum-drivers > (Join-Path $art 'pnputil-enum.txt') 2>&1
bcdedit /enum '{current}' > (Join-Path $art 'bcdedit.txt') 2>&1
# Driver Verifier: the settings in effect and, for a loaded hiveguard.sys, its counters.
verifier.exe /querysettings > (Join-Path $art 'verifier-settings.txt') 2>&1
verifier.exe /query > (Join-Path $art 'verifier-query.txt') 2>&1
Copy-Item "$env:windir\INF\setupapi.dev.log" $art -ErrorAction SilentlyContinue

# Service Control Manager (7000-7045), BugCheck (1001) and kernel-power (41).
Get-WinEvent -FilterHashtable @{ LogName = 'System'; StartTime = (Get-Date).AddHours(-6) } -ErrorAction SilentlyContinue |
    Where-Object { $_.ProviderName -match 'Service Control Manager|BugCheck|Kernel-Power|CodeIntegrity' -or
                   $_.Message -match 'HiveGuard' } |
    Select-Object TimeCreated, Id, ProviderName, LevelDisplayName, Message |
    Format-List | Out-File (Join-Path $art 'system-events.txt')
Get-WinEvent -LogName 'Microsoft-Windows-CodeIntegrity/Operational' -MaxEvents 200 -ErrorAction SilentlyContinue |
    Select-Object TimeCreated, Id, Message | Format-List | Out-File (Join-Path $art 'codeintegrity.txt')

$dumps = Join-Path $art 'dumps'
New-Item -ItemType Directory -Force $dumps | Out-Null
Copy-Item "$env:windir\Minidump\*.dmp" $dumps -ErrorAction SilentlyContinue
$full = "$env:windir\MEMORY.DMP"
if ((Test-Path $full) -and (Get-Item $full).Length -lt 2GB) { Copy-Item $full $dumps }
$n = (Get-ChildItem $dumps -File -ErrorAction SilentlyContinue | Measure-Object).Count
"minidumps collected: $n" | Out-File (Join-Path $art 'dumps.txt')

$zip = Join-Path $dir 'artifacts.zip'
Remove-Item $zip -ErrorAction SilentlyContinue
Compress-Archive -Path (Join-Path $art '*') -DestinationPath $zip -Force
Write-Output "collected $zip ($n dump(s))"
exit 0
