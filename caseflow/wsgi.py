"""WSGI entry point: `gunicorn caseflow.wsgi:app`."""
from caseflow import create_app

app = create_app()
