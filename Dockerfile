# caseflow production image: gunicorn serving caseflow.wsgi:app on port 8000.
#
#   docker build -t caseflow .
#
# Required configuration (no defaults in production):
#   CASEFLOW_SECRET_KEY    long random secret (sessions, CSRF)
#   CASEFLOW_DATABASE_URL  e.g. postgresql+psycopg://caseflow:...@db:5432/caseflow
#
# The database schema is NOT created on start-up. Run the migrations once per
# release, before (re)starting the service:
#
#   docker run --rm -e CASEFLOW_SECRET_KEY=... -e CASEFLOW_DATABASE_URL=... caseflow caseflow db upgrade
#   docker run -d -p 8000:8000 -e CASEFLOW_SECRET_KEY=... -e CASEFLOW_DATABASE_URL=... caseflow
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Japanese fonts for the generated PDFs.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        fonts-ipaexfont-gothic fonts-ipaexfont-mincho \
    && rm -rf /var/lib/apt/lists/*

# Non-editable install: the package finds policies/ and migrations/ under
# <sys.prefix>/share/caseflow (setup.cfg data_files). The source tree is deleted
# afterwards so that it can never shadow the installed package.
COPY . /tmp/caseflow-src
WORKDIR /tmp/caseflow-src
RUN pip install --no-cache-dir . \
    && cd / && rm -rf /tmp/caseflow-src

RUN useradd --create-home --uid 10001 --user-group caseflow
USER caseflow
WORKDIR /home/caseflow

ENV CASEFLOW_ENV=production
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "caseflow.wsgi:app"]
