"""City-scale benchmark dataset: `.venv/bin/python -m benchmarks.seed --cases N` (see benchmarks/README.md).

Fills an empty, migrated database with a large city's years of work: 300 organisations, 1,000 users,
N cases (default 100,000) with households of ~2.5 persons, stage histories, referrals in every state,
consents, plans with tasks, progress records, 支援会議 with members, pledges and agendas, a few
break-glass accesses, and (by default) 10 audit events per case on the real hash chain.

Distributions follow the domain brief: most cases are owned by a few municipal departments; NPOs come
in on a minority of cases through accepted referrals; old cases are mostly closed and their referrals
completed, so what an organisation *currently* sees grows with its open caseload, not with history.
Cases arrive at a steady rate (~13,300 a year, all numbered in Reiwa fiscal years, so at most 7.5 years
back): 10k cases is one busy year, 100k is seven and a half.

Everything is drawn from one seeded `random.Random`, so the same arguments give the same database
(ids included). Names are invented from the demo world's name pools (the demo package's world module). Rows are
written with SQLAlchemy Core executemany, a few thousand cases per transaction, with progress in
rows/s; SQLite and PostgreSQL alike. Refused in production and on a database that already has cases.

The benchmark users log in with BENCH_PASSWORD (printed); see PERSONAS for who is who.
"""
from __future__ import annotations

import json
import random
import time
import types
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import click

from benchmarks import audit_events
from caseflow import create_app
from caseflow.organizations import rules as org_rules

BENCH_DOMAIN = "bench.caseflow.example"
BENCH_PASSWORD = "bench-walnut-harbor-2718"
BENCH_MUNICIPALITY = "bench"
# The users the benchmark runner logs in as (all created by the generator).
PERSONAS = {
    "coordinator": f"coordinator@{BENCH_DOMAIN}",  # top case-owning department
    "staff": f"staff@{BENCH_DOMAIN}",              # second department
    "npo": f"npo@{BENCH_DOMAIN}",                  # the busiest partner NPO (most referrals)
    "supervisor": f"supervisor@{BENCH_DOMAIN}",    # runs the 支援会議
    "auditor": f"auditor@{BENCH_DOMAIN}",
}
CASES_PER_YEAR = 13_300
JST = timezone(timedelta(hours=9))


class SeedRefused(RuntimeError):
    pass


# --- the city -----------------------------------------------------------------------------------

WARDS = ["中央区", "東区", "西区", "南区", "北区"]
WARD_SECTIONS = ["福祉課", "保護課", "保健子ども課", "地域支援課", "区民課"]
NPO_HEADS = ["ひだまり", "こもれび", "つばさ", "よりそい", "ともしび", "わかば", "みちしるべ", "あおぞら", "ぬくもり",
             "かけはし", "まなび", "いろどり", "しおさい", "ふれあい", "おひさま", "つむぎ", "はなみずき", "やまびこ",
             "すずらん", "せせらぎ"]
NPO_TAILS = ["の会", "ネット", "サポートセンター", "ひろば", "ハウス", "相談室", "ステーション", "クラブ"]
NPO_KINDS = [("npo", "NPO法人 "), ("npo", "特定非営利活動法人 "), ("association", "一般社団法人 "),
             ("welfare_corporation", "社会福祉法人 "), ("other", "")]
PROGRESS_TEXTS = ["本人と面談し、近況と生活状況を確認した。", "家庭訪問。室内の様子と食事の状況を確認。",
                  "電話で近況を確認。次回の面談日を調整した。", "関係機関とのケース会議に参加し、役割分担を確認した。",
                  "ハローワークへの同行支援を行った。", "学校と連絡を取り、出席状況を共有した。",
                  "家計の状況を一緒に整理し、支出の見直しを提案した。", "居場所事業への参加を案内し、見学を調整した。"]
SUMMARIES = ["長期のひきこもりと親の高齢化（8050）。家族から相談。", "家計が苦しく、滞納が続いている。",
             "学校に通えていない状態が続いている。家族も疲れている。", "家族の介護と育児が重なっている（ダブルケア）。",
             "地域で孤立しており、近隣から心配の声が寄せられた。", "就労に不安があり、生活の立て直しを希望している。",
             "住まいを失うおそれがある。転居先を探している。", "日本語での手続きに困っている。"]
REFERRAL_REASONS = ["居場所づくりの支援が必要なため", "家計相談の専門的な支援が必要なため", "訪問による見守りを依頼したい",
                    "就労に向けた段階的な支援を依頼したい", "学習支援と居場所の提供を依頼したい",
                    "障害福祉サービスの利用について相談したい", "介護サービスの調整を依頼したい"]
TASK_TITLES = ["週1回の訪問", "家計相談の実施", "居場所への同行", "就労体験の調整", "学校との連絡調整", "通院の同行",
               "介護サービスの調整", "食料支援の手配"]
# Issue categories with a rough frequency (ひきこもり, 生活困窮 … are common; some are rare).
ISSUE_WEIGHTS = {"poverty": 20, "isolation": 16, "hikikomori": 12, "elderly": 12, "mental_health": 10,
                 "employment": 9, "h8050": 7, "carer": 6, "disability": 6, "futoko": 5, "housing": 5,
                 "double_care": 3, "young_carer": 3, "dv": 3, "abuse": 3, "developmental": 3, "addiction": 2,
                 "foreign": 2, "household_finance": 3, "single_parent": 3, "child_rearing": 2, "suicide_risk": 1,
                 "women": 1, "lgbtq": 1, "disaster": 1, "reoffending": 1, "bullying": 1}
CHANNEL_WEIGHTS = {"counter": 30, "phone": 22, "agency": 12, "minsei": 7, "outreach": 6, "family": 6, "chat": 5,
                   "school": 4, "email": 3, "self": 2, "neighbour": 2, "other": 1}
