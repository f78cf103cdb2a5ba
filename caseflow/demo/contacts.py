"""The demo's contact that became a person (相談者 → 本人): a young man writes to 鎌倉市's LINE consultation
three weeks ago without giving his name, writes again twice, then comes to the 地域共生課 window, says who he is,
and the coordinator links the contact to him -- the contact and its history stay (caseflow.contacts)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from caseflow.cases import people
from caseflow.cases import rules as case_domain
from caseflow.contacts import rules as contacts
from caseflow.core.jpdate import TOKYO

HANDLE = "LINE相談 #2041"


def build(story) -> None:
    coord = story.user("coordinator.kamakura")
    s, today = story.s, story.today
    first = datetime.combine(today - timedelta(days=21), time(22, 15), TOKYO)
    case = case_domain.open_case({
        "intake_channel": "chat", "anonymous_label": HANDLE, "issues": ["hikikomori", "isolation"],
        "opened_on": first.date(), "summary": "LINEで匿名の相談。高校卒業後、家から出られない日が続いている。"}, actor=coord)
    s.flush()
    contact = contacts.contact_of_case(case.id)
    contact.first_contact_at = contact.last_contact_at = first  # the first message, three weeks ago
    for days in (14, 7):  # two more messages
        contacts.record_contact(contact, datetime.combine(today - timedelta(days=days), time(21, 40), TOKYO),
                                actor=coord)
    data, _surname = story._person(19, "male", phone=False)
    data["contact_preferences"] = ["line", "no_phone"]
    person = people.create_person(data, actor=coord)
    contacts.link(contact, person.id, "窓口に来所し、LINE相談 #2041 の本人であると名乗った（相談内容が一致）", actor=coord)
    s.flush()
    story.echo(f"  相談者: {HANDLE} (3 LINE contacts) linked to a person at the window, case {case.case_number}")
