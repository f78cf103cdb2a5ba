"""Authentication: password hashing, login throttling, server-side login sessions, API tokens, CSRF.

Browser logins: flask-login keeps a random session key in the signed cookie; the database keeps
its hash, so logout and deactivation end the session at once. Integrations send
`Authorization: Bearer <token>`. Cookie-authenticated writes must carry the session's CSRF
token in the `X-CSRF-Token` header; bearer requests are not exposed to CSRF.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, g, request, session as cookie_session
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from caseflow import db
from caseflow.db import utcnow
from caseflow.errors import Problem
from caseflow.models import ApiToken, LoginSession, User

login_manager = LoginManager()
TOKEN_PREFIX = "cf_"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["PASSWORD_TIME_COST"], memory_cost=cfg["PASSWORD_MEMORY_COST"])


def check_password_policy(password: str, email: str = "") -> list[str]:
    """Problems with a new password, in Japanese for the user; empty when acceptable."""
    problems = []
    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        problems.append(f"パスワードは{current_app.config['PASSWORD_MIN_LENGTH']}文字以上にしてください。")
    if len(set(password)) < 5:
        problems.append("同じ文字の繰り返しが多すぎます。")
    if email and email.split("@")[0].lower() in password.lower():
        problems.append("メールアドレスを含むパスワードは使えません。")
    return problems


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# A fixed hash to verify against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH: dict[tuple, str] = {}


def authenticate(email: str, password: str) -> User:
    """Check credentials with lockout after repeated failures. Raises Problem on failure."""
    s = db.session()
    user = s.scalar(select(User).where(User.email == email.strip().lower()))
    now = utcnow()
    ph = _hasher()
    if user is None:
        key = (ph.time_cost, ph.memory_cost)
        _DUMMY_HASH.setdefault(key, ph.hash(secrets.token_hex(8)))
        try:
            ph.verify(_DUMMY_HASH[key], password)
        except VerificationError:
            pass
        _audit_failed_login(None, "unknown_account")
        raise _bad_credentials()
    cfg = current_app.config
    if user.locked_until and user.locked_until > now:
        _audit_failed_login(user, "locked")
        raise _locked(user.locked_until, now)
    # Count the attempt before checking it, atomically and committed at once: a read-modify-write counter
    # loses increments when guesses arrive in parallel, and every guess in flight would be checked.
    attempt, locked_until = s.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins, User.locked_until)).one()
    s.commit()
    if (locked_until and locked_until > now) or attempt > cfg["LOGIN_MAX_FAILURES"]:
        # Locked by a parallel attempt since we looked, or more attempts in flight than the limit allows:
        # refused without looking at the password.
        _audit_failed_login(user, "locked")
        raise _locked(locked_until if locked_until and locked_until > now
                      else now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]), now)
    try:
        ph.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        if attempt >= cfg["LOGIN_MAX_FAILURES"]:
            s.execute(update(User).where(User.id == user.id).values(
                locked_until=now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]), failed_logins=0))
        _audit_failed_login(user, "bad_password")
        raise _bad_credentials()
    if not user.active:
        _audit_failed_login(user, "inactive")
        raise _bad_credentials()
    s.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=None))
    s.refresh(user)
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(password)
    return user


def password_matches(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _locked(until, now) -> Problem:
    retry = int((until - now).total_seconds()) + 1
    return Problem(429, "ログインが一時的にロックされています",
                   "ログインの失敗が続いたため、しばらくしてから再度お試しください。",
                   type_="account-locked", headers={"Retry-After": str(retry)})


def _audit_failed_login(user: User | None, reason: str) -> None:
    # Committed now: the request itself ends in an error and rolls back.
    from caseflow import audit

    s = db.session()
    # A known account's failure belongs to its home municipality's trail; an unknown one is a platform event.
    audit.record(s, action="auth.login", resource_type="users", resource_id=user.id if user else None,
                 outcome="denied", detail={"reason": reason},
                 municipality_id=user.org.municipality_id if user else None)
    s.commit()


def _bad_credentials() -> Problem:
    return Problem(401, "認証に失敗しました", "メールアドレスまたはパスワードが正しくありません。",
                   type_="invalid-credentials")


def start_login_session(user: User) -> LoginSession:
    """Rotate the cookie session and open a new server-side login session."""
    key = secrets.token_urlsafe(32)
    ls = LoginSession(
        key_hash=_sha256(key), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(hours=current_app.config["SESSION_HOURS"]),
    )
    db.session().add(ls)
    cookie_session.clear()
    g.login_session_key = key
    login_user(user)
    g.login_session = ls
    return ls


def end_login_session() -> None:
    ls = g.get("login_session")
    if ls is not None:
        ls.revoked_at = utcnow()
    logout_user()
    cookie_session.clear()


def issue_token(user: User, name: str, days: int) -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tok = ApiToken(user_id=user.id, name=name, token_hash=_sha256(raw), prefix=raw[:10],
                   expires_at=utcnow() + timedelta(days=days))
    db.session().add(tok)
    return tok, raw


@login_manager.user_loader
def _load_from_cookie(key: str) -> User | None:
    # The session, its user, the user's organisation and roles in one statement: this runs on every request.
    ls = db.session().scalars(select(LoginSession).where(LoginSession.key_hash == _sha256(key))
                              .options(joinedload(LoginSession.user).joinedload(User.role_rows))).unique().first()
    if ls is None or ls.revoked_at is not None or ls.expires_at <= utcnow() or not ls.user.active:
        return None
    g.login_session = ls
    g.auth_method = "session"
    return ls.user


@login_manager.request_loader
def _load_from_bearer(req) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    raw = header[7:].strip()
    tok = db.session().scalars(select(ApiToken).where(ApiToken.token_hash == _sha256(raw))
                               .options(joinedload(ApiToken.user).joinedload(User.role_rows))).unique().first()
    if tok is None or tok.revoked_at is not None or tok.expires_at <= utcnow() or not tok.user.active:
        return None
    g.auth_method = "token"
    g.api_token = tok
    return tok.user


def check_csrf() -> None:
    """Cookie-authenticated writes need the session's CSRF token (double submit via header)."""
    if request.method in SAFE_METHODS:
        return
    from flask_login import current_user

    current_user._get_current_object()  # resolve the caller (sets g.auth_method)
    if g.get("auth_method") != "session":
        return
    sent = request.headers.get("X-CSRF-Token", "")
    if not hmac.compare_digest(sent, g.login_session.csrf_token):
        problem = Problem(403, "CSRFトークンが不正です",
                          "Cookie で認証した書き込みには X-CSRF-Token ヘッダーが必要です。", type_="csrf")
        # Not recorded as the user's denied attempt: a forged cross-site request rides on the victim's cookie,
        # and the victim did not try anything. Nothing is written at all.
        problem.audited = True
        raise problem


def init_app(app) -> None:
    login_manager.init_app(app)
    # Sessions are checked against the database on every request; no remember-me cookie.
    login_manager.session_protection = None

    @login_manager.unauthorized_handler
    def _unauthorized():
        raise Problem(401, "ログインが必要です", "この操作には認証が必要です。", type_="unauthenticated")
