"""The platform's directory of member organisations, imported from the list a city actually keeps (市原市, seed
001: members found through the city's existing networks) -- CSV in UTF-8 or Shift_JIS, or .xlsx.

Columns (Japanese headers as people type them; docs/directory-import.md): 団体名 (required), 種別, 分野 (several,
separated by 、 ・ or commas; issue_category codes or labels), 連絡先 (a phone number and/or an e-mail address in
one cell) or 電話 and メール, 活動地域 (district names or codes of the municipality; 市内全域 = everywhere),
受付時間, ホームページ, 備考. A row is matched to an organisation by its normalised name (NFKC, no spaces, case
folded) within the municipality: a new name creates an organisation (with a generated code) and its directory
entry; a known one brings the entry's imported columns up to date (columns the file lacks are left alone).

Every bad row is reported with its line and column, in Japanese. All or nothing by default; `keep_good_rows`
stores the good rows and still reports every bad one. Each created or changed organisation and entry is on the
audit trail, and one `directory.import` event sums the import up with its counts -- never the file's contents.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from sqlalchemy import select

from caseflow.access import tenancy, trail
from caseflow.codes import rules as codes
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.imports import CREATED, UNCHANGED, UPDATED, ImportReport, apply_rows
from caseflow.core.mynumber import MESSAGE as MY_NUMBER_MESSAGE
from caseflow.core.mynumber import contains_my_number
from caseflow.core.tabular import Row, read_table
from caseflow.core.text import unsafe_characters
from caseflow.organizations import rules as org_rules
from caseflow.organizations.imports import KIND_WORDS
from caseflow.organizations.models import ORG_KINDS, DirectoryEntry, Municipality, Organization

COLUMNS = {
    "name": ("団体名", "名称", "組織名", "団体・機関名"),
    "kind": ("種別", "団体種別", "法人格"),
    "fields": ("分野", "活動分野", "支援分野"),
    "contact": ("連絡先",),
    "phone": ("電話", "電話番号", "TEL"),
    "email": ("メール", "メールアドレス", "E-mail", "Email"),
    "area": ("活動地域", "対応地域", "活動エリア", "地区"),
    "hours": ("受付時間", "活動時間"),
    "website": ("ホームページ", "URL", "ウェブサイト"),
    "note": ("備考", "活動内容", "概要"),
}
REQUIRED = ("name",)
# The column names errors are reported under (what the person sees in the file's header row).
LABELS = {"name": "団体名", "kind": "種別", "fields": "分野", "contact": "連絡先", "phone": "電話", "email": "メール",
          "area": "活動地域", "hours": "受付時間", "website": "ホームページ", "note": "備考"}
MODES = ("all_or_nothing", "good_rows")
MORE_KIND_WORDS = {"任意団体": "other", "市民団体": "other", "ボランティア団体": "other", "自治会": "other",
                   "一般財団法人": "association", "公益社団法人": "association", "公益財団法人": "association",
                   "生活協同組合": "other", "生協": "other", "行政": "department", "市": "department",
                   "社会福祉協議会": "shakyo", "社会福祉法人": "welfare_corporation",
                   "地域包括支援センター": "care_center", "NPO法人": "npo"}
EVERYWHERE = {"市内全域", "全域", "全市", "市全域"}
LIST_SEPARATORS = re.compile(r"[、,，/／\s]+")
DASHES = re.compile(r"[‐‑‒–—―−ー－]")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
PHONE_RE = re.compile(r"0\d{1,4}-?\(?\d{1,4}\)?-?\d{3,4}")
URL_RE = re.compile(r"^https?://[^\s]+$")
LIMITS = {"hours": 200, "note": 2000}


def name_key(name: str) -> str:
    """The stable key of an organisation in a municipality's directory: its name, NFKC, without spaces,
    case folded ("ＮＰＯ法人 ゆう" and "npo法人ゆう" are one organisation)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or "")).casefold()


def generated_code(municipality: Municipality, key: str) -> str:
    """An organisation code for a directory row (the file has none): the municipality's code and a digest of
    the key, at most 32 characters."""
    digest = hashlib.sha256(f"{municipality.id}:{key}".encode()).hexdigest()[:9]
    return f"{municipality.code[:22]}-{digest}"


def _tokens(value: str) -> list[str]:
    return [t for t in LIST_SEPARATORS.split(value or "") if t]


