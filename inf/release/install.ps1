# install.ps1 - installs or upgrades HiveGuard from this unpacked release.
#
#   powershell -ExecutionPolicy Bypass -File install.ps1 [-Policy FILE] [-Altitude N]
#       [-DefaultVerdict allow|block] [-NoStart] [-Java PATH] [-Destination DIR]
#
# What it does (the same on a first install, an upgrade and a re-run):
#   1. refuses to run unless elevated (exit 77, nothing changed);
#   2. checks every file of the package against SHA256SUMS (exit 65 on a mismatch);
#   3. picks the Java runtime: -Java, else the package's jlink runtime (runtime\bin\java.exe)
#      if present, else java.exe on PATH; it must be 17 or newer;
#   4. stops HiveGuardAgent if it runs (its jar may be the one being replaced);
#   5. copies the package to DESTINATION\<version> (default %ProgramFiles%\HiveGuard):
#      the agent service's command line and the Event Log source point into that folder,
#      so it must outlive the download folder;
#   6. runs `java -jar hiveguard.jar install` from there - the step that creates or updates
#      the services, the data directory and the Event Log source (inf/README.md);
#   7. on success removes the other version folders under DESTINATION (the previous
#      release, now unused).
# The exit code is hiveguard install's (0 = installed; 71 = failed and rolled back).
[CmdletBinding()]
param(
    [string]$Policy,
    [ValidateRange(20000, 429999)][int]$Altitude,
    [ValidateSet('allow', 'block')][string]$DefaultVerdict,
    [switch]$NoStart,
    [string]$Java,
    [string]$Destination = (Join-Path $env:ProgramFiles 'HiveGuard')
)
$ErrorActionPreference = 'Stop'
$package = $PSScriptRoot

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Write-Error 'install.ps1 must run elevated (Run as administrator); nothing was changed.' -ErrorAction Continue
    exit 77
}

# 2. The package as built: every line of SHA256SUMS is "<hex>  <relative path>".
$sums = Join-Path $package 'SHA256SUMS'
if (-not (Test-Path $sums)) { Write-Error "no SHA256SUMS in $package" -ErrorAction Continue; exit 65 }
$bad = @()
foreach ($line in Get-Content $sums) {
    if ($line -notmatch '^([0-9a-f]{64})  (.+)$') { $bad += "malformed line: $line"; continue }
    $file = Join-Path $package ($Matches[2] -replace '/', '\')
    if (-not (Test-Path $file)) { $bad += "missing: $($Matches[2])"; continue }
    if ((Get-FileHash -Algorithm SHA256 $file).Hash.ToLowerInvariant() -ne $Matches[1]) { $bad += "changed: $($Matches[2])" }
}
if ($bad.Count -gt 0) {
    Write-Error ("the package does not match SHA256SUMS:`n  " + ($bad -join "`n  ")) -ErrorAction Continue
    exit 65
}

# 3. Java 17+.
if (-not $Java) {
    $bundled = Join-Path $package 'runtime\bin\java.exe'
    if (Test-Path $bundled) { $Java = $bundled }
    else {
        $onPath = Get-Command java.exe -ErrorAction SilentlyContinue
        if ($onPath) { $Java = $onPath.Source }
    }
}
if (-not $Java -or -not (Test-Path $Java)) {
    Write-Error 'no Java runtime: pass -Java C:\path\to\java.exe, put java.exe on PATH, or add a jlink runtime as runtime\ (inf/README.md)' -ErrorAction Continue
    exit 69
}
# Windows PowerShell 5.1 turns a native program's stderr into error records,
# which 'Stop' would make fatal: native calls run under 'Continue'.
$ErrorActionPreference = 'Continue'
$versionLine = (& $Java -version 2>&1 | Select-Object -First 1).ToString()
$ErrorActionPreference = 'Stop'
if ($versionLine -notmatch '"(\d+)' -or [int]$Matches[1] -lt 17) {
    Write-Error "$Java is not Java 17 or newer ($versionLine)" -ErrorAction Continue
    exit 69
}

# The release's version, from the zip's folder name written by the build.
$version = (Get-Content (Join-Path $package 'VERSION') -TotalCount 1).Trim()
if ($version -notmatch '^[0-9]+\.[0-9]+\.[0-9]+(-[A-Za-z0-9.]+)?$') { Write-Error "bad VERSION '$version'" -ErrorAction Continue; exit 65 }

# 4. A running agent holds its jar open; install would stop it anyway.
$agent = Get-Service -Name HiveGuardAgent -ErrorAction SilentlyContinue
if ($agent -and $agent.Status -ne 'Stopped') {
    Stop-Service -Name HiveGuardAgent -Force
    $agent.WaitForStatus('Stopped', [TimeSpan]::FromSeconds(60))
}

# 5. Copy to the installed location (a re-run of the same version overwrites in place).
$target = Join-Path $Destination $version
if ((Resolve-Path $package).Path.TrimEnd('\') -ne $target.TrimEnd('\')) {
    New-Item -ItemType Directory -Force $target | Out-Null
    Copy-Item -Path (Join-Path $package '*') -Destination $target -Recurse -Force
}
if ($Java.StartsWith($package, [StringComparison]::OrdinalIgnoreCase)) {
    $Java = Join-Path $target $Java.Substring($package.Length).TrimStart('\')
}

# 6. The real work.
$installArgs = @('-jar', (Join-Path $target 'hiveguard.jar'), 'install')
if ($Policy) { $installArgs += @('--policy', (Resolve-Path $Policy).Path) }
if ($Altitude) { $installArgs += @('--altitude', $Altitude) }
if ($DefaultVerdict) { $installArgs += @('--default-verdict', $DefaultVerdict) }
if ($NoStart) { $installArgs += '--no-start' }
$ErrorActionPreference = 'Continue'
& $Java @installArgs
$rc = $LASTEXITCODE
$ErrorActionPreference = 'Stop'
if ($rc -ne 0) {
    Write-Error "hiveguard install failed (exit $rc); see its message above" -ErrorAction Continue
    exit $rc
}

# 7. The previous release folders are no longer referenced by anything.
Get-ChildItem -Directory $Destination | Where-Object { $_.FullName -ne $target } | ForEach-Object {
    Remove-Item -Recurse -Force $_.FullName -ErrorAction SilentlyContinue
}
Write-Output "HiveGuard $version installed in $target"
exit 0
