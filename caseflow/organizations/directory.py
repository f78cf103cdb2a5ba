"""The organisation directory (支援団体一覧): who offers what, where, for whom -- and referral suggestions.

A directory entry is public information within the platform (no personal data): every signed-in user may
search it. An organisation edits its own entry; the platform secretariat (admin) edits all. List
attributes (fields of activity, languages, service area) are stored comma-separated and matched in SQL
with the delimiters included (",a,b," LIKE "%,a,%"), so "dv" never matches "dv_x".

Suggestions score the directory for one case: the case's issues against fields of activity, the
languages its persons need, its district against service areas, the primary person's age against the
eligibility range, capacity and whether the organisation takes consultations. One query reads the
directory (a few hundred rows); the scoring is plain Python and every point comes with a reason.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import literal, or_, select
from sqlalchemy.sql import Select

from caseflow.access import tenancy, trail
from caseflow.cases.models import Case, HouseholdMember, Person
from caseflow.codes import rules as codes
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.errors import Problem, validation_problem
from caseflow.core.text import like_pattern, nfkc
from caseflow.organizations.models import DirectoryEntry, Organization
from caseflow.referrals.models import Referral

LIST_COLUMNS = {"fields": 500, "languages": 100, "service_area": 500}  # stored length limits
SCALAR_COLUMNS = ("lgbtq", "eligibility", "age_min", "age_max", "hours", "phone", "email", "line", "website",
                  "description", "takes_consultations", "joint_support", "capacity")
DEFAULTS = {"fields": [], "languages": [], "service_area": [], "lgbtq": False, "eligibility": None, "age_min": None,
            "age_max": None, "hours": None, "phone": None, "email": None, "line": None, "website": None,
            "description": None, "takes_consultations": True, "joint_support": False, "capacity": "accepting"}
CAPACITY_LABELS = {"accepting": "受入可", "full": "満員", "paused": "受入停止中"}
LANGUAGE_LABELS = {"en": "英語", "zh": "中国語", "ko": "韓国語", "vi": "ベトナム語", "tl": "タガログ語",
                   "fil": "フィリピノ語", "pt": "ポルトガル語", "es": "スペイン語", "ne": "ネパール語",
                   "id": "インドネシア語", "th": "タイ語", "my": "ミャンマー語", "fr": "フランス語",
                   "ru": "ロシア語", "uk": "ウクライナ語", "si": "シンハラ語", "bn": "ベンガル語", "mn": "モンゴル語"}


def split(value: str | None) -> list[str]:
    return [x for x in (value or "").split(",") if x]


def _contains_any(column, values: list[str]):
    """SQL: the comma-separated `column` holds one of `values`."""
    wrapped = literal(",") + column + literal(",")
    return or_(*[wrapped.like(like_pattern(f",{v},"), escape="\\") for v in values])


# --- reading ---------------------------------------------------------------------------------

def search_query(filters: dict, municipality_id: uuid.UUID) -> Select:
    """Directory rows (entry, organisation) of the municipality's active organisations (home or member),
    filtered in SQL, by organisation code."""
    stmt = (select(DirectoryEntry, Organization).join(Organization, Organization.id == DirectoryEntry.org_id)
            .where(Organization.active.is_(True), tenancy.org_is_member(municipality_id)))
    if filters.get("field"):
        stmt = stmt.where(_contains_any(DirectoryEntry.fields, filters["field"]))
    if filters.get("language"):
        stmt = stmt.where(_contains_any(DirectoryEntry.languages, filters["language"]))
    if filters.get("district"):
        stmt = stmt.where(_contains_any(DirectoryEntry.service_area, filters["district"]))
    if filters.get("kind"):
        stmt = stmt.where(Organization.kind.in_(filters["kind"]))
    if filters.get("capacity"):
        stmt = stmt.where(DirectoryEntry.capacity.in_(filters["capacity"]))
    for flag in ("lgbtq", "takes_consultations", "joint_support"):
        if filters.get(flag) is not None:
            stmt = stmt.where(getattr(DirectoryEntry, flag).is_(filters[flag]))
    if filters.get("age") is not None:
        age = filters["age"]
        stmt = stmt.where(or_(DirectoryEntry.age_min.is_(None), DirectoryEntry.age_min <= age),
                          or_(DirectoryEntry.age_max.is_(None), DirectoryEntry.age_max >= age))
    if filters.get("q"):
        pattern = like_pattern(nfkc(filters["q"]).strip())
        stmt = stmt.where(or_(*[col.like(pattern, escape="\\") for col in (
            Organization.name, Organization.code, DirectoryEntry.description, DirectoryEntry.eligibility)]))
    return stmt.order_by(Organization.code, Organization.id)


def present_entry(entry: DirectoryEntry, org: Organization) -> dict:
    out = {"org": {"id": org.id, "code": org.code, "name": org.name, "kind": org.kind, "parent_id": org.parent_id},
           "org_id": org.id}
    for key in LIST_COLUMNS:
        out[key] = split(getattr(entry, key))
    for key in SCALAR_COLUMNS:
        out[key] = getattr(entry, key)
    out["updated_at"] = entry.updated_at
    out["version"] = entry.version
    return out


def get_organization(org_id: uuid.UUID, municipality_id: uuid.UUID) -> Organization:
    """An organisation of the municipality (home or member); 404 for any other."""
    org = db.session().scalar(select(Organization).where(Organization.id == org_id,
                                                         tenancy.org_is_member(municipality_id)))
    if org is None:
        raise Problem(404, detail="指定されたリソースは存在しないか、閲覧できません。")
    return org


def get_entry(org_id: uuid.UUID, municipality_id: uuid.UUID) -> tuple[DirectoryEntry, Organization]:
    org = get_organization(org_id, municipality_id)
    entry = db.session().get(DirectoryEntry, org.id)
    if entry is None:
        raise Problem(404, detail="この組織の名簿（支援団体情報）はまだ登録されていません。", type_="no-directory-entry")
    return entry, org


# --- editing ---------------------------------------------------------------------------------

def may_edit(org: Organization, actor) -> bool:
    """An organisation edits its own entry; a municipality's secretariat edits the entries of the
    organisations at home there."""
    return actor.org_id == org.id or (org.municipality_id == tenancy.administered_municipality_id(actor))


def save_entry(org: Organization, data: dict, *, actor) -> tuple[DirectoryEntry, bool]:
    """Replace the entry with `data` (omitted fields take their defaults). Returns (entry, created)."""
    values = {**DEFAULTS, **data}
    _validate(values, org)
    s = db.session()
    entry = s.get(DirectoryEntry, org.id)
    created = entry is None
    if created:
        entry = DirectoryEntry(org_id=org.id)
        s.add(entry)
    before = {} if created else present_entry(entry, org)
    for key in LIST_COLUMNS:
        setattr(entry, key, ",".join(dict.fromkeys(values[key])))  # keep order, drop duplicates
    for key in SCALAR_COLUMNS:
        setattr(entry, key, values[key])
    entry.updated_by_user_id = actor.id
    entry.updated_at = utcnow()
    s.flush()
    after = present_entry(entry, org)
    changed = sorted(k for k in (*LIST_COLUMNS, *SCALAR_COLUMNS) if before.get(k) != after[k])
    # The entry is organisational, not personal, data; the changed keys are enough for the trail.
    trail.record(s, action="directory.create" if created else "directory.update", resource_type="directory",
                 resource_id=org.id, actor=actor, detail={"changed": changed})
    return entry, created


def _validate(values: dict, org: Organization) -> None:
    codes.check("issue_category", "fields", values["fields"])
    # districts of any municipality the organisation serves (its home and its memberships)
    known: dict[str, str] = {}
    for m in tenancy.municipalities_of(org):
        known |= codes.active_codes("district", m.id)
    unknown = [d for d in values["service_area"] if d not in known]
    if unknown:
        raise validation_problem({"service_area": [codes.unknown_code_message("district", unknown, known)]})
    errors: dict[str, list[str]] = {}
    for key, limit in LIST_COLUMNS.items():
        if len(",".join(dict.fromkeys(values[key]))) > limit:
            errors[key] = [f"合計{limit}文字以内にしてください。"]
    if "ja" in values["languages"]:
        errors["languages"] = ["日本語以外の対応言語を指定してください（日本語は前提です）。"]
    lo, hi = values["age_min"], values["age_max"]
    if lo is not None and hi is not None and lo > hi:
        errors["age_max"] = ["対象年齢の上限は下限以上にしてください。"]
    if errors:
        raise validation_problem(errors)


# --- suggestions for a referral --------------------------------------------------------------

@dataclass
class CaseProfile:
    """The de-identified facts of a case that matter for matching."""

    issues: set[str]
    district: str | None
    languages: list[str]
    age: int | None


def case_profile(case: Case, today: date) -> CaseProfile:
    s = db.session()
    person_ids = set()
    if case.primary_person_id:
        person_ids.add(case.primary_person_id)
    if case.household_id:
        person_ids |= set(s.scalars(select(HouseholdMember.person_id).where(
            HouseholdMember.household_id == case.household_id, HouseholdMember.until.is_(None))))
    languages: set[str] = set()
    age = None
    if person_ids:
        for pid, langs, birth_year in s.execute(select(Person.id, Person.languages, Person.birth_year)
                                                .where(Person.id.in_(person_ids))):
            languages |= {x for x in split(langs) if x != "ja"}
            if pid == case.primary_person_id and birth_year:
                age = today.year - birth_year
    return CaseProfile(issues=set(case.issues), district=case.district_code, languages=sorted(languages), age=age)


def language_label(code: str) -> str:
    return LANGUAGE_LABELS.get(code, code)


def _age_text(entry: DirectoryEntry) -> str:
    if entry.eligibility:
        return entry.eligibility
    if entry.age_min is not None and entry.age_max is not None:
        return f"{entry.age_min}〜{entry.age_max}歳"
    return f"{entry.age_min}歳以上" if entry.age_min is not None else f"{entry.age_max}歳以下"


def suggest(case: Case, *, viewer_org_id: uuid.UUID, today: date, limit: int = 10) -> list[dict]:
    """Organisations ranked by fit for `case`, each with Japanese reasons (and caveats).

    Left out: the caller's own organisation, inactive organisations, organisations that already have a
    pending or accepted referral for the case, those whose service area or age range excludes the case,
    and those with no substantive fit (no matching field, needed language or LGBTQ+ expertise).
    """
    s = db.session()
    profile = case_profile(case, today)
    issue_labels = codes.labels("issue_category")
    district_labels = codes.labels("district")
    open_to = set(s.scalars(select(Referral.to_org_id).where(Referral.case_id == case.id,
                                                             Referral.state.in_(("pending", "accepted")))))
    rows = s.execute(select(DirectoryEntry, Organization).join(Organization, Organization.id == DirectoryEntry.org_id)
                     .where(Organization.active.is_(True), Organization.id != viewer_org_id,
                            tenancy.org_is_member(case.municipality_id))
                     .order_by(Organization.code))
    out = []
    for entry, org in rows:
        if org.id in open_to:
            continue
        scored = _score(entry, profile, issue_labels, district_labels)
        if scored is None:
            continue
        score, reasons, caveats = scored
        out.append({"org": {"id": org.id, "code": org.code, "name": org.name, "kind": org.kind},
                    "score": score, "reasons": reasons, "caveats": caveats,
                    "directory": present_entry(entry, org)})
    out.sort(key=lambda x: (-x["score"], x["org"]["code"]))
    return out[:limit]


# What the entry's state adds to a suggestion's score, and the reason or caveat shown for it.
CAPACITY_SCORE = {"accepting": (1, "現在受入可能"), "full": (-3, "現在、受入枠が満員"),
                  "paused": (-5, "現在、受入を停止中")}
CONSULTATION_SCORE = {True: (1, "個別相談を受け付けている"),
                      False: (-2, "個別相談は受け付けていない（居場所・啓発などの活動）")}
JOINT_SUPPORT_SCORE = {True: (1, "他機関との協同支援が可能"), False: (0, None)}


def _score(entry: DirectoryEntry, p: CaseProfile, issue_labels: dict, district_labels: dict):
    fields, langs, area = set(split(entry.fields)), set(split(entry.languages)), set(split(entry.service_area))
    # Hard limits: outside the service area or the eligible age range the organisation cannot take it.
    if p.district and area and p.district not in area:
        return None
    if p.age is not None and ((entry.age_min is not None and p.age < entry.age_min)
                              or (entry.age_max is not None and p.age > entry.age_max)):
        return None
    score, reasons, caveats = 0, [], []
    matched = sorted(p.issues & fields)
    if matched:
        score += 3 * len(matched)
        reasons.append("活動分野が一致: " + "、".join(issue_labels.get(c, c) for c in matched))
    fit = bool(matched)
    if p.languages:
        covered = [x for x in p.languages if x in langs]
        missing = [x for x in p.languages if x not in langs]
        if covered:
            score += 2 * len(covered)
            fit = True
            reasons.append("外国語対応: " + "、".join(language_label(x) for x in covered))
        if missing:
            caveats.append("外国語対応の記載なし: " + "、".join(language_label(x) for x in missing))
    if "lgbtq" in p.issues and entry.lgbtq:
        score += 2
        fit = True
        reasons.append("LGBTQ+に関する専門性・対応あり")
    if not fit:
        return None
    if p.district and p.district in area:
        score += 1
        reasons.append(f"対応地域内（{district_labels.get(p.district, p.district)}）")
    if p.age is not None and (entry.age_min is not None or entry.age_max is not None):
        score += 1
        reasons.append(f"対象年齢に該当（{_age_text(entry)}）")
    for points, text in (CAPACITY_SCORE[entry.capacity], CONSULTATION_SCORE[bool(entry.takes_consultations)],
                         JOINT_SUPPORT_SCORE[bool(entry.joint_support)]):
        score += points
        if text:
            (reasons if points > 0 else caveats).append(text)
    return score, reasons, caveats