def _match_codes(value: str, known: dict[str, str], *, strip_suffix: str = "") -> tuple[list[str], list[str]]:
    """(codes, unknown words) of a cell listing codes or labels separated by 、 ・ , / or spaces. A label that
    itself holds a ・ (孤独・孤立) matches whole: the longest run of ・-separated parts that names a label wins."""
    by_word = {k.casefold(): k for k in known}
    by_word |= {label.casefold(): code for code, label in known.items()}
    if strip_suffix:
        by_word |= {label.removesuffix(strip_suffix).casefold(): code for code, label in known.items()}

    def lookup(word: str) -> str | None:
        word = word.casefold()
        return by_word.get(word) or (by_word.get(word.removesuffix(strip_suffix)) if strip_suffix else None)

    found, unknown = [], []
    for token in _tokens(value):
        parts = [p for p in token.split("・") if p]
        i = 0
        while i < len(parts):
            for j in range(len(parts), i, -1):
                code = lookup("・".join(parts[i:j]))
                if code:
                    found.append(code)
                    i = j
                    break
            else:
                unknown.append(parts[i])
                i += 1
    return list(dict.fromkeys(found)), unknown


def _contact(values: dict, errors: dict) -> dict:
    """phone and email from the 連絡先 cell and/or the 電話 and メール columns (only those the file has)."""
    out = {}
    if "contact" in values:
        cell = DASHES.sub("-", values["contact"])
        emails, phones = EMAIL_RE.findall(cell), PHONE_RE.findall(EMAIL_RE.sub(" ", cell))
        if cell and not emails and not phones:
            errors["連絡先"] = ["電話番号もメールアドレスも読み取れません（例: 0436-00-0000 / info@example.jp）。"]
        out["phone"], out["email"] = (phones[0] if phones else None), (emails[0] if emails else None)
    if "phone" in values:
        phone = DASHES.sub("-", values["phone"])
        if phone and not PHONE_RE.fullmatch(phone):
            errors["電話"] = [f"「{phone}」は電話番号として読み取れません（例: 0436-00-0000）。"]
        out["phone"] = phone or out.get("phone")
    if "email" in values:
        if values["email"] and not EMAIL_RE.fullmatch(values["email"]):
            errors["メール"] = ["メールアドレスとして読み取れません（例: info@example.jp）。"]
        out["email"] = values["email"] or out.get("email")
    return out


def _wanted(values: dict, municipality: Municipality, issue_codes: dict, districts: dict) -> tuple[dict, dict, dict]:
    """(organisation columns, entry columns, errors by Japanese column name) of one row."""
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        problem = unsafe_characters(value)
        if problem:
            errors[LABELS[key]] = [problem]
        elif contains_my_number(value):
            errors[LABELS[key]] = [MY_NUMBER_MESSAGE]
    name = values.get("name", "")
    if not name:
        errors["団体名"] = ["団体名は必須です。"]
    elif len(name) > 200:
        errors["団体名"] = ["200文字以内にしてください。"]
    org = {"name": name}
    if "kind" in values:
        word = values["kind"]
        kind = word if word in ORG_KINDS else (KIND_WORDS | MORE_KIND_WORDS).get(word)
        if word and kind is None:
            errors["種別"] = [f"「{word}」は種別として読み取れません（{'、'.join(ORG_KINDS.values())} など）。"]
        if kind:  # a blank cell leaves a known organisation's kind alone (a new one is その他)
            org["kind"] = kind
    entry = {}
    if "fields" in values:
        found, unknown = _match_codes(values["fields"], issue_codes)
        if unknown:
            errors["分野"] = ["、".join(f"「{w}」" for w in unknown) + "はコード表 issue_category（課題分類）にありません。"]
        entry["fields"] = ",".join(found)
    if "area" in values:
        if values["area"] in EVERYWHERE:
            found, unknown = [], []
        else:
            found, unknown = _match_codes(values["area"], districts, strip_suffix="地区")
        if unknown:
            where = f"{municipality.name}の地区リスト（district）" if districts else \
                f"{municipality.name}の地区リスト（district）はまだ空です。caseflow codes import で登録してください。"
            errors["活動地域"] = ["、".join(f"「{w}」" for w in unknown) + f"は{where}にありません。"
                              if districts else where]
        entry["service_area"] = ",".join(found)
    entry |= _contact(values, errors)
    for key, limit in LIMITS.items():
        if key in values:
            if len(values[key]) > limit:
                errors[LABELS[key]] = [f"{limit}文字以内にしてください。"]
            entry["hours" if key == "hours" else "description"] = values[key] or None
    if "website" in values:
        if values["website"] and not URL_RE.match(values["website"]):
            errors["ホームページ"] = ["http:// または https:// で始まる URL にしてください。"]
        entry["website"] = values["website"] or None
    for key, limit in (("fields", 500), ("service_area", 500), ("phone", 40), ("email", 254), ("website", 300)):
        if entry.get(key) and len(entry[key]) > limit:
            errors.setdefault(LABELS.get(key, "活動地域" if key == "service_area" else key), []).append(
                f"{limit}文字以内にしてください。")
    return org, entry, errors


