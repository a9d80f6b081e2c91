FROM ubuntu
RUN ["/bin/bash", "-c", "echo hello"]
RUN ['/bin/bash', '-c', 'echo single quotes are the shell form']
ENTRYPOINT ["top", "-b"]
CMD ["executable","param1","param2"]
SHELL ["powershell", "-command"]
COPY ["my file.txt", "/dest dir/"]
VOLUME ["/data"]
HEALTHCHECK --interval=5m --timeout=3s CMD ["curl", "-f", "http://localhost/"]
