"""Small helpers shared by the blueprints: viewer, optimistic concurrency, disclosure auditing."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from caseflow.access import trail
from caseflow.access.disclosure import DisclosureLog
from caseflow.access.sharing import Viewer
from caseflow.core import db
from caseflow.core.errors import Problem


def viewer() -> Viewer:
    return Viewer.of(current_user)


def etag(version: int) -> dict:
    return {"ETag": f'"{version}"'}


def require_if_match(version: int) -> None:
    """Updates carry the version they were based on; a stale one changes nothing (412)."""
    sent = request.headers.get("If-Match")
    if not sent:
        raise Problem(428, detail="更新には If-Match ヘッダー（取得時の ETag）が必要です。", type_="if-match-required")
    if sent.strip().removeprefix("W/") != f'"{version}"':
        raise Problem(412, detail="ほかの人が先に更新しました。最新の内容を取得してからやり直してください。",
                      type_="stale-version", current_version=version)


def record_read(action: str, resource_type: str, resource_id, log: DisclosureLog, detail: dict | None = None) -> None:
    """Every response that carries personal data is an audited disclosure, naming basis and categories."""
    bases = log.bases
    trail.record(db.session(), action=action, resource_type=resource_type, resource_id=resource_id,
                 actor=current_user, disclosures=log.disclosures(),
                 legal_basis=bases[0] if len(bases) == 1 else ("multiple" if bases else None),
                 flagged=log.emergency_used, detail=detail)
