"""The shared core. Importing it installs the Japanese validation messages (caseflow.core.messages) before any
schema is built."""
from caseflow.core import messages  # noqa: F401
