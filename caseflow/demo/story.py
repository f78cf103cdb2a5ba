"""The demo story: households, cases in every stage over two fiscal years, referrals in every state,
consents (active, expired, one revoked), an emergency access, two 支援会議 and audit patterns for every
anomaly report. Everything goes through the domain modules, as a user's actions would; only the dates of
past events are moved back afterwards so the history spans two fiscal years.

Every person is invented from the name pools in caseflow.demo.world; phones and addresses are fictional.
"""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Callable

from sqlalchemy import func, select

from caseflow.access import trail
from caseflow.access.sharing import Viewer
from caseflow.access.trail import Disclosure
from caseflow.accounts.models import User
from caseflow.cases import leads, secrecy
from caseflow.cases import rules as case_domain
from caseflow.cases.models import Case, CaseStageChange, HouseholdMember, Person
from caseflow.consents import rules as consents
from caseflow.consents.models import CHILD_CONSENT_AGE
from caseflow.core import db
from caseflow.core.db import utcnow
from caseflow.core.jpdate import TOKYO
from caseflow.demo import cities, results, world
from caseflow.demo import contacts as demo_contacts
from caseflow.demo import households as households_over_time
from caseflow.meetings import agenda, councils, minutes, pledges
from caseflow.meetings import rules as meeting_rules
from caseflow.meetings.models import Meeting
from caseflow.organizations.models import Organization
from caseflow.plans import tasks as tasks
from caseflow.referrals import rules as referrals
from caseflow.referrals.models import Referral

SEED = 20260401
FIRST_DAY = date(2025, 4, 1)  # start of fiscal year 2025 (令和7年度)
STAGE_MIX = [("intake", 14), ("referral", 14), ("assessment", 24), ("support", 30), ("closed", 18)]
PATHS = {"intake": [], "referral": ["referral"], "assessment": ["referral", "assessment"],
         "support": ["referral", "assessment", "support"], "closed": ["referral", "assessment", "support", "closed"]}
CITY_OWNERS = {  # who opens cases, weighted: most cases are owned by a few departments
    "kamakura": [("coordinator.kamakura", 6), ("staff.kmk-seikatsu-fukushi", 3), ("staff.kmk-korei-ikiiki", 2),
                 ("staff.kmk-kodomo-katei-sodan", 1), ("supervisor.kamakura", 1)],
    "kumamoto": [("coordinator.kumamoto", 6), ("staff.kmm-korei-fukushi", 2), ("staff.kmm-seishin-hoken-fukushi", 2),
                 ("staff.kmm-kodomo-wakamono-sodan", 1), ("npo.kvoad", 1)],
}
RECEIVERS = {
    "kamakura": ["kmk-seikatsu-fukushi", "kmk-korei-ikiiki", "kmk-shogai-fukushi", "kmk-kyoiku-center", "kmk-shakyo"],
    "kumamoto": ["kmm-kvoad", "kmm-denden", "kmm-minori", "kmm-darc", "kmm-seishin-hoken-fukushi"],
}
ISSUE_WEIGHTS = {"hikikomori": 6, "h8050": 4, "young_carer": 3, "poverty": 6, "employment": 3, "housing": 3,
                 "isolation": 6, "elderly": 4, "mental_health": 4, "disability": 2, "dv": 1, "addiction": 1,
                 "foreign": 1, "futoko": 2, "double_care": 1, "disaster": 1, "lgbtq": 1}
SUMMARIES = {
    "hikikomori": "長期間自宅から出られない状態が続いている。家族から相談。",
    "h8050": "高齢の親と無職の子の世帯。親の介護と子の生活の両方に支援が必要。",
    "young_carer": "中学生が家族の介護を担っており、学校を休みがち。",
    "poverty": "収入が途絶え、家賃と光熱費の支払いが滞っている。",
    "isolation": "一人暮らしで相談できる人がいない。地域とのつながりが途切れている。",
    "elderly": "高齢の単身世帯。見守りと介護サービスの利用調整が必要。",
    "mental_health": "気分の落ち込みが続き、医療につながっていない。",
}


