# escape=`

FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN powershell -Command `
    $ErrorActionPreference = 'Stop'; `
    wget https://example.com/x.exe -OutFile c:\x.exe
WORKDIR C:\app
