# uninstall.ps1 - removes HiveGuard installed by install.ps1.
#
#   powershell -ExecutionPolicy Bypass -File uninstall.ps1 [-KeepData] [-Java PATH]
#       [-Destination DIR]
#
# Runs `java -jar hiveguard.jar uninstall` (services, driver image, Event Log
# source and, unless -KeepData, %ProgramData%\HiveGuard; see inf/README.md),
# then deletes DESTINATION (default %ProgramFiles%\HiveGuard), where install.ps1
# put the release. Running it twice is fine. Refuses unless elevated (exit 77).
[CmdletBinding()]
param(
    [switch]$KeepData,
    [string]$Java,
    [string]$Destination = (Join-Path $env:ProgramFiles 'HiveGuard')
)
$ErrorActionPreference = 'Stop'
$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Write-Error 'uninstall.ps1 must run elevated (Run as administrator); nothing was changed.' -ErrorAction Continue
    exit 77
}
# Any installed copy's jar can uninstall; this package's own is the fallback.
$jar = Get-ChildItem -Path $Destination -Filter hiveguard.jar -Recurse -ErrorAction SilentlyContinue | Select-Object -First 1
$jarPath = if ($jar) { $jar.FullName } else { Join-Path $PSScriptRoot 'hiveguard.jar' }
if (-not $Java) {
    $bundled = Join-Path (Split-Path $jarPath) 'runtime\bin\java.exe'
    if (Test-Path $bundled) { $Java = $bundled } else { $Java = (Get-Command java.exe -ErrorAction SilentlyContinue).Source }
}
if (-not $Java) { Write-Error 'no Java runtime: pass -Java C:\path\to\java.exe' -ErrorAction Continue; exit 69 }
$uninstallArgs = @('-jar', $jarPath, 'uninstall')
if ($KeepData) { $uninstallArgs += '--keep-data' }
# A copy of the jar outside DESTINATION, so the folder can go while java runs.
$tmpJar = Join-Path $env:TEMP "hiveguard-uninstall-$PID.jar"
Copy-Item $jarPath $tmpJar -Force
$uninstallArgs[1] = $tmpJar
$ErrorActionPreference = 'Continue'   # a native program's stderr is output, not a fatal error (PowerShell 5.1)
& $Java @uninstallArgs
$rc = $LASTEXITCODE
$ErrorActionPreference = 'Stop'
Remove-Item $tmpJar -Force -ErrorAction SilentlyContinue
if ($rc -ne 0) { Write-Error "hiveguard uninstall left something behind (exit $rc); see above" -ErrorAction Continue; exit $rc }
if (Test-Path $Destination) {
    # The java runtime in use may be inside DESTINATION: it has exited by now.
    # Step out of it first: Windows cannot delete a process's current directory.
    Set-Location $env:TEMP
    Remove-Item -Recurse -Force $Destination
}
Write-Output 'HiveGuard removed'
exit 0