class Story:
    def __init__(self, orgs: dict[str, Organization], echo: Callable[[str], None]):
        self.s = db.session()
        self.rng = random.Random(SEED)
        self.orgs = orgs
        self.echo = echo
        self.users = {u.email.split("@")[0]: u for u in self.s.scalars(select(User))}
        self.today = utcnow().astimezone(TOKYO).date()

    def user(self, key: str) -> User:
        return self.users[key]

    def _worker_of(self, org_id) -> User:
        return next(u for u in self.users.values()
                    if u.org_id == org_id and not {"auditor", "admin", "secretariat"} & set(u.roles))

    # --- people ---------------------------------------------------------------------------------
    def _name(self, gender: str, surname=None) -> dict:
        surname = surname or self.rng.choice(world.SURNAMES)
        pool = {"female": world.GIVEN_NAMES_F, "male": world.GIVEN_NAMES_M}.get(gender, world.GIVEN_NAMES_X)
        given = self.rng.choice(pool)
        return {"name": f"{surname[0]} {given[0]}", "name_kana": f"{surname[1]} {given[1]}"}, surname

    def _person(self, age: int, gender: str, surname=None, *, phone=True) -> tuple[dict, tuple]:
        names, surname = self._name(gender, surname)
        born = self.today - timedelta(days=age * 365 + self.rng.randint(0, 364))
        p = {**names, "birth_date": born, "gender": gender, "languages": ["ja"]}
        if phone:
            p["phone"] = f"090-0000-{self.rng.randint(0, 9999):04d}"
        if self.rng.random() < 0.15:
            p["contact_preferences"] = [self.rng.choice(["text_only", "line", "no_phone"])]
        if self.rng.random() < 0.04:
            p["languages"] = ["ja", self.rng.choice(["vi", "zh", "en", "tl"])]
        return p, surname

    def _household(self, city: str, issues: list[str]) -> dict:
        districts = world.DISTRICTS_KAMAKURA if city == "kamakura" else world.DISTRICTS_KUMAMOTO
        district = self.rng.choice(districts)[0]
        street = self.rng.choice(world.STREETS.get(district, ["一丁目"]))
        city_name = "鎌倉市" if city == "kamakura" else "熊本市"
        address = f"{city_name}{street}{self.rng.randint(1, 30)}-{self.rng.randint(1, 20)}（架空）"
        if "h8050" in issues:
            parent, surname = self._person(self.rng.randint(78, 88), self.rng.choice(["female", "male"]))
            child, _ = self._person(self.rng.randint(48, 56), self.rng.choice(["male", "female"]), surname, phone=False)
            members = [{"person": child, "relationship": "self", "in_need": True},
                       {"person": parent, "relationship": "parent", "in_need": True}]
        elif "young_carer" in issues:
            child, surname = self._person(self.rng.randint(12, 17), self.rng.choice(["female", "male"]), phone=False)
            mother, _ = self._person(self.rng.randint(40, 50), "female", surname)
            members = [{"person": child, "relationship": "self", "in_need": True},
                       {"person": mother, "relationship": "parent"}]
        else:
            me, surname = self._person(self.rng.randint(18, 85), self.rng.choice(["female", "male", "male", "other"]))
            members = [{"person": me, "relationship": "self", "in_need": True}]
            if self.rng.random() < 0.5:
                other, _ = self._person(self.rng.randint(20, 80), self.rng.choice(["female", "male"]), surname)
                members.append({"person": other, "relationship": self.rng.choice(["spouse", "parent", "sibling"])})
        if self.rng.random() < 0.1 and members[0]["person"].get("birth_date"):
            members[0]["person"]["sensitive"] = {"health": "通院歴あり（詳細は面談記録）"}
        return {"address": address, "district": district, "members": members}

    # --- cases ----------------------------------------------------------------------------------
    def _issues(self) -> list[str]:
        codes, weights = zip(*ISSUE_WEIGHTS.items())
        n = self.rng.choices([1, 2, 3], weights=[5, 4, 1])[0]
        return sorted(set(self.rng.choices(codes, weights=weights, k=n)))

    def build_cases(self, households: int) -> list[tuple[Case, str]]:
        built = []
        stages, weights = zip(*STAGE_MIX)
        span = (self.today - FIRST_DAY).days
        for n in range(households):
            city = "kamakura" if n % 2 == 0 else "kumamoto"
            owners, w = zip(*CITY_OWNERS[city])
            actor = self.user(self.rng.choices(owners, weights=w)[0])
            issues = self._issues()
            opened = FIRST_DAY + timedelta(days=int(span * (n / households)) + self.rng.randint(0, 6))
            opened = min(opened, self.today)
            anonymous = self.rng.random() < 0.05
            data = {"intake_channel": self.rng.choice([c for c, _ in world.INTAKE_CHANNELS]), "issues": issues,
                    "urgency": self.rng.choices(["low", "normal", "high", "critical"], weights=[2, 12, 4, 1])[0],
                    "summary": SUMMARIES.get(issues[0], "相談内容は面談記録を参照。"), "opened_on": opened}
            if anonymous:
                data.update(intake_channel="chat", anonymous_label=f"LINE相談 #{1000 + n}")
            else:
                data["household"] = self._household(city, issues)
            case = case_domain.open_case(data, actor=actor)
            stage = self.rng.choices(stages, weights=weights)[0]
            if anonymous:
                stage = "intake"
            self._move(case, stage, actor, city)
            built.append((case, city))
            if (n + 1) % 50 == 0:
                self.s.flush()
                self.echo(f"  cases: {n + 1}/{households}")
        return built

    def _move(self, case: Case, stage: str, actor: User, city: str) -> None:
        """Walk the case along its path, each stage change dated as it is written: the stage history is
        immutable (caseflow.core.dbguards), so it is never back-dated afterwards."""
        steps = PATHS[stage]
        times = self._history_times(case, len(steps) + 1)
        intake = next(o for o in self.s.new if isinstance(o, CaseStageChange) and o.case_id == case.id)
        intake.at = times[0]  # open_case's change, not written yet
        for step, at in zip(steps, times[1:]):
            if step == "support":
                receiver = self.orgs[self.rng.choice(RECEIVERS[city])]
                tasks.add_task(case, owner_org_id=receiver.id, title="定期的な訪問と見守り",
                               due_on=self.today + timedelta(days=self.rng.randint(7, 60)), actor=actor)
                tasks.add_task(case, owner_org_id=actor.org_id, title="関係機関との調整",
                               due_on=self.today + timedelta(days=self.rng.randint(3, 30)), actor=actor)
            reason = {"referral": "関係機関への紹介を検討", "assessment": "関係機関と課題を整理",
                      "support": "役割分担を決めて支援開始", "closed": "支援目標を達成"}[step]
            change = case_domain.transition(case, step, reason=reason,
                                            closure_reason=self.rng.choice(["goal_achieved", "handed_over",
                                                                            "stable_monitoring", "moved"])
                                            if step == "closed" else None,
                                            actor=actor)
            change.at = at  # before the change is flushed: an INSERT, not an UPDATE
        if case.stage == "closed":
            case.closed_at = times[-1]
        self.s.flush()

    def _history_times(self, case: Case, n: int) -> list[datetime]:
        """n stage-change times spread between the opening date and today (the demo spans two fiscal years)."""
        start = datetime.combine(case.opened_on, time(9, 30), TOKYO)
        step = (utcnow() - start) / (n + 1)
        return [start + step * i + timedelta(minutes=self.rng.randint(0, 240)) for i in range(n)]

    # --- referrals, consents, emergency ---------------------------------------------------------
    def build_referrals(self, built: list[tuple[Case, str]]) -> None:
        states = ["pending", "pending", "accepted", "accepted", "declined", "withdrawn", "completed"]
        n = 0
        for case, city in built:
            if case.stage not in ("referral", "assessment", "support") or self.rng.random() < 0.35:
                continue
            owner_user = self._worker_of(case.owner_org_id)
            to_code = self.rng.choice([c for c in RECEIVERS[city] if self.orgs[c].id != case.owner_org_id])
            receiver = next((u for u in self.users.values() if u.org_id == self.orgs[to_code].id), None)
            if receiver is None:
                continue
            ref = referrals.create_referral(
                {"case_id": case.id, "to_org_id": self.orgs[to_code].id, "reason": "専門的な支援が必要なため",
                 "requested_support": self.rng.choice(["訪問による見守りをお願いしたい", "就労に向けた相談支援",
                                                        "居場所への参加の調整", "家計の立て直しの助言"]),
                 "urgency": case.urgency},
                actor=owner_user, today=self.today)
            state = states[n % len(states)]
            n += 1
            if state in ("accepted", "completed"):
                referrals.change_state(ref, "accept", reason=None, actor=receiver)
            if state == "completed":
                referrals.change_state(ref, "complete", reason="支援を終えた", actor=receiver)
            elif state == "declined":
                referrals.change_state(ref, "decline", reason="対象地域外のため", actor=receiver)
            elif state == "withdrawn":
                referrals.change_state(ref, "withdraw", reason="本人の意向により取下げ", actor=owner_user)
            elif state == "pending" and n % 3 == 0:
                ref.reply_due = self.today - timedelta(days=2)  # an overdue one for the inbox
        self.s.flush()
        self.echo(f"  referrals: {n}")

    def build_consents(self, built: list[tuple[Case, str]]) -> None:

        made = 0
        now = utcnow()
        rows = self.s.execute(select(Referral, Case).join(Case, Case.id == Referral.case_id)
                              .where(Referral.state.in_(("accepted", "pending")), Case.primary_person_id.is_not(None))
                              .order_by(Referral.created_at)).all()
        for i, (ref, case) in enumerate(rows[:24]):
            actor = self._worker_of(case.owner_org_id)
            kind = i % 6
            # obtained at the intake interview: on the day the case was opened, never before it or in the future
            day_start = datetime.combine(case.opened_on, time(0, 0), TOKYO)
            obtained = max(day_start, min(datetime.combine(case.opened_on, time(10, 0), TOKYO),
                                          now - timedelta(minutes=1)))
            data = {"person_id": case.primary_person_id, "purpose": "support_coordination",
                    "method": ["written", "oral", "electronic"][i % 3],
                    "recipients": [{"org_id": ref.to_org_id}], "categories": ["identity", "contact"],
                    "obtained_at": obtained}
            person = self.s.get(Person, case.primary_person_id)
            if person.birth_date and consents.age_on(person.birth_date, obtained.date()) < CHILD_CONSENT_AGE:
                # a child: the child's own assent and a guardian's consent, as the consent rules require
                data.update(assent_by_subject=True, guardian_consent=True)
            if kind == 1:
                data["categories"] = ["identity", "contact", "sensitive", "case_notes"]
            if kind == 2:  # expired
                data.update(valid_from=obtained, valid_until=obtained + (now - obtained) / 2)
            consent = consents.record_consent(data, actor=actor)
            if i == 3:  # the revoked one
                consents.revoke_consent(consent, "本人から同意撤回の申し出（電話）", actor=actor)
            made += 1
        self.echo(f"  consents: {made} (some expired, one revoked)")

    def build_emergency(self) -> None:
        """One break-glass access in each city, by the receiver of a pending referral."""

        opened = 0
        for city_orgs in ({o.id for o in self.orgs.values() if o.code.startswith(p)} for p in ("kmk-", "kmm-")):
            rows = self.s.execute(select(Referral, Case).join(Case, Case.id == Referral.case_id)
                                  .where(Referral.state == "pending", Case.primary_person_id.is_not(None),
                                         Case.owner_org_id.in_(city_orgs))
                                  .order_by(Referral.created_at.desc())).all()
            for ref, case in rows:
                user = next((u for u in self.users.values()
                             if u.org_id == ref.to_org_id and not {"auditor", "admin", "secretariat"} & set(u.roles)),
                            None)
                if user is None:
                    continue
                consents.open_emergency_access(
                    case, case.primary_person_id,
                    "訪問時に応答がなく室内で倒れている可能性。家族とも連絡が取れず、安否確認のため緊急に連絡先が必要。",
                    24, actor=user)
                opened += 1
                break
        self.echo(f"  emergency accesses: {opened} (flagged for audit review)")

    # --- councils and meetings --------------------------------------------------------------------
    # (city, secretariat supervisor, kind, name, members, quorum %, invites non-members, schedule, 要綱)
    COUNCILS = [
        ("kamakura", "supervisor.kamakura", "support_meeting", "鎌倉市支援会議",
         # the ten departments of seed 002 (item 2-2-1-2) and the 市社協
         ["kmk-fukushi-somu", "kmk-seikatsu-fukushi", "kmk-korei-ikiiki", "kmk-shogai-fukushi", "kmk-kodomo-shien",
          "kmk-kodomo-katei-sodan", "kmk-seishonen", "kmk-hattatsu-shien", "kmk-chiiki-kyosei", "kmk-kyoiku-center",
          "kmk-shakyo"], 50, True, "毎月第2水曜 14:00",
         "鎌倉市支援会議設置要綱"),
        ("kamakura", "supervisor.kamakura", "child_protection_council", "鎌倉市要保護児童対策地域協議会",
         ["kmk-fukushi-somu", "kmk-kodomo-katei-sodan", "kmk-kodomo-shien", "kmk-hattatsu-shien", "kmk-kyoiku-center",
          "kmk-seishonen"], 50, True, "実務者会議 毎月第4木曜", "鎌倉市要保護児童対策地域協議会設置要綱"),
        ("kamakura", "supervisor.kamakura", "multilayer_meeting", "鎌倉市重層的支援会議",
         ["kmk-fukushi-somu", "kmk-chiiki-kyosei", "kmk-shakyo", "kmk-hokatsu-ofuna"], None, False, "隔月",
         None),
        ("kumamoto", "supervisor.kumamoto", "support_meeting", "熊本市孤独・孤立対策支援会議",
         ["kmm-kenko-fukushi-seisaku", "kmm-kvoad", "kmm-denden", "kmm-seishin-hoken-fukushi"], 50, False,
         "毎月第1火曜", "熊本市支援会議運営要綱"),
        ("kumamoto", "supervisor.kumamoto", "isolation_council", "熊本市孤独・孤立対策地域協議会",
         ["kmm-kenko-fukushi-seisaku", "kmm-kvoad", "kmm-shakyo", "kmm-kumamoto-sodanjo", "kmm-keicho-net",
          "kmm-bigissue"], 50, True, "年2回（6月・12月）", "熊本市孤独・孤立対策地域協議会設置要綱"),
        ("kumamoto", "supervisor.kumamoto", "youth_support_council", "熊本市子ども・若者支援地域協議会",
         ["kmm-kenko-fukushi-seisaku", "kmm-kodomo-wakamono-sodan", "kmm-kodomo-seisaku", "kmm-minori",
          "kmm-donguri"], 50, True, "代表者会議 年1回、実務者会議 毎月", "熊本市子ども・若者支援地域協議会設置要綱"),
        ("kumamoto", "supervisor.kumamoto", "case_conference", "健康福祉政策課 ケース会議",
         ["kmm-kenko-fukushi-seisaku", "kmm-korei-fukushi", "kmm-darc"], None, False, "随時", None),
    ]
    BYLAWS = ("第1条 会議は、会長が招集し、その議長となる。\n"
              "第2条 会議は、構成機関の半数以上の出席がなければ開くことができない。定足数に満たない会議の決定は成立しない。\n"
              "第3条 会長は、必要があると認めるときは、構成機関以外の者の出席を求め、説明又は意見を聴くことができる。"
              "この場合、出席を求められた者は個別に守秘義務の誓約をしなければならない。")

    def build_councils(self) -> None:
        """One council of each kind across the two cities, with its members, chair, 要綱 and schedule."""
        self.councils = {}
        for city, chair_key, kind, name, member_codes, quorum, invites, schedule, bylaws in self.COUNCILS:
            chair = self.user(chair_key)
            council = councils.create_council({
                "kind": kind, "name": name, "member_org_ids": [self.orgs[c].id for c in member_codes],
                "quorum_percent": quorum, "invites_non_members": invites, "schedule": schedule,
                "bylaws_title": bylaws, "bylaws_text": self.BYLAWS if bylaws else None,
                "pledge_scope": "fiscal_year"}, actor=chair)
            self.councils[name] = council
        self.s.flush()
        self.echo(f"  会議体: {len(self.COUNCILS)} (支援会議 in each city, 要保護児童対策地域協議会, 重層的支援会議, "
                  "孤独・孤立対策地域協議会, 子ども・若者支援地域協議会, ケース会議)")

    def build_meetings(self) -> None:
        now = utcnow()
        specs = [
            ("supervisor.kumamoto", "熊本市孤独・孤立対策支援会議", "令和8年度 第8回 孤独・孤立対策支援会議",
             now - timedelta(days=3), "熊本市役所 14階 会議室", True, None),
            ("supervisor.kamakura", "鎌倉市支援会議", "令和8年度 第9回 鎌倉市支援会議（重層的支援体制整備事業）",
             now + timedelta(days=6), "市役所 本庁舎 第2会議室", False, "npo.kmk-hokatsu-ofuna"),
        ]
        for chair_key, council_name, title, starts, place, held, guest_key in specs:
            chair = self.user(chair_key)
            council = self.councils[council_name]
            member_ids = councils.member_org_ids(council)
            # by e-mail, so the one attendee left unpledged below is the same on every engine
            attendees = [u.id for u in sorted(self.users.values(), key=lambda u: u.email)
                         if u.org_id in member_ids and "auditor" not in u.roles
                         and "admin" not in u.roles and "secretariat" not in u.roles]
            meeting = meeting_rules.create_meeting(
                {"council_id": council.id, "title": title, "starts_at": starts, "place": place,
                 "attendee_user_ids": attendees, "window_start": starts - timedelta(days=10),
                 "sharing_days_after": 14}, actor=chair)
            viewer = Viewer.of(chair)
            candidates = self.s.scalars(
                select(Case).where(Case.owner_org_id == chair.org_id, Case.stage != "closed",
                                   Case.primary_person_id.is_not(None)).order_by(Case.opened_on.desc()).limit(4)).all()
            items = []
            for case in candidates:
                items.append(agenda.add_agenda_item(meeting, {"case_id": case.id, "presenting_org_id": chair.org_id,
                                                                "points": "支援方針の確認と役割分担", "minutes_allotted": 15},
                                                      actor=chair, viewer=viewer))
            agenda.add_agenda_item(meeting, {"topic": "地域の居場所・社会資源の情報共有", "minutes_allotted": 10},
                                     actor=chair, viewer=viewer)
            if guest_key and items:
                # 要綱第3条: a non-member invited to explain one case; sees that item only, after its own pledge
                guest = self.user(guest_key)
                meeting_rules.invite_guest(meeting, items[0], guest.id, actor=chair)
                pledges.sign_pledge(meeting, actor=guest)
            for uid in attendees[: max(1, len(attendees) - 1)]:  # one attendee has not signed yet
                pledges.sign_pledge(meeting, actor=self.s.get(User, uid))
            if held and items:
                meeting_rules.transition(meeting, "held", actor=chair)
                for item in items:
                    minutes.write_minutes(meeting, item, "現状を共有し、訪問の頻度を増やすことを確認した。", actor=chair,
                                           entry=None)
                minutes.record_decision(meeting, {"agenda_item_id": items[0].id, "title": "週1回の安否確認訪問",
                                                   "owner_org_id": member_ids[2],
                                                   "due_on": self.today + timedelta(days=14)}, actor=chair)
                meeting_rules.transition(meeting, "minutes_approved", actor=chair)
            self.s.flush()
        self.echo("  meetings: 2 支援会議 (one held with minutes and a decision, one upcoming with an invited "
                  "non-member)")

    # --- 主担当と副担当 -------------------------------------------------------------------------------
    def build_leads(self) -> None:
        """In each city: the 社協 joins one open case of the coordinator's department as co-lead (副担当), and a
        second case has an open offer of its lead to the 社協 (主担当の交代, waiting for acceptance)."""
        for coord_key, shakyo_code in (("coordinator.kamakura", "kmk-shakyo"), ("coordinator.kumamoto", "kmm-shakyo")):
            coord, shakyo = self.user(coord_key), self.orgs[shakyo_code]
            cases = self.s.scalars(select(Case).where(Case.owner_org_id == coord.org_id, Case.stage != "closed",
                                                      Case.primary_person_id.is_not(None))
                                   .order_by(Case.opened_on.desc(), Case.id).limit(2)).all()
            if len(cases) < 2:
                continue
            leads.add_co_lead(cases[0], shakyo.id, actor=coord)
            leads.request_handover(cases[1], {"to_org_id": shakyo.id, "reason": "地域での見守りが中心となるため",
                                              "previous_lead_stays": True}, actor=coord)
        self.s.flush()
        self.echo("  主担当と副担当 (each city): a case with the 社協 as co-lead, a lead hand-over waiting for it")

    # --- 住所秘匿 (a DV case with a secret member) and a neighbour's report -------------------------------
    def build_secrecy(self) -> None:
        """鎌倉市: a household on paper of a husband and his wife, who fled from his violence; her own address (a
        shelter) and phone are under a 秘匿決定 naming こども家庭相談課. The case (about the husband's household,
        reported by a neighbour who asked not to be named) is on the upcoming 支援会議's agenda: the members see
        the husband, never her."""
        sup = self.user("supervisor.kamakura")
        husband, surname = self._person(46, "male")
        wife, _ = self._person(41, "female", surname)
        wife.update(address="横浜市内の一時保護先（架空・秘匿）", phone="080-0000-0110", line_id="dv-shien-demo")
        case = case_domain.open_case({
            "intake_channel": "neighbour", "issues": ["dv", "poverty"], "urgency": "high", "opened_on": self.today,
            "summary": "近隣住民から「夜間に怒鳴り声がする」との通報。妻は子どもを連れて避難済み。夫は生活困窮。",
            "household": {"address": "鎌倉市大船二丁目3-4（架空）", "district": "kamakura-ofuna", "members": [
                {"person": husband, "relationship": "self", "in_need": True},
                {"person": wife, "relationship": "spouse"}]}}, actor=sup)
        self.s.flush()
        wife_id = next(m.person_id for m in case_domain_household_members(self.s, case) if m.relationship_code == "spouse")
        viewer = Viewer.of(sup)
        kodomo = self.orgs["kmk-kodomo-katei-sodan"]
        leads.add_co_lead(case, kodomo.id, actor=sup)  # こども家庭相談課 supports the wife and the children
        consents.record_consent({"person_id": wife_id, "purpose": "support_coordination", "method": "written",
                                 "recipients": [{"org_id": kodomo.id}], "categories": ["identity", "contact"],
                                 "obtained_at": utcnow() - timedelta(minutes=5)}, actor=sup)
        secrecy.decide(viewer, wife_id, {
            "reason": "住民基本台帳事務における支援措置（DV）の申出を受けて",
            "recipient_org_ids": [kodomo.id]}, actor=sup)
        secrecy.record_reporter(case, {"name": "近隣住民（氏名は記録のみ）", "contact": "0467-00-0999",
                                       "relationship_to_household": "隣家", "note": "情報元は言わないでほしいとの希望",
                                       "wishes_anonymity": True}, actor=sup)
        meeting = self.s.scalar(select(Meeting).where(Meeting.organizer_org_id == sup.org_id,
                                                      Meeting.status == "planned").order_by(Meeting.starts_at.desc()))
        if meeting is not None:
            agenda.add_agenda_item(meeting, {"case_id": case.id, "presenting_org_id": sup.org_id,
                                             "points": "夫への生活支援の方針（妻の所在は秘匿）", "minutes_allotted": 15},
                                   actor=sup, viewer=viewer)
        self.s.flush()
        self.echo(f"  住所秘匿: DV case {case.case_number} -- the wife secret (named: こども家庭相談課), "
                  "a neighbour's report kept apart, on the 支援会議 agenda")

    # --- audit patterns ------------------------------------------------------------------------
    def build_audit_patterns(self) -> None:
        """Past events for each city's anomaly reports: a bulk read, after-hours reads, denied attempts."""

        s = self.s
        cities = (("kamakura", "coordinator.kamakura", "staff.kmk-seikatsu-fukushi", "npo.kmk-shakyo"),
                  ("kumamoto", "coordinator.kumamoto", "staff.kmm-korei-fukushi", "npo.darc"))
        for city, bulk_key, late_key, denied_key in cities:
            coord, staff, npo = self.user(bulk_key), self.user(late_key), self.user(denied_key)
            person_ids = s.scalars(select(Person.id).where(Person.municipality_id == coord.org.municipality_id)
                                   .order_by(Person.created_at).limit(40)).all()
            base = datetime.combine(self.today - timedelta(days=5), time(14, 0), TOKYO)
            for i, pid in enumerate(person_ids[:35]):  # 35 persons in 7 minutes
                trail.record(s, action="persons.read", resource_type="persons", resource_id=pid, actor=coord,
                             disclosures=[Disclosure(pid, "own_collection", ["identity"])],
                             occurred_at=base + timedelta(seconds=12 * i))
            late = datetime.combine(self.today - timedelta(days=3), time(23, 40), TOKYO)
            for i, pid in enumerate(person_ids[35:38]):
                trail.record(s, action="persons.read", resource_type="persons", resource_id=pid, actor=staff,
                             disclosures=[Disclosure(pid, "own_collection", ["identity", "contact"])],
                             occurred_at=late + timedelta(minutes=3 * i))
            for i in range(4):
                trail.record(s, action="cases.read", resource_type="cases", resource_id=uuid.uuid4(), actor=npo,
                             outcome="denied", occurred_at=base + timedelta(hours=1, minutes=i))
        self.echo("  audit patterns (each city): a bulk read, after-hours reads, repeated denied attempts")


