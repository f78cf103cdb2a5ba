from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from caseflow.access import tenancy
from caseflow.access.authz import requires
from caseflow.codes import rules as codes
from caseflow.codes.models import CODE_LISTS, ManagedCode
from caseflow.codes.schemas import CodeInSchema, CodeSchema
from caseflow.core import db
from caseflow.core.blueprint import Blueprint
from caseflow.core.errors import Problem, validation_problem
from caseflow.organizations.models import Municipality

blp = Blueprint("codes", __name__, url_prefix="/api/v1/codes",
                description="Managed lists: issue categories, intake channels, closure reasons, districts …")


# The lists as a path converter: the document enumerates `list_name` from CODE_LISTS, and the routing refuses
# another name (404) as _check_list does.
LIST_NAME = f"<any({', '.join(CODE_LISTS)}):list_name>"


def _check_list(list_name: str) -> None:
    if list_name not in CODE_LISTS:
        raise Problem(404, detail=f"リストは次のいずれかです: {', '.join(CODE_LISTS)}")


@blp.route(f"/{LIST_NAME}")
@requires("organizations", "read")
@blp.response(200, CodeSchema(many=True))
def list_codes(list_name):
    """One managed list, in display order (inactive entries included, flagged). Districts are those of the
    municipality you act in."""
    _check_list(list_name)
    return db.session().scalars(select_list(list_name)).all()


def select_list(list_name: str):
    return (select(ManagedCode).where(*codes.in_list(list_name, current_user.municipality_id))
            .order_by(ManagedCode.sort_order, ManagedCode.code))


@blp.route(f"/{LIST_NAME}", methods=["POST"])
@requires("organizations", "update")
@blp.arguments(CodeInSchema)
@blp.response(201, CodeSchema)
def add_code(body, list_name):
    """Add an entry to a municipal list (districts) of the municipality you administer (its secretariat).
    The deployment-wide lists are the operator's (`caseflow codes add`)."""
    _check_list(list_name)
    administered = tenancy.administered_municipality_id(current_user)
    if list_name not in codes.MUNICIPAL_LISTS or administered is None:
        raise Problem(403, detail="このリストは運用者（caseflow codes add）が管理します。", type_="forbidden")
    m = db.session().get(Municipality, administered)
    if body.get("scope") not in (None, m.code):
        raise validation_problem({"scope": ["自分の自治体のリストにのみ追加できます。"]})
    return codes.add(list_name, body["code"], body["label"], municipality=m, actor=current_user)
