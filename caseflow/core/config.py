"""Configuration from the environment, typed (pydantic-settings; README, "Configuration"): a bad value is one
clear line naming the variable, never a traceback."""
from __future__ import annotations

import base64
import binascii
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "caseflow-development-only-not-secret"


class ConfigError(RuntimeError):
    """A bad setting: its message is one line per bad value, naming the variable (the CLI prints it, exit 2)."""


_HHMM = r"^([01]?\d|2[0-3]):[0-5]\d$|^24:00$"
CommaList = Annotated[list[str], NoDecode]
_SECRET_FIELDS = {"secret_key", "audit_checkpoint_key"}  # never repeated in an error message


class Settings(BaseSettings):
    """Every CASEFLOW_* variable, typed (README, "Configuration"). An empty value counts as unset."""

    model_config = SettingsConfigDict(env_prefix="CASEFLOW_", env_ignore_empty=True, extra="ignore")

    env: Literal["development", "production"] = "development"
    secret_key: str | None = None
    database_url: str | None = None
    policy_dir: str | None = None
    secure_cookies: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    password_time_cost: int = Field(3, ge=1, le=100)
    password_memory_cost: int = Field(64 * 1024, ge=8, le=4 * 1024 * 1024)  # KiB (Argon2: 8 at least)
    max_content_length: int = Field(1024 * 1024, ge=1024)
    followup_stale_days: int = Field(30, ge=1)
    report_suppress_below: int = Field(3, ge=0)
    report_lead_orgs: CommaList = []
    retention_years: str = ""
    audit_report_days: int = Field(31, ge=1)
    audit_bulk_persons: int = Field(30, ge=1)
    audit_bulk_minutes: int = Field(10, ge=1)
    audit_denied_min: int = Field(3, ge=1)
    audit_work_start: str = "08:00"
    audit_work_end: str = "20:00"
    audit_weekends_off: bool = True
    audit_national_holidays: bool = True
    audit_holidays: CommaList = []
    audit_checkpoint_key: str | None = None
    audit_public_keys: CommaList = []
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = "caseflow@localhost"
    smtp_timeout: float = Field(10, gt=0, le=120)
    public_url: str = ""

    @field_validator("report_lead_orgs", "audit_holidays", "audit_public_keys", mode="before")
    @classmethod
    def _split(cls, value):
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value

    @field_validator("audit_work_start", "audit_work_end")
    @classmethod
    def _time(cls, value):
        if not re.match(_HHMM, value):
            raise ValueError(f"{value!r} is not a time of day (HH:MM, e.g. 08:30)")
        return value

    @field_validator("audit_holidays")
    @classmethod
    def _dates(cls, value):
        for d in value:
            try:
                date.fromisoformat(d)
            except ValueError:
                raise ValueError(f"{d!r} is not a date (YYYY-MM-DD)") from None
        return value

    @field_validator("audit_public_keys")
    @classmethod
    def _public_keys(cls, value):
        for k in value:
            if not _is_public_key(k):
                raise ValueError(f"{k[:60]!r} is not an Ed25519 public key (base64 of 32 bytes)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value):
        if value is not None:
            check_database_url(value)
        return value


def check_database_url(url: str) -> None:
    """Refuse what SQLAlchemy cannot use here, with the fix (ValueError, without the password)."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2"):
        raise ValueError(f"'{scheme}://' cannot be used: write postgresql+psycopg://user:password@host:5432/name")
    if scheme not in ("sqlite", "postgresql+psycopg"):
        raise ValueError("not a database URL this service supports: sqlite:///PATH or "
                         "postgresql+psycopg://user:password@host:5432/name")


def _one_line(error: dict) -> str:
    name = "CASEFLOW_" + str(error["loc"][0]).upper() if error["loc"] else "CASEFLOW_*"
    msg = error["msg"].removeprefix("Value error, ")
    if error["loc"] and error["loc"][0] in _SECRET_FIELDS | {"database_url"} or error["type"] == "value_error":
        return f"{name}: {msg}"
    return f"{name}={error['input']!r}: {msg}"


def read_settings() -> Settings:
    """The environment's settings; ConfigError with one line per bad value."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError("\n".join(_one_line(e) for e in exc.errors())) from None


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    s = read_settings()
    production = s.env == "production"
    default_db = "sqlite:///" + str(Path(instance_path) / "caseflow.sqlite3")
    cfg = {
        "CASEFLOW_ENV": s.env,
        "SECRET_KEY": s.secret_key or (None if production else DEV_SECRET_KEY),
        "DATABASE_URL": s.database_url or default_db,
        "POLICY_DIR": s.policy_dir,
        "LOG_LEVEL": s.log_level,
        # Argon2id parameters (RFC 9106 second recommended option); tests lower them.
        "PASSWORD_TIME_COST": s.password_time_cost,
        "PASSWORD_MEMORY_COST": s.password_memory_cost,
        "PASSWORD_MIN_LENGTH": 12,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "SESSION_HOURS": 12,
        "TOKEN_MAX_DAYS": 365,
        "MAX_CONTENT_LENGTH": s.max_content_length,
        # Cookie hardening. Secure cookies need https; the development server runs on plain
        # http, so Secure is on in production (or when asked for) only.
        "SESSION_COOKIE_NAME": "caseflow_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production or s.secure_cookies,
        # flask-smorest / OpenAPI (the docs page's script is served from the package: caseflow/api.py)
        "API_TITLE": "caseflow",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_REDOC_PATH": "docs",
        "JSON_SORT_KEYS": False,
        # Follow-up: a case with no progress for this many days is "stale".
        "FOLLOWUP_STALE_DAYS": s.followup_stale_days,
        # KPI reports: cells below this are suppressed outside the lead department(s) (org codes).
        "REPORT_SUPPRESS_BELOW": s.report_suppress_below,
        "REPORT_LEAD_ORGS": s.report_lead_orgs,
        # 保存年限: overrides of caseflow.retention.rules.DEFAULT_SCHEDULE, e.g. "default=5,abuse=30" (docs/retention.md)
        "RETENTION_YEARS": s.retention_years,
        # Audit anomaly reports (auditors may override each per request). Times are Japan time.
        "AUDIT_REPORT_DAYS": s.audit_report_days,  # default period
        "AUDIT_BULK_PERSONS": s.audit_bulk_persons,  # more than N persons …
        "AUDIT_BULK_MINUTES": s.audit_bulk_minutes,  # … within M minutes
        "AUDIT_DENIED_MIN": s.audit_denied_min,  # list users with >= N denials
        "AUDIT_WORK_START": s.audit_work_start,
        "AUDIT_WORK_END": s.audit_work_end,
        "AUDIT_WEEKENDS_OFF": s.audit_weekends_off,
        # Japan's national holidays (the `holidays` library) count as closed days unless turned off ...
        "AUDIT_NATIONAL_HOLIDAYS": s.audit_national_holidays,
        # ... and these further closed days (年末年始, a municipal holiday …) as comma-separated ISO dates.
        "AUDIT_HOLIDAYS": s.audit_holidays,
        # Key that signs verification checkpoints; defaults to one derived from SECRET_KEY.
        "AUDIT_CHECKPOINT_KEY": s.audit_checkpoint_key,
        # The auditors' Ed25519 public keys (base64 of the raw 32 bytes, comma-separated) whose seals are
        # trusted; the private keys are never in the configuration (docs/audit-sealing.md).
        "AUDIT_PUBLIC_KEYS": s.audit_public_keys,
        # E-mail of notifications (a critical case to the duty worker; docs/app-intake.md): the SMTP server (none:
        # notifications are recorded and stay undelivered until `caseflow notifications retry`), the sender, and
        # the service's public address for the link in the mail (the mail holds a link and a case id only).
        "SMTP_HOST": s.smtp_host,
        "SMTP_PORT": s.smtp_port,
        "SMTP_FROM": s.smtp_from,
        "SMTP_TIMEOUT": s.smtp_timeout,
        "PUBLIC_URL": s.public_url,
    }
    if overrides:
        cfg.update(overrides)
    for k in cfg["AUDIT_PUBLIC_KEYS"]:
        if not _is_public_key(k):
            raise ConfigError(f"CASEFLOW_AUDIT_PUBLIC_KEYS: {k[:60]!r} is not an Ed25519 public key (base64 of 32 bytes)")
    try:
        check_database_url(cfg["DATABASE_URL"])
    except ValueError as exc:
        raise ConfigError(f"CASEFLOW_DATABASE_URL: {exc}") from None
    if not cfg["SECRET_KEY"]:
        raise ConfigError("CASEFLOW_SECRET_KEY must be set when CASEFLOW_ENV=production")
    if cfg["CASEFLOW_ENV"] == "production" and cfg["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigError("CASEFLOW_SECRET_KEY: the development secret key cannot be used in production")
    return cfg


def _is_public_key(value: str) -> bool:
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False
