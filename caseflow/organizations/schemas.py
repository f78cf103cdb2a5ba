from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from caseflow.access.refs import ActorsNamed, actor_field
from caseflow.core.refs import MunicipalityRefSchema, OrganizationRefSchema
from caseflow.core.schemas import Code, PageArgs, Text, Timestamp, page_of
from caseflow.organizations.models import CAPACITY_STATES, ORG_KINDS


class MunicipalitySchema(MunicipalityRefSchema):
    secretariat_org_id = fields.UUID(allow_none=True)
    active = fields.Boolean()
    created_at = Timestamp()


class OrganizationSchema(OrganizationRefSchema):
    parent_id = fields.UUID(allow_none=True)
    municipality_id = fields.UUID(metadata={"description": "the organisation's home municipality"})
    active = fields.Boolean()
    created_at = Timestamp()


class MembershipSchema(ActorsNamed, Schema):
    ACTORS = {"granted_by": "granted_by_user_id", "ended_by": "ended_by_user_id"}

    id = fields.UUID()
    municipality_id = fields.UUID()
    org = fields.Nested(OrganizationRefSchema)
    reason = fields.String(allow_none=True)
    granted_by_user_id = fields.UUID(allow_none=True)
    granted_at = Timestamp()
    ended_at = Timestamp(allow_none=True)
    ended_by_user_id = fields.UUID(allow_none=True)
    granted_by = actor_field("who granted the membership")
    ended_by = actor_field("who ended it")


class MembershipCreateSchema(Schema):
    org_id = fields.UUID(required=True)
    reason = Text(max_length=500, allow_none=True)


class MembershipQuerySchema(PageArgs):
    include_ended = fields.Boolean(load_default=False)


class OrganizationCreateSchema(Schema):
    code = Text(required=True, max_length=64)
    name = Text(required=True, min_length=1, max_length=200)
    kind = fields.String(required=True, validate=validate.OneOf(list(ORG_KINDS)))
    parent_code = Text(max_length=64, allow_none=True)


class OrganizationUpdateSchema(Schema):
    name = Text(min_length=1, max_length=200)
    active = fields.Boolean()


class OrganizationQuerySchema(PageArgs):
    kind = fields.String(validate=validate.OneOf(list(ORG_KINDS)))
    q = Text(max_length=100)


def _language() -> fields.String:
    return fields.String(validate=validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$",
                                                  error="ISO 639 の言語コード（例: en, zh, vi）で指定してください。"))




class DirectoryOrgSchema(OrganizationRefSchema):
    """The organisation reference, with its parent (a branch lists under its head organisation)."""

    parent_id = fields.UUID(allow_none=True)


class DirectoryEntrySchema(Schema):
    """What an organisation offers (活動分野, 外国語対応, LGBTQ+, 対象, 対応地域, 受付時間, 連絡先, 受入状況)."""

    org_id = fields.UUID()
    org = fields.Nested(DirectoryOrgSchema)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields",
                          metadata={"description": "活動分野: issue_category codes"})
    languages = fields.List(fields.String(), metadata={"description": "外国語対応: ISO codes besides ja"})
    lgbtq = fields.Boolean(metadata={"description": "性的マイノリティに関する専門性・対応あり"})
    eligibility = fields.String(allow_none=True, metadata={"description": "対象 (e.g. 24歳以下の人とそのまわりの人)"})
    age_min = fields.Integer(allow_none=True)
    age_max = fields.Integer(allow_none=True)
    service_area = fields.List(fields.String(), metadata={"description": "district codes"})
    hours = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    line = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    takes_consultations = fields.Boolean(metadata={"description": "個別相談を受け付けるか"})
    joint_support = fields.Boolean(metadata={"description": "協同支援の可否"})
    capacity = fields.String(metadata={"description": "accepting (受入可) | full (満員) | paused (受入停止)"})
    updated_at = Timestamp()
    version = fields.Integer()


class DirectoryEntryInSchema(Schema):
    """The whole entry (PUT replaces it; omitted fields take their defaults)."""

    fields_ = fields.List(Code("issue_category"), data_key="fields", attribute="fields",
                          validate=validate.Length(max=30), metadata={"description": "issue_category codes"})
    languages = fields.List(_language(), validate=validate.Length(max=20))
    lgbtq = fields.Boolean()
    eligibility = Text(max_length=300, allow_none=True)
    age_min = fields.Integer(validate=validate.Range(min=0, max=120), allow_none=True)
    age_max = fields.Integer(validate=validate.Range(min=0, max=120), allow_none=True)
    service_area = fields.List(Code("district"), validate=validate.Length(max=100),
                               metadata={"description": "district codes"})
    hours = Text(max_length=200, allow_none=True)
    phone = Text(max_length=40, allow_none=True, validate=[validate.Regexp(
        r"^[0-9+\-() ]*$", error="電話番号は数字・ハイフン・括弧で入力してください。")])
    email = fields.Email(validate=validate.Length(max=254), allow_none=True)
    line = Text(max_length=100, allow_none=True)
    website = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=300), allow_none=True)
    description = Text(max_length=4000, allow_none=True)
    takes_consultations = fields.Boolean()
    joint_support = fields.Boolean()
    capacity = fields.String(validate=validate.OneOf(CAPACITY_STATES))


class DirectoryQuerySchema(PageArgs):
    field = fields.List(Code("issue_category"), metadata={"description": "活動分野 (any of)"})
    language = fields.List(_language(), metadata={"description": "対応言語 (any of)"})
    district = fields.List(Code("district"), metadata={"description": "対応地域 (any of)"})
    kind = fields.List(fields.String(validate=validate.OneOf(list(ORG_KINDS))))
    capacity = fields.List(fields.String(validate=validate.OneOf(CAPACITY_STATES)))
    lgbtq = fields.Boolean()
    takes_consultations = fields.Boolean()
    joint_support = fields.Boolean()
    age = fields.Integer(validate=validate.Range(min=0, max=120),
                         metadata={"description": "organisations whose age range includes this age"})
    q = Text(max_length=100, metadata={"description": "name, code, description or eligibility contains"})


OrganizationPage = page_of(OrganizationSchema)


MembershipPage = page_of(MembershipSchema)


DirectoryPageSchema = page_of(DirectoryEntrySchema)


class DirectoryImportFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "CSV (UTF-8 or Shift_JIS) or .xlsx: 団体名, 種別, 分野, "
                                                          "連絡先 (or 電話, メール), 活動地域, 受付時間, ホームページ, 備考"})


class DirectoryImportArgs(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "check every row and store nothing"})
    mode = fields.String(load_default="all_or_nothing", validate=validate.OneOf(["all_or_nothing", "good_rows"]),
                         metadata={"description": "all_or_nothing: one bad row stores nothing; good_rows: store the "
                                                  "good rows, report the bad ones"})


class ImportErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "the line in the file (the header is line 1)"})
    column = fields.String(metadata={"description": "the column, as named in the header (団体名, 分野 …)"})
    message = fields.String()


class DirectoryImportReportSchema(Schema):
    dry_run = fields.Boolean()
    mode = fields.String()
    stored = fields.Boolean(metadata={"description": "whether anything was written"})
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    errors = fields.List(fields.Nested(ImportErrorSchema))
    messages = fields.List(fields.String(), metadata={"description": "the errors as lines: 「3 行目 分野: …」"})
