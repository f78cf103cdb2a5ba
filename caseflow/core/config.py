"""Configuration from the environment (see README, "Configuration")."""
from __future__ import annotations

import os
from pathlib import Path

DEV_SECRET_KEY = "caseflow-development-only-not-secret"


class ConfigError(RuntimeError):
    pass


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    env = os.environ
    production = env.get("CASEFLOW_ENV", "development") == "production"
    default_db = "sqlite:///" + str(Path(instance_path) / "caseflow.sqlite3")
    cfg = {
        "CASEFLOW_ENV": "production" if production else env.get("CASEFLOW_ENV", "development"),
        "SECRET_KEY": env.get("CASEFLOW_SECRET_KEY") or (None if production else DEV_SECRET_KEY),
        "DATABASE_URL": env.get("CASEFLOW_DATABASE_URL") or default_db,
        "POLICY_DIR": env.get("CASEFLOW_POLICY_DIR"),
        # Argon2id parameters (RFC 9106 second recommended option); tests lower them.
        "PASSWORD_TIME_COST": int(env.get("CASEFLOW_PASSWORD_TIME_COST", "3")),
        "PASSWORD_MEMORY_COST": int(env.get("CASEFLOW_PASSWORD_MEMORY_COST", str(64 * 1024))),
        "PASSWORD_MIN_LENGTH": 12,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "SESSION_HOURS": 12,
        "TOKEN_MAX_DAYS": 365,
        "MAX_CONTENT_LENGTH": int(env.get("CASEFLOW_MAX_CONTENT_LENGTH", str(1024 * 1024))),
        # Cookie hardening. Secure cookies need https; the development server runs on plain
        # http, so Secure is on in production (or when asked for) only.
        "SESSION_COOKIE_NAME": "caseflow_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production or env.get("CASEFLOW_SECURE_COOKIES") == "1",
        # flask-smorest / OpenAPI
        "API_TITLE": "caseflow",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_REDOC_PATH": "docs",
        "JSON_SORT_KEYS": False,
        # Follow-up: a case with no progress for this many days is "stale".
        "FOLLOWUP_STALE_DAYS": int(env.get("CASEFLOW_FOLLOWUP_STALE_DAYS", "30")),
        # KPI reports: cells below this are suppressed outside the lead department(s) (org codes).
        "REPORT_SUPPRESS_BELOW": int(env.get("CASEFLOW_REPORT_SUPPRESS_BELOW", "3")),
        "REPORT_LEAD_ORGS": [c for c in env.get("CASEFLOW_REPORT_LEAD_ORGS", "").split(",") if c],
        # 保存年限: overrides of caseflow.retention.rules.DEFAULT_SCHEDULE, e.g. "default=5,abuse=30" (docs/retention.md)
        "RETENTION_YEARS": env.get("CASEFLOW_RETENTION_YEARS", ""),
        # Audit anomaly reports (auditors may override each per request). Times are Japan time.
        "AUDIT_REPORT_DAYS": int(env.get("CASEFLOW_AUDIT_REPORT_DAYS", "31")),  # default period
        "AUDIT_BULK_PERSONS": int(env.get("CASEFLOW_AUDIT_BULK_PERSONS", "30")),  # more than N persons …
        "AUDIT_BULK_MINUTES": int(env.get("CASEFLOW_AUDIT_BULK_MINUTES", "10")),  # … within M minutes
        "AUDIT_DENIED_MIN": int(env.get("CASEFLOW_AUDIT_DENIED_MIN", "3")),  # list users with >= N denials
        "AUDIT_WORK_START": env.get("CASEFLOW_AUDIT_WORK_START", "08:00"),
        "AUDIT_WORK_END": env.get("CASEFLOW_AUDIT_WORK_END", "20:00"),
        "AUDIT_WEEKENDS_OFF": env.get("CASEFLOW_AUDIT_WEEKENDS_OFF", "1") == "1",
        # Closed days (national holidays, 年末年始 …) as comma-separated ISO dates.
        "AUDIT_HOLIDAYS": [d.strip() for d in env.get("CASEFLOW_AUDIT_HOLIDAYS", "").split(",") if d.strip()],
        # Key that signs verification checkpoints; defaults to one derived from SECRET_KEY.
        "AUDIT_CHECKPOINT_KEY": env.get("CASEFLOW_AUDIT_CHECKPOINT_KEY"),
        # The auditors' Ed25519 public keys (base64 of the raw 32 bytes, comma-separated) whose seals are
        # trusted; the private keys are never in the configuration (docs/audit-sealing.md).
        "AUDIT_PUBLIC_KEYS": [k.strip() for k in env.get("CASEFLOW_AUDIT_PUBLIC_KEYS", "").split(",") if k.strip()],
    }
    if overrides:
        cfg.update(overrides)
    for k in cfg["AUDIT_PUBLIC_KEYS"]:
        if not _is_public_key(k):
            raise ConfigError(f"CASEFLOW_AUDIT_PUBLIC_KEYS: {k[:60]!r} is not an Ed25519 public key (base64 of 32 bytes)")
    if not cfg["SECRET_KEY"]:
        raise ConfigError("CASEFLOW_SECRET_KEY must be set when CASEFLOW_ENV=production")
    if cfg["CASEFLOW_ENV"] == "production" and cfg["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigError("the development secret key cannot be used in production")
    return cfg


def _is_public_key(value: str) -> bool:
    import base64
    import binascii

    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False
