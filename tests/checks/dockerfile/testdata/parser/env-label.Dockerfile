FROM busybox
ENV MY_NAME="John Doe"
ENV MY_DOG=Rex\ The\ Dog
ENV MY_CAT=fluffy
ENV MY_VAR my-value
LABEL "com.example.vendor"="ACME Incorporated" version="1.0" \
      description="This text illustrates \
that label-values can span multiple lines."
ARG user1=someuser
ARG buildno
