"""Who may change a case's plan: the organisations working on the case, the owner for some acts, never a closed case."""
from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from caseflow.access.sharing import Viewer, relations_to_cases
from caseflow.cases.models import WORKING_RELATIONS, Case
from caseflow.core import db
from caseflow.core.errors import Problem

LEAD_RELATIONS = {"owner", "co_lead"}


NOT_FOUND = "指定されたリソースは存在しないか、閲覧できません。"


def _relations(case: Case, actor) -> set[str]:
    return relations_to_cases(Viewer.of(actor), [case.id]).get(case.id, set())


def require_involved(case: Case, actor, what: str) -> None:
    """Only organisations working on the case write its assessment (a meeting member only reads)."""
    if not _relations(case, actor) & set(WORKING_RELATIONS):
        raise Problem(403, detail=f"{what}は、このケースに関わる組織（主担当・副担当・紹介を受けた組織・タスク担当）のみ行えます。",
                      type_="forbidden")


def require_case_owner(case: Case, actor, what: str) -> None:
    """The plan is the lead's and the co-leads' (主担当・副担当) to shape."""
    if case.owner_org_id != actor.org_id and not _relations(case, actor) & LEAD_RELATIONS:
        raise Problem(403, detail=f"{what}は、ケースの主担当組織（または副担当組織）のみ行えます。", type_="forbidden")


def _require_open_case(case: Case) -> None:
    if case.stage == "closed":
        raise Problem(409, detail="終結したケースの支援プランは変更できません。再開してから行ってください。",
                      type_="case-closed", current_stage=case.stage)


def _flush_or_conflict() -> None:
    try:
        db.session().flush()
    except StaleDataError:
        raise Problem(409, detail="ほかの人が先に更新しました。最新の内容を取得してからやり直してください。",
                      type_="stale-version") from None
