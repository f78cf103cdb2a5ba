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
import threading
import uuid
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, g, request
from flask import session as cookie_session
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, lazyload

from caseflow.access import trail
from caseflow.accounts.models import ApiToken, LoginSession, User
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem

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


# An account that does not exist: the attempt counter runs for it too, on no row (see authenticate).
_NO_ACCOUNT = uuid.UUID(int=0)
# A fixed hash per parameter set, verified when the email is unknown so that an unknown email costs what a
# wrong password costs. Made once (init_app warms it), never per request.
_DUMMY_HASH: dict[tuple, str] = {}
_DUMMY_LOCK = threading.Lock()


def _dummy_hash(ph: PasswordHasher) -> str:
    key = (ph.time_cost, ph.memory_cost, ph.parallelism, ph.hash_len, ph.salt_len)
    found = _DUMMY_HASH.get(key)
    if found is None:
        with _DUMMY_LOCK:
            found = _DUMMY_HASH.get(key) or ph.hash(secrets.token_hex(16))
            _DUMMY_HASH[key] = found
    return found


def authenticate(email: str, password: str) -> User:
    """Check credentials with lockout after repeated failures. Raises Problem on failure.

    An unknown email and a wrong password take the same path, statement for statement: the user lookup,
    the attempt counter (for an unknown email on no row), one hash verification (a dummy hash made with
    the same parameters), the audit event. Their answer times do not tell which accounts exist."""
    s = db.session()
    cfg = current_app.config
    # Roles are loaded on use (a success), not with the user: that would be a query an unknown email lacks.
    user = s.scalar(select(User).where(User.email == email.strip().lower()).options(lazyload(User.role_rows)))
    now = utcnow()
    ph = _hasher()
    if user is not None and user.locked_until and user.locked_until > now:
        _audit_failed_login(user.id, "locked", user.org.municipality_id)
        raise _locked(user.locked_until, now)
    user_id = user.id if user is not None else None
    home = user.org.municipality_id if user is not None else None  # loaded with the user (no extra query)
    stored = user.password_hash if user is not None else _dummy_hash(ph)
    # Count the attempt before checking it, atomically and committed at once: a read-modify-write counter
    # loses increments when guesses arrive in parallel, and every guess in flight would be checked.
    counted = s.execute(
        update(User).where(User.id == (user_id or _NO_ACCOUNT)).values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins, User.locked_until)).first()
    s.commit()
    attempt, locked_until = counted if counted is not None else (0, None)
    if user_id is not None and ((locked_until and locked_until > now) or attempt > cfg["LOGIN_MAX_FAILURES"]):
        # Locked by a parallel attempt since we looked, or more attempts in flight than the limit allows:
        # refused without looking at the password.
        _audit_failed_login(user_id, "locked", home)
        raise _locked(locked_until if locked_until and locked_until > now
                      else now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]), now)
    try:
        ph.verify(stored, password)
        matched = True
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matched = False
    if user_id is None:
        _audit_failed_login(None, "unknown_account")
        raise _bad_credentials()
    if not matched:
        if attempt >= cfg["LOGIN_MAX_FAILURES"]:
            s.execute(update(User).where(User.id == user_id).values(
                locked_until=now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]), failed_logins=0))
        _audit_failed_login(user_id, "bad_password", home)
        raise _bad_credentials()
    if not user.active:
        _audit_failed_login(user_id, "inactive", home)
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


def _audit_failed_login(user_id: uuid.UUID | None, reason: str, municipality_id: uuid.UUID | None = None) -> None:
    # Committed now: the request itself ends in an error and rolls back. A known account's failure belongs to
    # its home municipality's trail; an unknown one is a platform event.

    s = db.session()
    trail.record(s, action="auth.login", resource_type="users", resource_id=user_id, outcome="denied",
                 detail={"reason": reason}, municipality_id=municipality_id)
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


def require_login_session(what: str) -> None:
    """Refuse a request authenticated by a bearer token: some things need the person at the keyboard. A token
    that could mint tokens would outlive its own revocation and expiry."""
    from flask_login import current_user

    current_user._get_current_object()  # resolve the caller (sets g.auth_method)
    if g.get("auth_method") != "session":
        raise Problem(403, "ログインセッションが必要です",
                      f"{what}はブラウザでログインした利用者のみ行えます（APIトークンでは行えません）。",
                      type_="session-required")


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
    if not csrf_token_matches(request.headers.get("X-CSRF-Token", ""), g.login_session.csrf_token):
        problem = Problem(403, "CSRFトークンが不正です",
                          "Cookie で認証した書き込みには X-CSRF-Token ヘッダーが必要です。", type_="csrf")
        # Not recorded as the user's denied attempt: a forged cross-site request rides on the victim's cookie,
        # and the victim did not try anything. Nothing is written at all.
        problem.audited = True
        raise problem


def csrf_token_matches(sent: str, expected: str) -> bool:
    """Constant-time comparison of the header with the session's token. Header values arrive as latin-1
    text, so anything can be in them: hmac.compare_digest refuses non-ASCII str (a TypeError, once a 500),
    so compare UTF-8 bytes: a value of another length or with non-ASCII characters is simply wrong."""
    sent_bytes = sent.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(sent_bytes, expected.encode("ascii"))


def init_app(app) -> None:
    login_manager.init_app(app)
    with app.app_context():  # the dummy hash exists before the first login, so no login pays for making it
        _dummy_hash(_hasher())
    # Sessions are checked against the database on every request; no remember-me cookie.
    login_manager.session_protection = None

    @login_manager.unauthorized_handler
    def _unauthorized():
        raise Problem(401, "ログインが必要です", "この操作には認証が必要です。", type_="unauthenticated")
