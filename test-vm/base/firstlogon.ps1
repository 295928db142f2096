# firstlogon.ps1 - runs once, at the first (automatic) logon of a fresh
# install made with autounattend.xml, from the answer ISO build-base-image.sh
# made. Turns the fresh Windows into the test-vm base image, then powers off
# (build-base-image.sh waits for that):
#   1. OpenSSH server: from the Win32-OpenSSH MSI on the media if given, else
#      the Windows capability (needs the VM's internet access); automatic start,
#      firewall open on 22, PowerShell as the default shell, the public key in
#      administrators_authorized_keys with the ACL sshd requires;
#   2. Java 17+: the JDK MSI on the media, machine-wide, java.exe on PATH;
#   3. Windows SDK signing tools (signtool) and, if given, the WDK (Inf2Cat,
#      InfVerif) from offline layouts on the media (winsdksetup.exe /layout,
#      wdksetup.exe /layout);
#   4. quiet machine: no automatic Windows Update restarts, no sleep or
#      hibernation, no Server Manager at logon;
#   5. writes C:\hg-base-image.txt (what was installed) and shuts down.
# Everything is logged to C:\hg-firstlogon.log. On an error it does NOT power
# off, so build-base-image.sh times out and the log can be read in the VM.
# Test signing and Driver Verifier are deliberately left off: run-e2e.sh turns
# them on in every run, which proves those steps.
param([Parameter(Mandatory)][string]$Media)
$ErrorActionPreference = 'Stop'
Start-Transcript -Path 'C:\hg-firstlogon.log' -Force | Out-Null
function Run([string]$file, [string[]]$arguments) {
    Write-Output "> $file $($arguments -join ' ')"
    $p = Start-Process -FilePath $file -ArgumentList $arguments -Wait -PassThru -NoNewWindow
    # 3010: done, reboot required - the final power-off is that reboot.
    if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) { throw "$file exited $($p.ExitCode)" }
}
try {
    $cfg = @{}
    Get-Content (Join-Path $Media 'base-image.conf') | ForEach-Object {
        if ($_ -match '^([A-Z_]+)=(.*)$') { $cfg[$Matches[1]] = $Matches[2] }
    }
    $done = @()

    # 1. OpenSSH server
    $opensshMsi = Get-ChildItem -Path $Media -Filter 'OpenSSH-Win64*.msi' -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($opensshMsi) {
        Run 'msiexec.exe' @('/i', "`"$($opensshMsi.FullName)`"", '/qn', '/norestart')
        $done += "OpenSSH: $($opensshMsi.Name)"
    } else {
        Add-WindowsCapability -Online -Name 'OpenSSH.Server~~~~0.0.1.0' | Out-Null
        $done += 'OpenSSH: Windows capability OpenSSH.Server'
    }
    Set-Service -Name sshd -StartupType Automatic
    Start-Service sshd
    if (-not (Get-NetFirewallRule -Name 'OpenSSH-Server-In-TCP' -ErrorAction SilentlyContinue)) {
        New-NetFirewallRule -Name 'OpenSSH-Server-In-TCP' -DisplayName 'OpenSSH Server (sshd)' -Enabled True `
            -Direction Inbound -Protocol TCP -Action Allow -LocalPort 22 | Out-Null
    }
    New-Item -Path 'HKLM:\SOFTWARE\OpenSSH' -Force | Out-Null
    New-ItemProperty -Path 'HKLM:\SOFTWARE\OpenSSH' -Name DefaultShell `
        -Value "$env:SystemRoot\System32\WindowsPowerShell\v1.0\powershell.exe" -PropertyType String -Force | Out-Null
    $keys = "$env:ProgramData\ssh\administrators_authorized_keys"
    New-Item -ItemType Directory -Force (Split-Path $keys) | Out-Null
    Copy-Item (Join-Path $Media 'authorized_keys') $keys -Force
    # sshd ignores the file unless only SYSTEM and Administrators can write it.
    icacls.exe $keys /inheritance:r /grant '*S-1-5-32-544:F' /grant '*S-1-5-18:F' | Out-Null
    Restart-Service sshd

    # 2. Java
    $jdk = Get-ChildItem -Path $Media -Filter '*.msi' | Where-Object { $_.Name -match 'jdk|openjdk|temurin' } | Select-Object -First 1
    if (-not $jdk) { throw 'no JDK MSI on the answer media' }
    Run 'msiexec.exe' @('/i', "`"$($jdk.FullName)`"", '/qn', '/norestart')
    $java = Get-ChildItem -Path "$env:ProgramFiles" -Recurse -Filter java.exe -ErrorAction SilentlyContinue |
            Where-Object { $_.FullName -match '\\bin\\java\.exe$' } | Sort-Object FullName -Descending | Select-Object -First 1
    if (-not $java) { throw "the JDK MSI $($jdk.Name) installed no java.exe under Program Files" }
    $machinePath = [Environment]::GetEnvironmentVariable('Path', 'Machine')
    if ($machinePath -notlike "*$($java.DirectoryName)*") {
        [Environment]::SetEnvironmentVariable('Path', "$machinePath;$($java.DirectoryName)", 'Machine')
    }
    $ErrorActionPreference = 'Continue'   # java -version writes to stderr: output, not a fatal error
    $javaVersion = (& $java.FullName -version 2>&1 | Select-Object -First 1).ToString()
    $ErrorActionPreference = 'Stop'
    if ($javaVersion -notmatch '"(\d+)' -or [int]$Matches[1] -lt 17) { throw "Java 17+ needed, got $javaVersion" }
    $done += "Java: $javaVersion ($($java.FullName))"

    # 3. SDK signing tools, WDK
    $sdk = Join-Path $Media 'sdk\winsdksetup.exe'
    if (-not (Test-Path $sdk)) { throw 'no sdk\winsdksetup.exe (an offline layout) on the answer media' }
    Run $sdk @('/features', 'OptionId.SigningTools', '/quiet', '/norestart', '/ceip', 'off')
    $done += 'Windows SDK: signing tools'
    $wdk = Join-Path $Media 'wdk\wdksetup.exe'
    if (Test-Path $wdk) {
        Run $wdk @('/features', 'OptionId.WindowsDriverKitComplete', '/quiet', '/norestart', '/ceip', 'off')
        $done += 'WDK'
    } else {
        $done += 'WDK: not given (install-driver.ps1 falls back to New-FileCatalog)'
    }
    $signtool = Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin" -Recurse -Filter signtool.exe -ErrorAction SilentlyContinue |
                Where-Object { $_.FullName -match '\\x64\\' } | Select-Object -First 1
    if (-not $signtool) { throw 'the SDK installed no x64 signtool.exe' }

    # 4. A quiet machine: the harness must not race an update reboot or a sleep.
    $au = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU'
    New-Item -Path $au -Force | Out-Null
    New-ItemProperty -Path $au -Name NoAutoUpdate -PropertyType DWord -Value 1 -Force | Out-Null
    New-ItemProperty -Path $au -Name NoAutoRebootWithLoggedOnUsers -PropertyType DWord -Value 1 -Force | Out-Null
    powercfg.exe /hibernate off
    powercfg.exe /change standby-timeout-ac 0
    powercfg.exe /change monitor-timeout-ac 0

    # 5. Done.
    $done += "image index $($cfg['IMAGE_INDEX']), admin $env:USERNAME, built $(Get-Date -Format o)"
    $done | Set-Content 'C:\hg-base-image.txt'
    $done | Write-Output
    Stop-Transcript | Out-Null
    shutdown.exe /s /t 5 /c 'HiveGuard base image ready'
    exit 0
} catch {
    Write-Output "firstlogon.ps1 FAILED: $_"
    Stop-Transcript | Out-Null
    exit 1
}
