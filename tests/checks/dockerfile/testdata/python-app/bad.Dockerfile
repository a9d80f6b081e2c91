# A Flask service, the way it is often first written.
FROM python
MAINTAINER Jane Doe <jane@example.com>
ENV DATABASE_PASSWORD=hunter2 \
    FLASK_ENV=production
ARG PYPI_TOKEN=pypi-AgEIcHlwaS5vcmcCJGE0
RUN apt-get update && apt-get upgrade -y && \
    apt-get install -y --no-install-recommends build-essential libpq-dev
WORKDIR app
ADD requirements.txt .
RUN pip install -r requirements.txt && pip install gunicorn
ADD . /app
RUN chmod -R 777 /app
EXPOSE 8000
CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
