"""WSGI entry point: `gunicorn caseflow.wsgi:app`."""
from caseflow import create_app, freeze_startup_objects

app = create_app()
freeze_startup_objects()
