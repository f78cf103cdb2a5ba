"""The rules of the house (README, "Layout") hold: no import cycle, no function-local import of a caseflow
module, nothing outside caseflow/demo imports the demo, the core and the access layer stay below the
features. scripts/check-imports is the check; a breach fails here, naming the file and line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_import_rules_hold():
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "check-imports")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all rules hold" in r.stdout


def test_the_check_finds_a_breach(tmp_path):
    """The checker is not blind: a copy of the package with a function-local import and a cycle fails."""
    import shutil

    copy = tmp_path / "repo"
    shutil.copytree(REPO / "caseflow", copy / "caseflow", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "check-imports", copy / "scripts" / "check-imports")
    rules = copy / "caseflow" / "cases" / "rules.py"
    rules.write_text(rules.read_text() + "\n\ndef _late():\n    from caseflow.plans import rules as plan_rules\n"
                     "    return plan_rules\n")
    core = copy / "caseflow" / "core" / "text.py"
    core.write_text(core.read_text() + "\nfrom caseflow.demo import world  # noqa\n")
    r = subprocess.run([sys.executable, str(copy / "scripts" / "check-imports")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode != 0
    assert "caseflow/cases/rules.py" in r.stdout and "function-local import of caseflow.plans.rules" in r.stdout
    assert "import cycle" in r.stdout
    assert "imports the demo" in r.stdout and "the core imports" in r.stdout
