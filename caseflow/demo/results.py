"""Demo: a plan whose results fed a second assessment (the Kumamoto table's loop, support → results → assessment).

熊本市: 健康福祉政策課 assesses a young man who has stayed at home for years (ひきこもり, 生活困窮), agrees a plan
with three goals -- 一般社団法人 minori takes him to a drop-in place, 精神保健福祉室 gets him back to his clinic,
the coordinator's own department offers household-budget counselling -- and, when those tasks are finished
(two done, one cancelled because he and his mother declined), writes a second assessment that cites them. The
next small step (a workplace visit) goes back into the plan. Read it with `GET /cases/{id}/plan/results`
(README, "results feed the next assessment"); the person is found by the reading アソ ユウマ.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from caseflow.cases import rules as case_domain
from caseflow.plans import assessments, tasks
from caseflow.plans import rules as plan_rules
from caseflow.plans.models import PlanGoal

SUMMARY = "30代の男性。高校卒業後から10年以上自宅にこもりがち。母の年金で生活しており、母から相談。"


def build(story) -> None:
    """Build the case through the domain rules, as the people involved would through the API."""
    coord = story.user("coordinator.kumamoto")
    minori = story.user("npo.minori")
    seishin = story.user("staff.kmm-seishin-hoken-fukushi")
    today = story.today
    case = case_domain.open_case({
        "intake_channel": "family", "issues": ["hikikomori", "poverty"], "urgency": "normal",
        "opened_on": today - timedelta(days=120), "summary": SUMMARY,
        "household": {"address": "熊本市中央区水前寺一丁目（架空）", "district": "kumamoto-chuo", "members": [
            {"person": {"name": "阿蘇 悠真", "name_kana": "アソ ユウマ", "birth_date": today - timedelta(days=33 * 365),
                        "gender": "male", "languages": ["ja"]}, "relationship": "self", "in_need": True},
            {"person": {"name": "阿蘇 典子", "name_kana": "アソ ノリコ", "birth_date": today - timedelta(days=64 * 365),
                        "gender": "female", "phone": "090-0000-0496", "languages": ["ja"]},
             "relationship": "parent"}]}}, actor=coord)
    case_domain.transition(case, "assessment", reason="関係機関と課題を整理", closure_reason=None, actor=coord)
    v1 = assessments.create_assessment(case, {
        "assessed_on": today - timedelta(days=90),
        "domains": [{"domain": "social", "risk_level": "high", "note": "外出は月1回、コンビニまで"},
                    {"domain": "health", "risk_level": "high", "note": "精神科の通院が3年前から途切れている"},
                    {"domain": "finance", "risk_level": "medium", "note": "母の年金のみ"}],
        "wishes": "人の少ない場所なら行ってみたい", "issues_note": "社会とのつながりと通院の中断が課題",
        "issue_codes": ["hikikomori", "poverty"],
        "goals": ["週1回、居場所に通う", "通院を再開する", "家計の見通しを立てる"]}, actor=coord)
    plan = plan_rules.create_plan(case, {"assessment_id": v1.id, "goals_from_assessment": True,
                                         "policy": "本人のペースで、小さな一歩から（居場所 → 職場見学 → 就労体験）"},
                                  actor=coord)
    goals = list(story.s.scalars(select(PlanGoal.id).where(PlanGoal.plan_id == plan.id).order_by(PlanGoal.position)))
    due = today + timedelta(days=14)
    steps = [
        (minori, "居場所（交流サロン）への同行", goals[0], "done",
         "4回同行し、3回目からは一人で参加できた。本人は「次は働く場所を見てみたい」と話した。"),
        (seishin, "通院再開の相談と受診同行", goals[1], "done",
         "精神科クリニックの受診に同行。月1回の通院を再開した。"),
        (coord, "家計相談（自立相談支援機関）へのつなぎ", goals[2], "cancelled",
         "本人・母とも今は家計相談を望まず、母の年金で当面は生活できるため見送り。次回アセスメントで再検討。"),
    ]
    made = [(tasks.add_task(case, owner_org_id=who.org_id, title=title, due_on=due, goal_id=goal, actor=coord), who,
             to, note) for who, title, goal, to, note in steps]
    case_domain.transition(case, "support", reason="役割分担を決めて支援開始", closure_reason=None, actor=coord)
    for task, who, to, note in made:
        tasks.transition_task(case, task, "in_progress", result_note=None, actor=who)
        tasks.transition_task(case, task, to, result_note=note, actor=who)
    case_domain.transition(case, "assessment", reason="支援の結果を踏まえて再アセスメント", closure_reason=None, actor=coord)
    v2 = assessments.create_assessment(case, {  # cites the three finished tasks (the default)
        "based_on_version": 1,
        "domains": [{"domain": "social", "risk_level": "medium", "note": "週1回、居場所に一人で通えている"},
                    {"domain": "health", "risk_level": "low", "note": "月1回の通院を継続"},
                    {"domain": "finance", "risk_level": "medium", "note": "母の年金のみ（変化なし）"}],
        "wishes": "働く場所を見てみたい",
        "issues_note": "居場所への参加と通院が定着した。次は就労に向けた職場見学。家計は母の年金に頼ったまま。",
        "issue_codes": ["hikikomori", "poverty"], "goals": ["職場見学に参加する", "家計の見通しを母と話し合う"]},
        actor=coord)
    next_goal = plan_rules.add_goal(case, {"text": "職場見学に参加する", "assessment_id": v2.id}, actor=coord)
    tasks.add_task(case, owner_org_id=minori.org_id, title="職場見学（協力事業所）への同行",
                   due_on=today + timedelta(days=30), goal_id=next_goal.id, actor=coord)
    case_domain.transition(case, "support", reason="第2版のアセスメントに基づき支援を継続", closure_reason=None,
                           actor=coord)
    story.s.flush()
    story.echo(f"  結果→再アセスメント: case {case.case_number} -- 3 finished tasks (minori, 精神保健福祉室, "
               "the coordinator) cited by assessment version 2; the next step is back in the plan")

