"""The demo's household over time (issue 24): a young carer's household in 鎌倉市 whose membership changed -- the
father left (別居), the grandmother moved in later to be cared for -- and a three-generation relationship graph:
the carer's mother is also the daughter of the grandmother, the 8050 parent. The case is on the upcoming 支援会議's
agenda, so its pledged members see the graph there. All persons are invented (caseflow.demo.world name pools)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from caseflow.access.sharing import Viewer
from caseflow.cases import leads, people, relationships
from caseflow.cases import rules as case_domain
from caseflow.cases.models import Household, HouseholdMember
from caseflow.meetings import agenda
from caseflow.meetings.models import Meeting


def build(story) -> None:
    """Open the case as 鎌倉市's coordinator, record the membership changes and the graph (`story`: the demo story
    under construction: its users, its name pools, its session and its echo)."""
    s = story.s
    coord = story.user("coordinator.kamakura")
    carer, surname = story._person(15, "female")
    mother, _ = story._person(44, "female", surname)
    father, _ = story._person(47, "male", surname)
    grandma, _ = story._person(79, "female", surname)
    born = carer["birth_date"]
    case = case_domain.open_case({
        "intake_channel": "school", "issues": ["young_carer", "h8050"], "urgency": "normal", "opened_on": story.today,
        "summary": "中学生が同居する祖母の介護を担い、欠席が続いている。母は就労で不在がち。",
        "household": {"address": "鎌倉市腰越二丁目5-8（架空）", "district": "kamakura-koshigoe", "members": [
            {"person": carer, "relationship": "self", "in_need": True, "since": born},
            {"person": mother, "relationship": "parent", "since": born},
            {"person": father, "relationship": "parent", "since": born}]}}, actor=coord)
    s.flush()
    household = s.get(Household, case.household_id)
    ids = {m.relationship_code + str(m.position): m for m in s.scalars(
        select(HouseholdMember).where(HouseholdMember.household_id == household.id))}
    carer_m, mother_m, father_m = ids["self0"], ids["parent1"], ids["parent2"]
    relationships.end_member(household, father_m.id, {
        "until": date(story.today.year - 2, 3, 31), "reason_code": "separation", "reason": "両親の別居により転出"},
        actor=coord)
    grandma_m = people.add_member(household, {"person": grandma, "relationship": "grandparent", "in_need": True,
                                              "since": story.today - timedelta(days=400)}, actor=coord)
    for src, dst, relation, since in ((mother_m, carer_m, "mother", born), (grandma_m, mother_m, "mother", None),
                                      (carer_m, grandma_m, "grandchild", born)):
        relationships.add_relationship(household, {"from_person_id": src.person_id, "to_person_id": dst.person_id,
                                                   "relation": relation, "since": since}, actor=coord)
    # 福祉総務課 (the 支援会議's secretariat) joins as co-lead and puts the case on the upcoming meeting's agenda
    sup = story.user("supervisor.kamakura")
    meeting = s.scalar(select(Meeting).where(Meeting.organizer_org_id == sup.org_id, Meeting.status == "planned")
                       .order_by(Meeting.starts_at.desc()))
    if meeting is not None:
        leads.add_co_lead(case, sup.org_id, actor=coord)
        s.flush()
        agenda.add_agenda_item(meeting, {"case_id": case.id, "presenting_org_id": coord.org_id,
                                         "points": "祖母の介護サービス導入と本人の登校支援", "minutes_allotted": 15},
                               actor=sup, viewer=Viewer.of(sup))
    s.flush()
    story.echo(f"  households over time: young carer case {case.case_number} -- the father left (別居), the "
               "grandmother moved in; mother → carer, grandmother → mother (母), carer → grandmother (孫)")

