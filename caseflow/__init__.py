"""caseflow: case coordination for municipal multi-layered support and public-private platforms."""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

__all__ = ["create_app", "freeze_startup_objects", "__version__"]


def __getattr__(name):
    # The app factory is imported on first use: `caseflow --help` and other commands that need no app stay quick.
    if name in ("create_app", "freeze_startup_objects"):
        return getattr(importlib.import_module("caseflow.app"), name)
    raise AttributeError(f"module 'caseflow' has no attribute {name!r}")