def import_directory(path: Path | bytes, municipality: Municipality, *, actor=None, dry_run: bool,
                     mode: str = "all_or_nothing", progress=None) -> ImportReport:
    """Create or update the directory of `municipality` from the file at `path` (or its uploaded bytes; see the
    module docstring)."""
    if mode not in MODES:
        raise validation_problem({"mode": [f"次のいずれかを指定してください: {', '.join(MODES)}"]})
    rows = read_table(path, COLUMNS, REQUIRED)
    s = db.session()
    issue_codes = codes.active_codes("issue_category")
    districts = codes.active_codes("district", municipality.id)
    known: dict[str, Organization] = {}
    for org in s.scalars(select(Organization).where(tenancy.org_is_member(municipality.id))
                         .order_by(Organization.created_at)):
        known.setdefault(name_key(org.name), org)
    seen: dict[str, int] = {}

    def apply(row: Row) -> str:
        org_values, entry_values, errors = _wanted(row.values, municipality, issue_codes, districts)
        key = name_key(org_values["name"])
        if key and key in seen:
            errors["団体名"] = [f"{seen[key]}行目と同じ団体です。1団体1行にしてください。"]
        if errors:
            raise validation_problem(errors)
        seen[key] = row.number
        org = known.get(key)
        if org is not None and org.municipality_id != municipality.id:
            raise validation_problem({"団体名": ["他の自治体に所属する参加団体です。その自治体の名簿で更新してください。"]})
        outcome = UNCHANGED
        if org is None:
            org = _create(municipality, key, org_values, actor)
            outcome = CREATED
        else:
            changed = sorted(k for k, v in org_values.items() if getattr(org, k) != v)
            if changed:
                for k in changed:
                    setattr(org, k, org_values[k])
                trail.record(s, action="organizations.update", resource_type="organizations", resource_id=org.id,
                             actor=actor, municipality_id=municipality.id,
                             detail={"changed": changed, "via": "directory-import"})
                outcome = UPDATED
        if _save_entry(org, entry_values, actor) and outcome == UNCHANGED:
            outcome = UPDATED
        s.flush()
        known[key] = org
        return outcome

    def summary(report: ImportReport) -> None:
        trail.record(s, action="directory.import", resource_type="directory", actor=actor,
                     municipality_id=municipality.id,
                     detail={"mode": mode, "rows": len(rows), "errors": len({line for line, _, _ in report.errors}),
                             **{k: report.outcomes[k] for k in (CREATED, UPDATED, UNCHANGED)}})

    return apply_rows(rows, apply, dry_run=dry_run, progress=progress, keep_good_rows=mode == "good_rows",
                      before_commit=summary)


def _create(municipality: Municipality, key: str, values: dict, actor) -> Organization:
    try:
        return org_rules.create_organization(code=generated_code(municipality, key), name=values["name"],
                                            kind=values.get("kind") or "other", municipality=municipality,
                                            actor=actor)
    except Problem as exc:  # the generated code is taken (a hash collision, or a code typed by hand)
        raise validation_problem({"団体名": ["この団体の組織コードを自動で割り当てられません。運用者に連絡してください。"]}) \
            from exc


def _save_entry(org: Organization, values: dict, actor) -> bool:
    """Bring the entry's imported columns to `values` (creating the entry); True when anything changed."""
    s = db.session()
    entry = s.get(DirectoryEntry, org.id)
    created = entry is None
    if created:
        entry = DirectoryEntry(org_id=org.id, fields="", languages="", service_area="", lgbtq=False,
                               takes_consultations=True, joint_support=False, capacity="accepting")
        s.add(entry)
    changed = sorted(k for k, v in values.items() if getattr(entry, k) != v)
    if not created and not changed:
        return False
    for k in changed:
        setattr(entry, k, values[k])
    entry.updated_by_user_id = getattr(actor, "id", None)
    entry.updated_at = utcnow()
    trail.record(s, action="directory.create" if created else "directory.update", resource_type="directory",
                 resource_id=org.id, actor=actor, municipality_id=org.municipality_id,
                 detail={"changed": changed, "via": "directory-import"})
    return True


def municipality_of(actor) -> Municipality:
    """The municipality the actor administers as its secretariat (403 for anyone else)."""
    administered = tenancy.administered_municipality_id(actor)
    if administered is None:
        raise Problem(403, detail="名簿の取り込みは自治体のプラットフォーム事務局のみ行えます。", type_="forbidden")
    return db.session().get(Municipality, administered)

