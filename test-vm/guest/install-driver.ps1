# install-driver.ps1 - guest step 2: sign the release hiveguard.sys with
# signtool inside the VM, catalog and sign the package, install it through the
# INF with pnputil and start the service.
#
# Why sign here: Windows has been reported to refuse some osslsigncode-signed
# kernel images (error 577) where signtool's signature over the same file
# loads, so the Linux signature (make -C driver sign) is only a build check.
#
# Needs signtool.exe (Windows SDK) and, preferably, Inf2Cat.exe (WDK) in the
# base image; without Inf2Cat the catalog is made with New-FileCatalog.
$ErrorActionPreference = 'Stop'
$dir = 'C:\hiveguard'
$pkg = Join-Path $dir 'package'
$art = Join-Path $dir 'artifacts'
New-Item -ItemType Directory -Force $pkg, $art | Out-Null
Start-Transcript -Path (Join-Path $art 'install-driver.log') -Force | Out-Null
try {
    Copy-Item (Join-Path $dir 'hiveguard.sys'), (Join-Path $dir 'hiveguard.inf') $pkg -Force

    function Find-Kit([string]$name) {
        $roots = @("${env:ProgramFiles(x86)}\Windows Kits\10\bin", "$env:ProgramFiles\Windows Kits\10\bin")
        foreach ($r in $roots) {
            if (Test-Path $r) {
                $hit = Get-ChildItem -Path $r -Recurse -Filter $name -ErrorAction SilentlyContinue |
                       Where-Object { $_.FullName -match '\\(x64|x86)\\' } |
                       Sort-Object FullName -Descending | Select-Object -First 1
                if ($hit) { return $hit.FullName }
            }
        }
        return $null
    }
    $signtool = Find-Kit 'signtool.exe'
    if (-not $signtool) { throw 'signtool.exe not found: install the Windows SDK signing tools in the base image' }
    $inf2cat = Find-Kit 'Inf2Cat.exe'
    $infverif = Find-Kit 'InfVerif.exe'

    # The INF is written on Linux where no validator runs: check it here.
    # Recorded, not fatal - an InfVerif finding is a review item, while the
    # install below is the real gate.
    if ($infverif) {
        & $infverif /v /w (Join-Path $pkg 'hiveguard.inf') *> (Join-Path $art 'infverif.txt')
        if ($LASTEXITCODE -ne 0) { Write-Output "InfVerif reported problems (exit $LASTEXITCODE): see infverif.txt" }
    } else {
        Write-Output 'InfVerif.exe not found (WDK): INF not validated'
    }

    # A per-VM test certificate, trusted as root and publisher on this VM only.
    $subject = 'CN=HiveGuard VM Test Signing'
    $cert = Get-ChildItem Cert:\LocalMachine\My | Where-Object { $_.Subject -eq $subject } | Select-Object -First 1
    if (-not $cert) {
        $cert = New-SelfSignedCertificate -Type CodeSigningCert -Subject $subject -HashAlgorithm SHA256 `
                    -KeyLength 3072 -CertStoreLocation Cert:\LocalMachine\My -NotAfter (Get-Date).AddDays(30)
    }
    $cer = Join-Path $art 'hiveguard-vm-test.cer'
    Export-Certificate -Cert $cert -FilePath $cer | Out-Null
    Import-Certificate -FilePath $cer -CertStoreLocation Cert:\LocalMachine\Root | Out-Null
    Import-Certificate -FilePath $cer -CertStoreLocation Cert:\LocalMachine\TrustedPublisher | Out-Null

    & $signtool sign /fd sha256 /sm /s My /sha1 $cert.Thumbprint /ph (Join-Path $pkg 'hiveguard.sys')
    if ($LASTEXITCODE -ne 0) { throw "signtool sign hiveguard.sys failed ($LASTEXITCODE)" }

    $cat = Join-Path $pkg 'hiveguard.cat'
    if ($inf2cat) {
        & $inf2cat /driver:$pkg /os:10_X64 /uselocaltime
        if ($LASTEXITCODE -ne 0) { throw "Inf2Cat failed ($LASTEXITCODE)" }
    } else {
        Write-Output 'Inf2Cat.exe not found: cataloguing with New-FileCatalog'
        New-FileCatalog -Path (Join-Path $pkg 'hiveguard.sys'), (Join-Path $pkg 'hiveguard.inf') `
                        -CatalogFilePath $cat -CatalogVersion 2.0 | Out-Null
    }
    & $signtool sign /fd sha256 /sm /s My /sha1 $cert.Thumbprint $cat
    if ($LASTEXITCODE -ne 0) { throw "signtool sign hiveguard.cat failed ($LASTEXITCODE)" }
    & $signtool verify /v /pa (Join-Path $pkg 'hiveguard.sys') | Out-File (Join-Path $art 'signtool-verify.txt')

    pnputil /add-driver (Join-Path $pkg 'hiveguard.inf') /install | Tee-Object (Join-Path $art 'pnputil-add.txt')
    # 3010: installed, reboot suggested - not needed for a demand-start service.
    if ($LASTEXITCODE -ne 0 -and $LASTEXITCODE -ne 3010) { throw "pnputil /add-driver failed ($LASTEXITCODE)" }

    sc.exe start HiveGuard | Tee-Object (Join-Path $art 'sc-start.txt')
    $deadline = (Get-Date).AddSeconds(30)
    do {
        Start-Sleep -Milliseconds 250
        $state = (Get-Service HiveGuard).Status
    } while ($state -ne 'Running' -and (Get-Date) -lt $deadline)
    sc.exe query HiveGuard | Tee-Object (Join-Path $art 'sc-query.txt')
    if ($state -ne 'Running') {
        throw "HiveGuard did not start (state $state); error 577 means the signature was refused"
    }
    # The suite starts and stops the service itself.
    sc.exe stop HiveGuard | Out-Null
    exit 0
} catch {
    Write-Error $_
    exit 1
} finally {
    Stop-Transcript | Out-Null
}
