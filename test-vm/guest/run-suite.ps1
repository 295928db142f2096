# run-suite.ps1 - guest step 3: the real-registry end-to-end suite against the
# installed, signed release driver. hgwinetest.exe --real is the agent; its
# helper processes make real RegSetValueEx/RegDeleteValue calls that the
# driver's registered RegistryCallback must hold until the verdict, block or
# allow, and time out into the configured fail mode. It starts and stops the
# HiveGuard service itself and prints "N passed, N failed" last.
$ErrorActionPreference = 'Stop'
$dir = 'C:\hiveguard'
$art = Join-Path $dir 'artifacts'
New-Item -ItemType Directory -Force $art | Out-Null

# DebugView, if the base image has it, records the driver's DbgPrint lines.
$dbgview = @('C:\tools\Dbgview64.exe', 'C:\tools\Dbgview.exe') | Where-Object { Test-Path $_ } | Select-Object -First 1
$dv = $null
if ($dbgview) {
    $dv = Start-Process -FilePath $dbgview -PassThru -WindowStyle Hidden `
          -ArgumentList '/accepteula', '/k', '/g', '/t', '/l', (Join-Path $art 'dbgview.log')
    Start-Sleep -Seconds 2
}

$out = Join-Path $art 'real-suite.txt'
$p = Start-Process -FilePath (Join-Path $dir 'hgwinetest.exe') -ArgumentList '--real', 'HiveGuard' `
     -NoNewWindow -PassThru -RedirectStandardOutput $out -RedirectStandardError (Join-Path $art 'real-suite.err')
$null = $p.Handle # keeps ExitCode readable after exit (a Start-Process quirk)
# Bound: 11 cases of at most 30 s each (the suspended-caller case included),
# plus service start/stop.
if (-not $p.WaitForExit(360000)) {
    $p.Kill()
    Write-Output 'real suite timed out'
    $code = 124
} else {
    $code = $p.ExitCode
}
Get-Content $out | Write-Output
sc.exe query HiveGuard | Out-File (Join-Path $art 'sc-query-after.txt')
if ($dv) { Stop-Process -Id $dv.Id -ErrorAction SilentlyContinue }
exit $code
