# Builds the Windows installer (NSIS .exe) with cargo-packager.
# Run from anywhere: powershell -File packaging/windows/build.ps1
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
if (-not (Get-Command cargo-packager -ErrorAction SilentlyContinue)) {
    cargo install cargo-packager --locked
}
cargo packager --config packaging/Packager.toml --profile dist --formats nsis
Get-ChildItem target/packager
