FROM debian:bookworm
RUN apt-get update \

    && apt-get install -y curl \
    # the next line is still part of RUN

    && rm -rf /var/lib/apt/lists/*
CMD ["curl"]