def case_domain_household_members(s, case: Case) -> list[HouseholdMember]:
    return list(s.scalars(select(HouseholdMember).where(HouseholdMember.household_id == case.household_id)))


def build(orgs: dict[str, Organization], echo: Callable[[str], None], households: int = 200) -> bool:
    """Build the story unless cases already exist (idempotent). Returns whether it built."""
    s = db.session()
    if s.scalar(select(func.count(Case.id))):
        echo("cases: already present, story left as it is (use --reset to rebuild)")
        return False
    story = Story(orgs, echo)
    echo(f"building the demo story ({households} households) …")
    built = story.build_cases(households)
    story.build_referrals(built)
    story.build_consents(built)
    story.build_emergency()
    story.build_councils()
    story.build_meetings()
    story.build_leads()
    story.build_secrecy()
    results.build(story)  # a plan whose results fed a second assessment (caseflow.demo.results)
    households_over_time.build(story)
    demo_contacts.build(story)
    cities.build(story)  # 市原・須坂・伊勢・名張・枚方・府中 (caseflow.demo.cities)
    story.build_audit_patterns()
    counts = dict(s.execute(select(Case.stage, func.count(Case.id)).group_by(Case.stage)).all())
    echo("  cases by stage: " + ", ".join(f"{k} {counts.get(k, 0)}" for k, _ in STAGE_MIX))
    return True
