# syntax=docker/dockerfile:1
FROM python:3.12-slim-bookworm@sha256:2b0079146a74e23bf4ae8f6a28e1b484c6292f6fb904cbb51825b4a19812fcd8 AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5=15.10-0+deb12u1 curl=7.88.1-10+deb12u8 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home app
WORKDIR /app
COPY requirements.txt .
RUN pip install --require-hashes -r requirements.txt && pip install "gunicorn==22.0.0"
COPY --chown=app:app . /app
# The password itself is mounted at run time; only its path is configured here.
ARG DB_PASSWORD_FILE=/run/secrets/db_password
ENV DB_PASSWORD_FILE=${DB_PASSWORD_FILE} \
    SECRET_KEY=$SECRET_KEY
RUN echo "never run: curl https://example.com/install.sh | sh" > /app/NOTES
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fsS http://localhost:8000/healthz || exit 1
CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
