"""Locate the top-level `policies/` and `migrations/` folders at run time.

They live at the repository root (not inside the package). A source or editable
install finds them next to the package; a regular install gets them as setup.cfg
data_files under `<sys.prefix>/share/caseflow/`. An environment variable wins.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

_PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent  # caseflow/core/resources.py -> the checkout


def find_dir(name: str, override: str | None = None) -> Path:
    candidates = []
    if override:
        candidates.append(Path(override))
    env = os.environ.get(f"CASEFLOW_{name.upper()}_DIR")
    if env:
        candidates.append(Path(env))
    candidates += [_PACKAGE_PARENT / name, Path(sys.prefix) / "share" / "caseflow" / name]
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(
        f"caseflow cannot find its {name}/ folder; looked in: " + ", ".join(map(str, candidates))
    )