HOUSEHOLD_SIZES = ([1, 2, 3, 4, 5, 6], [25, 30, 25, 12, 6, 2])  # mean 2.5
CLOSURES = ["goal_achieved", "handed_over", "stable_monitoring", "declined", "moved", "unreachable", "other"]
CLOSURE_WEIGHTS = [35, 20, 25, 6, 6, 5, 3]


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


class Dataset:
    """Generates and writes the dataset; ids and choices all come from one seeded Random."""

    def __init__(self, engine, *, cases: int, seed: int, batch_cases: int, today: date, echo=print):
        self.engine = engine
        self.n_cases = cases
        self.rng = random.Random(seed)
        self.batch_cases = batch_cases
        self.today = today
        self.now = datetime.now(timezone.utc)
        self.echo = echo
        self.rows_written = 0
        self.started = time.perf_counter()
        from caseflow.demo import world

        self.world = world
        self.districts = [c for c, _ in world.DISTRICTS_KUMAMOTO] + [c for c, _ in world.DISTRICTS_KAMAKURA]
        self.case_ids: list[uuid.UUID] = []
        self.case_persons: list[tuple[uuid.UUID, list[uuid.UUID]]] = []
        self.person_ids: list[uuid.UUID] = []
        self.consent_ids: list[uuid.UUID] = []
        self.referral_ids: list[uuid.UUID] = []
        self.meeting_ids: list[uuid.UUID] = []
        # open cases by owner, for agendas: (case_id, opened_on, closed_on or None)
        self.case_life: list[tuple[uuid.UUID, uuid.UUID, date, date | None]] = []

    # ids and times ------------------------------------------------------------------------------
    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def at(self, day: date, hour_from=9, hour_to=18) -> datetime:
        secs = self.rng.uniform(hour_from * 3600, hour_to * 3600)
        return (datetime(day.year, day.month, day.day, tzinfo=JST) + timedelta(seconds=secs)).astimezone(timezone.utc)

    # writing ------------------------------------------------------------------------------------
    def write(self, tables: list[tuple[str, list[dict]]]) -> None:
        """Insert the rows of several tables in one transaction, parents first (the order given)."""
        from caseflow.core.db import Base

        meta = Base.metadata.tables
        n = 0
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA synchronous=OFF")
            for name, rows in tables:
                if rows:
                    conn.execute(meta[name].insert(), rows)
                    n += len(rows)
        self.rows_written += n

    def progress(self, what: str) -> None:
        elapsed = time.perf_counter() - self.started
        self.echo(f"  {what:<38} {self.rows_written:>10,} rows  {elapsed:7.1f} s  "
                  f"{self.rows_written / max(elapsed, 1e-9):9,.0f} rows/s")

    # phases -------------------------------------------------------------------------------------
    def run(self, *, events: int, analyze: bool = True) -> dict:
        self.codes()
        self.organizations()
        self.users()
        self.cases_phase()
        self.meetings()
        self.emergencies()
        if events:
            self.audit_events(events)
        if analyze:
            self.analyze()
        elapsed = time.perf_counter() - self.started
        self.echo(f"done: {self.rows_written:,} rows in {elapsed:.1f} s ({self.rows_written / elapsed:,.0f} rows/s)")
        return {"rows": self.rows_written, "seconds": elapsed}

    def codes(self) -> None:
        from sqlalchemy import select

        from caseflow.codes import rules as codes
        from caseflow.core import db
        from caseflow.organizations.models import Municipality

        # One city, one tenant: every generated record belongs to ベンチ市 (code bench).
        m = db.session().scalar(select(Municipality).where(Municipality.code == BENCH_MUNICIPALITY))
        m = m or org_rules.create_municipality(code=BENCH_MUNICIPALITY, name="ベンチ市")
        self.municipality_id = m.id
        codes.seed_standard_lists()
        codes.ensure("district", self.world.DISTRICTS_KUMAMOTO, scope=BENCH_MUNICIPALITY)
        codes.ensure("district", self.world.DISTRICTS_KAMAKURA, scope=BENCH_MUNICIPALITY)
        db.session().commit()

    def organizations(self) -> None:
        rng, w = self.rng, self.world
        created = self.now - timedelta(days=3000)
        rows, dirs = [], []
        by_code: dict[str, uuid.UUID] = {}

        def add(code, name, kind, parent=None):
            oid = self.uid()
            by_code[code] = oid
            rows.append({"id": oid, "code": code, "name": name, "kind": kind, "parent_id": by_code.get(parent),
                         "municipality_id": self.municipality_id,
                         "active": True, "created_at": created})
            fields = rng.sample(list(ISSUE_WEIGHTS), rng.randint(1, 4))
            dirs.append({"org_id": oid, "fields": ",".join(fields), "languages": "en" if rng.random() < .1 else "",
                         "lgbtq": rng.random() < .05, "service_area": ",".join(rng.sample(self.districts, 3)),
                         "takes_consultations": True, "joint_support": rng.random() < .6, "capacity": "accepting",
                         "updated_at": created, "version": 1})
            return oid

        for spec in w.ORGANIZATIONS:  # the seeds' real (public) organisations first
            add(spec["code"], spec["name"], spec["kind"], spec.get("parent"))
        for ward in WARDS:
            for i, section in enumerate(WARD_SECTIONS):
                add(f"b-ward-{WARDS.index(ward)}-{i}", f"ベンチ市 {ward}役所 {section}", "department")
        for i in range(27):
            add(f"b-hokatsu-{i:02d}", f"ベンチ市 第{i + 1}地域包括支援センター", "care_center")
        for i in range(10):
            add(f"b-chiku-shakyo-{i:02d}", f"ベンチ市 {WARDS[i % 5]}第{i // 5 + 1}地区社会福祉協議会", "shakyo")
        n = 0
        while len(rows) < 300:
            kind, prefix = NPO_KINDS[rng.choices(range(len(NPO_KINDS)), [50, 15, 15, 10, 10])[0]]
            name = f"{prefix}{rng.choice(NPO_HEADS)}{rng.choice(NPO_TAILS)}{'' if n < 20 else f' {n}'}"
            add(f"b-npo-{n:03d}", name, kind)
            n += 1
        self.write([("organizations", rows), ("directory_entries", dirs)])
        self.org_kind = {r["id"]: r["kind"] for r in rows}
        self.org_code = {r["id"]: r["code"] for r in rows}
        # Who owns cases: a few departments most of them (weights in per cent of all cases).
        main = ["kmm-kenko-fukushi-seisaku", "kmm-korei-fukushi", "kmm-kodomo-wakamono-sodan", "kmk-chiiki-kyosei",
                "kmm-seishin-hoken-fukushi", "kmk-seikatsu-fukushi"]
        owner_w = {by_code[c]: wt for c, wt in zip(main, [22, 16, 12, 9, 7, 5])}
        # Sections (departments nobody reports to), not bureaus or the audit offices, take cases.
        parents = {r["parent_id"] for r in rows if r["parent_id"]}
        audit_codes = {"kmk-audit", "kmm-audit"}
        other_depts = [r["id"] for r in rows if r["kind"] == "department" and r["id"] not in owner_w
                       and r["id"] not in parents and r["code"] not in audit_codes]
        for o in other_depts:
            owner_w[o] = 19 / len(other_depts)
        local = [r["id"] for r in rows if r["kind"] in ("care_center", "shakyo")]
        for o in local:
            owner_w[o] = 7 / len(local)
        npos = [r["id"] for r in rows if r["kind"] in ("npo", "association", "welfare_corporation", "other")]
        for i, o in enumerate(npos[:30]):
            owner_w[o] = 3 / 30
        self.owner_ids, self.owner_weights = list(owner_w), list(owner_w.values())
        # Who receives referrals: other departments, local centres, and NPOs (Pareto: a few get most).
        busy_npo = by_code["kmm-kvoad"] if "kmm-kvoad" in by_code else npos[0]
        npo_order = [busy_npo] + [o for o in npos if o != busy_npo]
        target_w = {}
        for o in list(owner_w)[:6] + other_depts:
            target_w[o] = target_w.get(o, 0) + 45 / (6 + len(other_depts))
        for o in local:
            target_w[o] = target_w.get(o, 0) + 15 / len(local)
        harmonic = sum(1 / (k + 1) ** 1.1 for k in range(len(npo_order)))
        for k, o in enumerate(npo_order):
            target_w[o] = target_w.get(o, 0) + 40 * (1 / (k + 1) ** 1.1) / harmonic
        self.target_ids, self.target_weights = list(target_w), list(target_w.values())
        self.by_code = by_code
        self.main_depts = [by_code[c] for c in main]
        self.busy_npo = busy_npo
        self.npos = npos
        self.audit_orgs = [by_code[c] for c in ("kmk-audit", "kmm-audit") if c in by_code]
        self.progress("organisations")

    def users(self) -> None:
        from caseflow.access.sessions import hash_password

        rng = self.rng
        pw_hash = hash_password(BENCH_PASSWORD)  # one hash for all: hashing 1,000 times costs a minute
        created = self.now - timedelta(days=2000)
        users, roles = [], []
        self.workers: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)  # org -> case workers
        self.org_users: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        names = self.world.PEOPLE_NAMES

        def add(org, role, email=None):
            uid = self.uid()
            sur = rng.choice(names["surnames"])[0]
            given = rng.choice(names["given_f"] + names["given_m"] + names["given_x"])[0]
            users.append({"id": uid, "org_id": org, "email": email or f"u{len(users) + 1:04d}@{BENCH_DOMAIN}",
                          "display_name": f"{sur} {given}", "password_hash": pw_hash, "active": True,
                          "failed_logins": 0, "created_at": created})
            roles.append({"user_id": uid, "role": role})
            self.org_users[org].append(uid)
            if role in ("coordinator", "staff", "npo_staff", "supervisor"):
                self.workers[org].append(uid)
            return uid

        top, second = self.main_depts[0], self.main_depts[1]
        self.persona_ids = {
            "coordinator": add(top, "coordinator", PERSONAS["coordinator"]),
            "staff": add(second, "staff", PERSONAS["staff"]),
            "npo": add(self.busy_npo, "npo_staff", PERSONAS["npo"]),
            "supervisor": add(top, "supervisor", PERSONAS["supervisor"]),
            "auditor": add(self.audit_orgs[0] if self.audit_orgs else top, "auditor", PERSONAS["auditor"]),
        }
        for org in self.audit_orgs:
            add(org, "auditor")
        add(self.busy_npo, "secretariat")
        # Every organisation that can own or receive cases gets staff; big departments many.
        for org, kind in self.org_kind.items():
            if org in self.audit_orgs:
                continue
            if org in self.main_depts:
                k = 36
            elif kind == "department":
                k = 5
            elif kind in ("care_center", "shakyo"):
                k = 3
            else:
                k = 2
            for _ in range(k):
                if kind == "department":
                    role = rng.choices(["coordinator", "staff", "supervisor"], [25, 68, 7])[0]
                else:
                    role = "npo_staff"
                add(org, role)
        while len(users) < 1000:
            org = rng.choices(self.owner_ids, self.owner_weights)[0]
            add(org, "npo_staff" if self.org_kind[org] not in ("department",) else "staff")
        self.write([("users", users), ("user_roles", roles)])
        self.n_users = len(users)
        self.progress("users")

    # cases --------------------------------------------------------------------------------------
    def cases_phase(self) -> None:
        rng = self.rng
        span_days = int(min(7.5, max(0.75, self.n_cases / CASES_PER_YEAR)) * 365)
        first = self.today - timedelta(days=span_days)
        # Reiwa case numbers: nothing before FY2019.
        first = max(first, date(2019, 4, 1))
        span_days = (self.today - first).days
        opened = sorted(first + timedelta(days=rng.randrange(span_days + 1)) for _ in range(self.n_cases))
        counters: dict[int, int] = defaultdict(int)
        from caseflow.core.jpdate import fiscal_year, reiwa_fiscal_year

        buf: dict[str, list[dict]] = defaultdict(list)
        for i, day in enumerate(opened):
            fy = fiscal_year(day)
            counters[fy] += 1
            self.one_case(buf, day, f"R{reiwa_fiscal_year(day)}-{counters[fy]:06d}")
            if (i + 1) % self.batch_cases == 0 or i + 1 == len(opened):
                self.flush_cases(buf)
                buf = defaultdict(list)
                self.progress(f"cases {i + 1:,}/{self.n_cases:,}")
        self.write([("case_counters", [{"municipality_id": self.municipality_id, "fiscal_year": fy, "last_number": n}
                                       for fy, n in sorted(counters.items())])])

    def flush_cases(self, buf) -> None:
        order = ["households", "persons", "person_search_grams", "household_members", "cases", "case_issues",
                 "case_stage_changes", "case_involvements", "referrals", "referral_events", "consents", "consent_recipients",
                 "consent_categories", "support_plans", "plan_tasks", "progress_records"]
        self.write([(t, buf.get(t, [])) for t in order])

    def _stage(self, age_days: int) -> str:
        r = self.rng.random()
        if age_days < 30:
            table = [("intake", .4), ("referral", .3), ("assessment", .2), ("support", .1)]
        elif age_days < 180:
            table = [("intake", .05), ("referral", .1), ("assessment", .25), ("support", .4), ("closed", .2)]
        elif age_days < 365:
            table = [("assessment", .08), ("support", .42), ("closed", .5)]
        elif age_days < 730:
            table = [("assessment", .05), ("support", .2), ("closed", .75)]
        elif age_days < 1825:
            table = [("assessment", .02), ("support", .06), ("closed", .92)]
        else:
            table = [("support", .03), ("closed", .97)]
        acc = 0.0
        for stage, p in table:
            acc += p
            if r < acc:
                return stage
        return table[-1][0]

    def _person(self, buf, *, surname, gender, birth: date | None, collector, created) -> uuid.UUID:
        from caseflow.core.text import search_grams, search_key

        rng, names = self.rng, self.world.PEOPLE_NAMES
        pool = {"female": "given_f", "male": "given_m"}.get(gender, "given_x")
        given = rng.choice(names[pool])
        name, kana = f"{surname[0]} {given[0]}", f"{surname[1]} {given[1]}"
        pid = self.uid()
        key = search_key(name) + "\n" + search_key(kana)
        sensitive = {}
        if rng.random() < .15:
            sensitive[rng.choice(["health", "disability", "addiction"])] = "通院・服薬あり（詳細は記録参照）"
        buf["persons"].append({
            "id": pid, "name": name, "name_kana": kana, "birth_date": birth, "gender": gender,
            "phone": f"090-0000-{rng.randrange(10000):04d}" if rng.random() < .7 else None,
            "email": None, "line_id": None,
            "contact_preferences": rng.choice(["", "", "phone", "text_only", "line", "no_phone"]),
            "sensitive": json.dumps(sensitive, ensure_ascii=False), "notes": None,
            "birth_year": birth.year if birth else None,
            "languages": "ja" if rng.random() < .97 else rng.choice(["ja,en", "vi", "zh", "tl,en"]),
            "search_key": key, "collected_by_org_id": collector, "municipality_id": self.municipality_id,
            "created_at": created, "updated_at": created, "version": 1})
        # the name search's n-gram index, as caseflow.cases.people.set_search_key writes it
        buf["person_search_grams"].extend({"gram": g, "person_id": pid} for g in sorted(search_grams(key)))
        self.person_ids.append(pid)
        return pid

    def one_case(self, buf, day: date, number: str) -> None:
        rng, today = self.rng, self.today
        age = (today - day).days
        owner = rng.choices(self.owner_ids, self.owner_weights)[0]
        workers = self.workers.get(owner) or self.workers[self.main_depts[0]]
        lead = rng.choice(workers)
        created = self.at(day)
        stage = self._stage(age)
        district = rng.choice(self.districts)
        case_id = self.uid()
        household_id = primary = None
        members: list[uuid.UUID] = []
        anonymous = rng.random() < .03
        if not anonymous:
            household_id = self.uid()
            streets = self.world.STREETS.get(district, ["一丁目"])
            buf["households"].append({
                "id": household_id, "address": f"{rng.choice(streets)}{rng.randint(1, 30)}-{rng.randint(1, 20)}",
                "district_code": district, "collected_by_org_id": owner, "created_at": created,
                "municipality_id": self.municipality_id,
                "updated_at": created, "version": 1})
            size = rng.choices(*HOUSEHOLD_SIZES)[0]
            surname = rng.choice(self.world.PEOPLE_NAMES["surnames"])
            self_age = rng.choices([rng.randint(13, 19), rng.randint(20, 49), rng.randint(50, 64),
                                    rng.randint(65, 92)], [12, 38, 20, 30])[0]
            plan = [("self", self_age)]
            if size >= 2:
                plan.append(("parent", self_age + rng.randint(24, 36)) if self_age < 55 and rng.random() < .6
                            else ("spouse", self_age + rng.randint(-5, 5)))
            for _ in range(size - len(plan)):
                plan.append(("child", max(0, self_age - rng.randint(20, 38))) if self_age > 30
                            else ("sibling", max(0, self_age + rng.randint(-6, 6))))
            for pos, (rel, years) in enumerate(plan):
                gender = rng.choices(["female", "male", "other", "undisclosed"], [49, 48, 1, 2])[0]
                birth = None
                if rng.random() < .93:
                    birth = date(today.year - years, rng.randint(1, 12), rng.randint(1, 28))
                pid = self._person(buf, surname=surname, gender=gender, birth=birth, collector=owner, created=created)
                in_need = rel == "self" or (rel == "parent" and rng.random() < .2)
                buf["household_members"].append({
                    "id": self.uid(), "household_id": household_id, "person_id": pid, "relationship": rel,
                    "in_need": in_need, "position": pos, "since": day, "until": None})
                members.append(pid)
            primary = members[0]
        issues = sorted(set(rng.choices(list(ISSUE_WEIGHTS), list(ISSUE_WEIGHTS.values()),
                                        k=rng.choices([1, 2, 3], [45, 38, 17])[0])))
        closed_at = None
        closure = None
        closed_day = None
        if stage == "closed":
            closed_day = min(today, day + timedelta(days=rng.randint(14, max(15, min(age, 900)))))
            closed_at = self.at(closed_day)
            closure = rng.choices(CLOSURES, CLOSURE_WEIGHTS)[0]
        last = closed_at or self.at(min(today, day + timedelta(days=rng.randint(0, max(0, min(age, 120))))))
        buf["cases"].append({
            "id": case_id, "case_number": number, "owner_org_id": owner, "lead_worker_id": lead,
            "municipality_id": self.municipality_id,
            "household_id": household_id, "primary_person_id": primary,
            "anonymous_label": f"LINE相談 #{rng.randrange(10000):04d}" if anonymous else None,
            "intake_channel": "chat" if anonymous else _weighted(rng, CHANNEL_WEIGHTS),
            "urgency": rng.choices(["low", "normal", "high", "critical"], [15, 65, 17, 3])[0],
            "summary": rng.choice(SUMMARIES), "stage": stage, "closure_reason": closure,
            "district_code": district, "opened_on": day, "closed_at": closed_at, "last_activity_at": last,
            "created_at": created, "updated_at": last, "version": 1})
        buf["case_issues"].extend({"case_id": case_id, "issue_code": c} for c in issues)
        # stage history: the path to the current stage
        path = {"intake": ["intake"], "referral": ["intake", "referral"],
                "assessment": ["intake", "referral", "assessment"],
                "support": ["intake", "referral", "assessment", "support"]}.get(stage)
        if path is None:
            path = rng.choice([["intake", "closed"], ["intake", "referral", "assessment", "support", "closed"],
                               ["intake", "referral", "assessment", "support", "assessment", "support", "closed"]])
        end = closed_day or min(today, day + timedelta(days=max(0, min(age, 200))))
        steps = len(path)
        prev = None
        for k, st in enumerate(path):
            on = day + timedelta(days=((end - day).days * k) // max(1, steps - 1))
            buf["case_stage_changes"].append({
                "id": self.uid(), "case_id": case_id, "from_stage": prev, "to_stage": st,
                "reason": "受付" if k == 0 else None, "closure_reason": closure if st == "closed" else None,
                "actor_user_id": lead, "actor_org_id": owner, "at": self.at(on)})
            prev = st
        buf["case_involvements"].append({"id": self.uid(), "case_id": case_id, "org_id": owner, "relation": "owner",
                                         "source_id": None, "since": created, "until": None})
        # referrals
        involved = {owner}
        n_ref = {"intake": rng.choices([0, 1], [80, 20])[0], "referral": rng.choices([1, 2], [75, 25])[0]}.get(
            stage, rng.choices([0, 1, 2], [55, 35, 10])[0])
        accepted_orgs = []
        for _ in range(n_ref):
            to = rng.choices(self.target_ids, self.target_weights)[0]
            if to in involved:
                continue
            involved.add(to)
            ref_day = min(today, day + timedelta(days=rng.randint(0, max(0, min(age, 60)))))
            if stage in ("intake", "referral"):
                state = rng.choices(["pending", "accepted", "declined", "withdrawn"], [50, 35, 10, 5])[0]
            elif stage == "closed":
                state = rng.choices(["completed", "declined", "withdrawn"], [70, 20, 10])[0]
            else:
                state = rng.choices(["accepted", "completed", "declined", "withdrawn", "pending"],
                                    [50, 25, 15, 5, 5])[0]
            ref_id = self.uid()
            self.referral_ids.append(ref_id)
            from_user = lead
            responded = None
            resp_day = min(today, ref_day + timedelta(days=rng.randint(0, 10)))
            responder = rng.choice(self.workers.get(to) or [from_user])
            if state != "pending" and state != "withdrawn":
                responded = self.at(resp_day)
            urgency = rng.choices(["low", "normal", "high", "critical"], [10, 70, 17, 3])[0]
            buf["referrals"].append({
                "id": ref_id, "case_id": case_id, "from_org_id": owner, "to_org_id": to,
                "created_by_user_id": from_user, "reason": rng.choice(REFERRAL_REASONS),
                "requested_support": rng.choice(REFERRAL_REASONS), "urgency": urgency,
                "reply_due": ref_day + timedelta(days={"critical": 1, "high": 3, "normal": 7, "low": 14}[urgency]),
                "state": state, "state_reason": "現在受け入れ枠がないため" if state == "declined" else None,
                "responded_by_user_id": responder if responded else None, "responded_at": responded,
                "created_at": self.at(ref_day), "updated_at": responded or self.at(ref_day), "version": 1})
            buf["referral_events"].append({"id": self.uid(), "referral_id": ref_id, "from_state": None,
                                           "to_state": "pending", "reason": None, "actor_user_id": from_user,
                                           "actor_org_id": owner, "at": self.at(ref_day)})
            if state in ("accepted", "declined", "completed"):
                buf["referral_events"].append({"id": self.uid(), "referral_id": ref_id, "from_state": "pending",
                                               "to_state": "declined" if state == "declined" else "accepted",
                                               "reason": None, "actor_user_id": responder, "actor_org_id": to,
                                               "at": responded})
            if state == "withdrawn":
                buf["referral_events"].append({"id": self.uid(), "referral_id": ref_id, "from_state": "pending",
                                               "to_state": "withdrawn", "reason": None, "actor_user_id": from_user,
                                               "actor_org_id": owner, "at": self.at(resp_day)})
            if state in ("accepted", "completed"):
                until = None
                if state == "completed":
                    done_day = closed_day or min(today, resp_day + timedelta(days=rng.randint(30, 200)))
                    until = self.at(done_day)
                    buf["referral_events"].append({"id": self.uid(), "referral_id": ref_id,
                                                   "from_state": "accepted", "to_state": "completed", "reason": None,
                                                   "actor_user_id": responder, "actor_org_id": to, "at": until})
                else:
                    accepted_orgs.append(to)
                buf["case_involvements"].append({"id": self.uid(), "case_id": case_id, "org_id": to,
                                                 "relation": "referral", "source_id": ref_id, "since": responded,
                                                 "until": until})
        # plan and tasks (support stage, some assessment)
        if stage == "support" or (stage == "assessment" and rng.random() < .3):
            plan_id = self.uid()
            buf["support_plans"].append({
                "id": plan_id, "case_id": case_id, "assessment_id": None, "policy": "本人の意向を尊重し段階的に支援する。",
                "policy_by_org_id": owner, "review_on": today + timedelta(days=rng.randint(7, 90)),
                "created_by_org_id": owner, "created_by_user_id": lead, "created_at": last, "updated_at": last,
                "version": 1})
            task_orgs = [owner] + accepted_orgs
            for _ in range(rng.randint(1, 3)):
                t_org = rng.choice(task_orgs)
                task_id = self.uid()
                buf["plan_tasks"].append({
                    "id": task_id, "plan_id": plan_id, "case_id": case_id, "goal_id": None, "owner_org_id": t_org,
                    "worker_id": None, "title": rng.choice(TASK_TITLES), "description": None,
                    "due_on": today + timedelta(days=rng.randint(-20, 60)),
                    "status": rng.choices(["open", "in_progress", "done"], [50, 35, 15])[0],
                    "created_by_org_id": owner, "created_by_user_id": lead, "created_at": last, "updated_at": last,
                    "version": 1})
                if t_org != owner:
                    buf["case_involvements"].append({"id": self.uid(), "case_id": case_id, "org_id": t_org,
                                                     "relation": "task", "source_id": task_id, "since": last,
                                                     "until": None})
        # consent of the person in need (more often when other organisations are involved)
        if primary and rng.random() < (.55 if len(involved) > 1 else .2):
            cid = self.uid()
            self.consent_ids.append(cid)
            valid_from = created
            until = created + timedelta(days=730) if rng.random() < .4 else None
            revoked = self.at(min(today, day + timedelta(days=rng.randint(1, max(1, min(age, 400))))))\
                if rng.random() < .04 else None
            buf["consents"].append({
                "id": cid, "person_id": primary, "given_by": "self", "representative_relationship": None,
                "municipality_id": self.municipality_id,
                "purpose": "support_coordination", "method": rng.choice(["written", "written", "oral", "electronic"]),
                "obtained_by_user_id": lead, "obtained_by_org_id": owner, "obtained_at": created,
                "valid_from": valid_from, "valid_until": until, "form_reference": f"同意書 {number}",
                "supersedes_id": None, "revoked_at": revoked, "revoked_by_user_id": lead if revoked else None,
                "revoke_reason": "本人の申し出" if revoked else None, "created_at": created})
            if rng.random() < .35:
                buf["consent_recipients"].append({"id": self.uid(), "consent_id": cid, "org_id": None,
                                                  "org_kind": "department"})
            for org in involved - {owner}:
                buf["consent_recipients"].append({"id": self.uid(), "consent_id": cid, "org_id": org, "org_kind": None})
            cats = ["identity", "contact"] + (["case_notes"] if rng.random() < .6 else []) + \
                (["sensitive"] if rng.random() < .2 else [])
            buf["consent_categories"].extend({"consent_id": cid, "category": c} for c in cats)
        # progress records by the organisations involved
        n_prog = min(12, int(rng.expovariate(1 / 3.0)))
        for _ in range(n_prog):
            org = rng.choice(sorted(involved, key=str))
            on = day + timedelta(days=rng.randint(0, max(0, (min(today, closed_day or today) - day).days)))
            buf["progress_records"].append({
                "id": self.uid(), "case_id": case_id, "org_id": org,
                "author_user_id": rng.choice(self.workers.get(org) or [lead]),
                "kind": rng.choice(["interview", "visit", "phone", "meeting", "accompany", "other"]),
                "occurred_on": on, "body": rng.choice(PROGRESS_TEXTS), "created_at": self.at(on)})
        self.case_ids.append(case_id)
        self.case_persons.append((case_id, members or []))
        self.case_life.append((case_id, owner, day, closed_day))

    # meetings -----------------------------------------------------------------------------------
    def meetings(self) -> None:
        from caseflow.core.jpdate import fiscal_year
        from caseflow.meetings.models import COUNCIL_KINDS

        rng, today = self.rng, self.today
        first = min(d for _c, _o, d, _x in self.case_life)
        rows, members, attendees, pledges, items = [], [], [], [], []
        pledged: set[tuple] = set()
        chair = self.persona_ids["supervisor"]
        top = self.main_depts[0]
        # cases opened in each month (for agendas: cases a few months old, still open then)
        by_month: dict[tuple, list] = defaultdict(list)
        for case_id, owner, day, closed in self.case_life:
            by_month[(day.year, day.month)].append((case_id, closed))
        fixed = [self.busy_npo, *self.main_depts]
        # two councils of the city (会議体): its 支援会議 and the departments' ケース会議; members as they join
        councils = {kind: self.uid() for kind in ("support_meeting", "case_conference")}
        council_orgs: dict[str, dict] = {kind: {} for kind in councils}

        def meeting(starts: datetime, kind: str, n_items: int, extra_members: list, *, pledge_personas=False):
            mid = self.uid()
            self.meeting_ids.append(mid)
            fy = fiscal_year(starts.astimezone(JST).date())
            held = starts < self.now
            rows.append({"id": mid, "municipality_id": self.municipality_id, "council_id": councils[kind],
                         "kind": kind, "title": f"{'支援会議' if kind == 'support_meeting' else 'ケース会議'}"
                                                           f" {starts.astimezone(JST):%Y年%m月}",
                         "starts_at": starts, "place": "本庁舎 会議室", "chair_user_id": chair, "organizer_org_id": top,
                         "fiscal_year": fy, "status": "held" if held else "planned",
                         "window_start": starts - timedelta(days=14), "window_end": starts + timedelta(days=14),
                         "sharing_days_after": 14, "pledge_scope": "fiscal_year",
                         "created_by_user_id": chair, "held_at": starts if held else None,
                         "created_at": starts - timedelta(days=20), "updated_at": starts, "version": 1})
            orgs = list(dict.fromkeys([*fixed, *extra_members]))
            for org in orgs:
                members.append({"meeting_id": mid, "org_id": org})
                council_orgs[kind].setdefault(org, starts - timedelta(days=20))
                users = self.org_users.get(org) or []
                for u in users[:1]:
                    attendees.append({"meeting_id": mid, "user_id": u})
                    if kind == "support_meeting" and (u, fy) not in pledged:
                        pledged.add((u, fy))
                        pledges.append({"id": self.uid(), "user_id": u, "meeting_id": None,
                                        "council_id": councils[kind], "fiscal_year": fy,
                                        "pledge_text_version": "v1", "signed_at": starts - timedelta(days=10)})
            if pledge_personas:
                # The personas attend already (first users of their organisations); add meeting pledges too.
                for key in ("npo", "coordinator"):
                    pledges.append({"id": self.uid(), "user_id": self.persona_ids[key], "meeting_id": mid,
                                    "council_id": None, "fiscal_year": None, "pledge_text_version": "v1",
                                    "signed_at": self.now - timedelta(days=1)})
            d = starts.astimezone(JST).date()
            pool = []
            back = 1
            while len(pool) < n_items * 3 and back < 12:
                m = (d.year * 12 + d.month - 1 - back)
                pool += [c for c, closed in by_month.get((m // 12, m % 12 + 1), []) if closed is None or closed > d]
                back += 1
            for pos, case_id in enumerate(rng.sample(pool, min(n_items, len(pool)))):
                items.append({"id": self.uid(), "meeting_id": mid, "position": pos + 1, "case_id": case_id,
                              "topic": None, "presenting_org_id": top, "points": "支援方針と役割分担の確認",
                              "minutes_allotted": 10})
            return mid

        month = date(first.year, first.month, 1)
        while month <= today:
            for k in range(2):
                day = month + timedelta(days=7 + 14 * k)
                if day > today - timedelta(days=3):
                    break
                kind = "support_meeting" if k == 0 else "case_conference"
                extra = rng.sample(self.npos, 6) + rng.sample(self.target_ids, 4)
                meeting(datetime(day.year, day.month, day.day, 14, tzinfo=JST), kind, rng.randint(5, 15), extra)
            month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        # The benchmark's meeting: in three days, 30 cases on the agenda, sharing window open now.
        soon = (self.now + timedelta(days=3)).astimezone(JST).replace(hour=14, minute=0, second=0, microsecond=0)
        self.agenda_meeting = meeting(soon, "support_meeting", 30, rng.sample(self.npos, 8), pledge_personas=True)
        council_rows = [{"id": cid, "municipality_id": self.municipality_id, "kind": kind,
                         "name": "支援会議" if kind == "support_meeting" else "ケース会議",
                         "legal_basis": COUNCIL_KINDS[kind][2], "secretariat_org_id": top, "chair_user_id": chair,
                         "quorum_percent": 50 if kind == "support_meeting" else None, "invites_non_members": False,
                         "pledge_scope": "fiscal_year", "active": True, "created_by_user_id": chair,
                         "created_at": self.now - timedelta(days=800), "updated_at": self.now, "version": 1}
                        for kind, cid in councils.items()]
        council_members = [{"id": self.uid(), "council_id": councils[kind], "org_id": org, "since": since, "until": None}
                           for kind, orgs in council_orgs.items() for org, since in orgs.items()]
        self.write([("councils", council_rows), ("council_members", council_members), ("meetings", rows),
                    ("meeting_members", members), ("meeting_attendees", attendees), ("pledges", pledges),
                    ("agenda_items", items)])
        # Approved last, as the chair does: an approved meeting's agenda is locked (caseflow.core.dbguards).
        approved = [r["id"] for r in rows if r["status"] == "held"]
        from caseflow.meetings.models import Meeting

        with self.engine.begin() as conn:
            for i in range(0, len(approved), 500):
                conn.execute(Meeting.__table__.update().where(Meeting.__table__.c.id.in_(approved[i:i + 500]))
                             .values(status="minutes_approved"))
        self.progress("meetings")

    def emergencies(self) -> None:
        rng = self.rng
        rows = []
        npo_user = self.persona_ids["npo"]
        for k in range(30):
            case_id, persons = rng.choice([cp for cp in self.case_persons[-5000:] if cp[1]])
            active = k < 2
            user = npo_user if active else rng.choice(self.workers[rng.choice(self.main_depts)])
            opened = self.now - (timedelta(hours=2) if active else timedelta(days=rng.randint(5, 300)))
            rows.append({"id": self.uid(), "user_id": user, "org_id": self.busy_npo if active else self.main_depts[0],
                         "person_id": persons[0], "case_id": case_id,
                         "justification": "本人と連絡が取れず、安否確認のため緊急に連絡先を確認する必要がある。",
                         "opened_at": opened, "expires_at": opened + timedelta(hours=24),
                         "closed_at": None if active else opened + timedelta(hours=3)})
        self.write([("emergency_accesses", rows)])
        self.progress("emergency accesses")

    # audit events -------------------------------------------------------------------------------
    def audit_world(self):
        """The shape benchmarks.audit_events expects, filled with this dataset's real ids."""
        users = [(u, o) for o, us in self.org_users.items() for u in us]
        users.sort(key=lambda x: str(x[0]))
        return types.SimpleNamespace(
            orgs=list(self.org_kind), users=users, persons=self.person_ids or [self.uid()],
            cases=[(c, ps) for c, ps in self.case_persons if ps] or [(self.uid(), [self.uid()])],
            consents=self.consent_ids or [self.uid()], meetings=self.meeting_ids or [self.uid()],
            referrals=self.referral_ids or [self.uid()], u=self.uid)

    def audit_events(self, n: int) -> None:
        """benchmarks.audit_events with this world's ids, through the product's writer (real chain hashes)."""
        world = self.audit_world()
        before = self._audit_count()
        t0 = time.perf_counter()
        self.echo(f"  audit events: {n:,} through caseflow.access.trail (real chain hashes)")
        audit_events.World = lambda _rng, _w=world: _w
        audit_events.MUNICIPALITY_ID = self.municipality_id
        audit_events.generate(n, batch=20_000, seed=self.rng.randrange(1 << 30), days=730, end=self.now,
                              echo=lambda line: self.echo("  " + line.strip()))
        added = self._audit_count() - before
        self.rows_written += added
        self.progress(f"audit events ({added:,} in {time.perf_counter() - t0:.0f} s)")

    def _audit_count(self) -> int:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.execute(text("SELECT seq FROM audit_chain_head WHERE id = 1")).scalar() or 0


    def analyze(self) -> None:
        t0 = time.perf_counter()
        with self.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        self.echo(f"  ANALYZE {time.perf_counter() - t0:.1f} s")


def seed(*, cases: int = 100_000, events: int | None = None, seed_value: int = 10, batch_cases: int = 2000,
         analyze: bool = True, echo=print) -> dict:
    """Migrate the configured database if needed, refuse if it already has cases, then fill it."""
    from flask import current_app
    from sqlalchemy import text

    from caseflow import migrate
    from caseflow.core import db

    if current_app.config["CASEFLOW_ENV"] == "production":
        raise SeedRefused("benchmark data is never written to a production database")
    migrate.upgrade()
    engine = db.engine()
    with engine.connect() as conn:
        existing = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar()
    if existing:
        raise SeedRefused(f"the database already has {existing:,} cases: seed an empty one "
                          "(e.g. a new SQLite file or a fresh scripts/pg-tmp server)")
    events = cases * 10 if events is None else events
    echo(f"seeding {cases:,} cases and {events:,} audit events into "
         f"{current_app.config['DATABASE_URL'].split('@')[-1]} (seed {seed_value})")
    ds = Dataset(engine, cases=cases, seed=seed_value, batch_cases=batch_cases, today=date.today(), echo=echo)
    result = ds.run(events=events, analyze=analyze)
    echo("")
    echo(f"benchmark users (password {BENCH_PASSWORD}):")
    for role, email in PERSONAS.items():
        echo(f"  {role:<12} {email}")
    echo(f"  …and {ds.n_users - len(PERSONAS)} more u####@{BENCH_DOMAIN}")
    return result


# --- the command: `python -m benchmarks.seed` --------------------------------------------------------------

@click.command()
@click.option("--cases", type=click.IntRange(100, 2_000_000), default=100_000, show_default=True)
@click.option("--events", type=click.IntRange(0, 50_000_000), default=None,
              help="audit events to add (default: 10 per case)")
@click.option("--seed", "seed_value", type=int, default=10, show_default=True, help="random seed (reproducible)")
@click.option("--batch", "batch_cases", type=click.IntRange(100, 100_000), default=2000, show_default=True,
              help="cases per transaction")
@click.option("--no-analyze", is_flag=True, help="skip ANALYZE at the end")
def main(cases, events, seed_value, batch_cases, no_analyze):
    """Fill an EMPTY database (CASEFLOW_DATABASE_URL) with a large city's data for benchmarks."""
    with create_app().app_context():
        try:
            seed(cases=cases, events=events, seed_value=seed_value, batch_cases=batch_cases, analyze=not no_analyze,
                 echo=click.echo)
        except SeedRefused as exc:
            raise click.ClickException(str(exc)) from None


if __name__ == "__main__":
    main()
