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
#
# Backups (docs/operations.md):
#   docker run --rm -v /srv/backup:/backup -e CASEFLOW_DATABASE_URL=... caseflow caseflow-backup /backup/caseflow.dump
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Japanese fonts for the generated PDFs; the backup and restore tools (pg_dump/pg_restore/psql of Debian's
# PostgreSQL 15 client, which dump servers up to 15 -- a newer server needs the client of its version;
# sqlite3 for SQLite) used by caseflow-backup / caseflow-restore (scripts/backup, scripts/restore).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        fonts-ipaexfont-gothic fonts-ipaexfont-mincho postgresql-client sqlite3 \
    && rm -rf /var/lib/apt/lists/*

# Non-editable install: the package finds policies/ and migrations/ under
# <sys.prefix>/share/caseflow (setup.cfg data_files). The source tree is deleted
# afterwards so that it can never shadow the installed package.
# Every dependency at the version pinned in constraints.txt (the versions the test suite passed with).
COPY . /tmp/caseflow-src
WORKDIR /tmp/caseflow-src
RUN pip install --no-cache-dir -c constraints.txt . \
    && install -D -m 0755 -t /opt/caseflow/bin scripts/backup scripts/restore \
    && printf '#!/bin/sh\nexec /opt/caseflow/bin/%s "$@"\n' backup > /usr/local/bin/caseflow-backup \
    && printf '#!/bin/sh\nexec /opt/caseflow/bin/%s "$@"\n' restore > /usr/local/bin/caseflow-restore \
    && chmod 0755 /usr/local/bin/caseflow-backup /usr/local/bin/caseflow-restore \
    && cd / && rm -rf /tmp/caseflow-src

RUN useradd --create-home --uid 10001 --user-group caseflow
USER caseflow
WORKDIR /home/caseflow

ENV CASEFLOW_ENV=production
EXPOSE 8000
# Healthy once the service answers and its database schema is at this release's head (503 before
# `caseflow db upgrade`, or while the database is unreachable).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health/ready', timeout=4)"]
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "caseflow.wsgi:app"]
