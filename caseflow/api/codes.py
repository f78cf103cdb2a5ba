from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from caseflow import audit, db
from caseflow.api.blueprint import Blueprint
from caseflow.authz import requires
from caseflow.errors import Problem
from caseflow.models import CODE_LISTS, ManagedCode
from caseflow.schemas.cases import CodeInSchema, CodeSchema

blp = Blueprint("codes", __name__, url_prefix="/api/v1/codes",
                description="Managed lists: issue categories, intake channels, closure reasons, districts …")


def _check_list(list_name: str) -> None:
    if list_name not in CODE_LISTS:
        raise Problem(404, detail=f"リストは次のいずれかです: {', '.join(CODE_LISTS)}")


@blp.route("/<list_name>")
@requires("organizations", "read")
@blp.response(200, CodeSchema(many=True))
def list_codes(list_name):
    """One managed list, in display order (inactive entries included, flagged)."""
    _check_list(list_name)
    return db.session().scalars(select(ManagedCode).where(ManagedCode.list_name == list_name)
                                .order_by(ManagedCode.sort_order, ManagedCode.code)).all()


@blp.route("/<list_name>", methods=["POST"])
@requires("organizations", "update")
@blp.arguments(CodeInSchema)
@blp.response(201, CodeSchema)
def add_code(body, list_name):
    """Add an entry to a managed list (secretariat)."""
    _check_list(list_name)
    s = db.session()
    if s.get(ManagedCode, (list_name, body["code"])):
        raise Problem(409, detail="このコードはすでに登録されています。", errors={"code": ["すでに使われています。"]})
    order = (s.scalar(select(ManagedCode.sort_order).where(ManagedCode.list_name == list_name)
                      .order_by(ManagedCode.sort_order.desc()).limit(1)) or 0) + 1
    code = ManagedCode(list_name=list_name, code=body["code"], label=body["label"], scope=body.get("scope"),
                       sort_order=order, active=True)
    s.add(code)
    audit.record(s, action="codes.create", resource_type="codes", resource_id=f"{list_name}:{body['code']}",
                 actor=current_user)
    return code
