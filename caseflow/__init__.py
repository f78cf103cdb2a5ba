"""caseflow: case coordination for municipal multi-layered support and public-private platforms."""
from __future__ import annotations

__version__ = "0.1.0"

from caseflow.app import create_app, freeze_startup_objects  # noqa: E402

__all__ = ["create_app", "freeze_startup_objects", "__version__"]
