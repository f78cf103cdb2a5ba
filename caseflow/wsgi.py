"""WSGI entry point: `gunicorn caseflow.wsgi:app`. A bad setting is one line on stderr and exit 2 (gunicorn then
stops: its workers cannot boot), never a traceback."""
import sys

from caseflow import create_app, freeze_startup_objects
from caseflow.core.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"caseflow: error: {str(exc).replace(chr(10), '; ')}", file=sys.stderr)
    sys.exit(2)
freeze_startup_objects()
