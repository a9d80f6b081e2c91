FROM alpine:3.20 AS base
RUN addgroup -S app && adduser -S -G app app
USER app
HEALTHCHECK CMD ["true"]
COPY --from=nginx /etc/nginx/nginx.conf /etc/nginx/nginx.conf
COPY --from=busybox:latest /bin/busybox /bin/busybox
RUNN echo typo
WORKDIR /srv
WORKDIR data
COPY --chmod=1777 tmp /tmp/shared
COPY --chmod=666 settings.ini /srv/settings.ini
ADD rootfs.tar.gz /opt/rootfs/
ADD config.yaml /etc/app/config.yaml

FROM base AS final
COPY --from=base /etc/passwd /tmp/passwd
COPY --from=0 /etc/group /tmp/group
RUN chmod o+w /srv/data && chmod 755 /srv
