FROM ubuntu:22.04
MAINTAINER ops@example.com
RUN apt-get update && apt-get install -y openssh-server=1:8.9p1-3ubuntu0.10 && rm -rf /var/lib/apt/lists/*
RUN mkdir /var/run/sshd && echo 'root:Docker!' | chpasswd
EXPOSE 22
HEALTHCHECK NONE
CMD ["/usr/sbin/sshd", "-D"]
