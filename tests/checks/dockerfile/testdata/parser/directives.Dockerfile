#	  eScApE=`
# syntax = docker/dockerfile:1
# check=skip=JSONArgsRecommended
FROM busybox
# escape=\
RUN echo done `
    again
