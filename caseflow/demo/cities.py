"""The six other seed municipalities' part of the demo story (issue 20): each city's councils from its seed and
a few invented cases, opened through the domain modules as the city's coordinator would.

鎌倉市 and 熊本市 are built by caseflow.demo.story; the data (organisations, districts, users) is in
caseflow.demo.world. Every person here is invented; addresses say （架空）.
"""
from __future__ import annotations

from caseflow.cases import rules as case_domain
from caseflow.demo import world
from caseflow.meetings import councils

# (city, kind, name, member organisation codes, quorum %, invites non-members, schedule, 要綱 title)
COUNCILS = [
    # 須坂市 (seed 003, 2-1): 官民連携プラットフォーム推進協議会 under a 要綱 -- the chair convenes and presides,
    # quorum half the members, non-members may be invited to explain (the 要綱 text: Story.BYLAWS).
    ("suzaka", "isolation_council", "須坂市孤独・孤立対策官民連携プラットフォーム推進協議会",
     ["szk-seisaku-suishin", "szk-korei-fukushi", "szk-kenko-zukuri", "szk-gakko-kyoiku", "szk-kodomo", "szk-danjo",
      "szk-shakyo", "szk-seikatsu-shuro", "szk-dreamseed", "szk-suko-sogo", "szk-minsei"],
     50, True, "年2回程度（会長が招集）", "須坂市孤独・孤立対策官民連携プラットフォーム推進協議会設置要綱"),
    # 名張市 (seed 003, 2-3): five エリアディレクター (高齢・障がい・児童・困窮・教育) meet monthly to share cases and
    # adjust support. The seed does not say the meeting is a 支援会議 under 社会福祉法106条の6, so it is recorded
    # as a 重層的支援会議: it shares on the person's consent.
    ("nabari", "multilayer_meeting", "名張市エリアディレクター会議",
     ["nbr-korei", "nbr-shogai", "nbr-kosodate", "nbr-iryo-fukushi", "nbr-kyoiku-center"],
     None, False, "毎月1回", None),
    # 枚方市 (seed 003, 2-4): the 21 bodies of the 令和4年度代表者会議, with its 事務局 (子ども相談課).
    ("hirakata", "youth_support_council", "枚方市子ども・若者支援地域協議会", world.HIRAKATA_COUNCIL_BODIES,
     50, True, "代表者会議 年1回、実務者会議 随時", "枚方市子ども・若者支援地域協議会設置要綱"),
    # 市原市 (seed 001): 次長級職員の「孤独・孤立対策に関する連絡会議」 (no personal data).
    ("ichihara", "regular", "市原市孤独・孤立対策に関する連絡会議",
     ["ich-kodomo", "ich-seishonen", "ich-shogaisha"], None, False, "年2回", None),
    # 伊勢市 (seed 003, 2-2): 伊勢市多分野協働プラットフォーム (新設; no personal data at its meetings).
    ("ise", "regular", "伊勢市多分野協働プラットフォーム",
     ["ise-korei-shogai", "ise-seikatsu-shien", "ise-kosodate", "ise-shoko-rosei", "ise-shakyo", "ise-combinet"],
     None, False, "随時", None),
]

# (city, issues, intake channel, urgency, summary, district index, [(age, gender, relationship)])
CASES = [
    ("ichihara", ["hikikomori", "futoko"], "family", "normal", "中学生の子が不登校から外出しなくなった。母親から相談。",
     0, [(14, "male", "self"), (44, "female", "parent")]),
    ("ichihara", ["isolation", "elderly"], "neighbour", "normal", "退職後の男性が地域とのつながりを失っている。",
     0, [(68, "male", "self")]),
    ("suzaka", ["mental_health", "suicide_risk"], "phone", "high", "気分の落ち込みが続き、死にたい気持ちを口にしている。",
     3, [(52, "male", "self")]),
    ("suzaka", ["poverty", "employment"], "counter", "normal", "失職後に家賃を滞納している。", 1, [(38, "female", "self")]),
    ("ise", ["hikikomori", "employment"], "counter", "normal", "働きづらさがあり、まず居場所から始めたい。",
     0, [(29, "male", "self"), (60, "female", "parent")]),
    ("ise", ["poverty", "housing"], "phone", "normal", "住まいを失うおそれがある。", 0, [(45, "female", "self")]),
    ("nabari", ["h8050", "elderly"], "minsei", "normal", "まちの保健室に民生委員から相談。高齢の親と無職の子の世帯。",
     5, [(51, "male", "self"), (82, "female", "parent")]),
    ("nabari", ["young_carer"], "school", "high", "小学生が祖母の介護を担い、学校を休みがち。",
     12, [(11, "female", "self"), (39, "female", "parent")]),
    ("hirakata", ["hikikomori"], "phone", "normal", "ひきこもり等子ども・若者相談支援センターへの電話相談（20代）。",
     0, [(24, "male", "self")]),
    ("hirakata", ["single_parent", "poverty"], "counter", "normal", "ひとり親家庭。養育費が途絶え生活が苦しい。",
     0, [(34, "female", "self"), (8, "male", "child")]),
    ("fuchu", ["bullying", "futoko"], "school", "high", "いじめを受けて登校できない。学校から相談。",
     2, [(13, "female", "self"), (42, "female", "parent")]),
    ("fuchu", ["young_carer"], "school", "normal", "中学生がきょうだいの世話で部活動をやめた。",
     4, [(14, "male", "self")]),
]


def build(story) -> None:
    """Councils and invented cases of 市原・須坂・伊勢・名張・枚方・府中 (each in its own tenant)."""
    s = story.s
    for city, kind, name, member_codes, quorum, invites, schedule, bylaws in COUNCILS:
        chair = story.user(f"supervisor.{city}")
        councils.create_council({
            "kind": kind, "name": name, "member_org_ids": [story.orgs[c].id for c in member_codes],
            "quorum_percent": quorum, "invites_non_members": invites, "schedule": schedule,
            "bylaws_title": bylaws, "bylaws_text": story.BYLAWS if bylaws else None,
            "pledge_scope": "fiscal_year"}, actor=chair)
    opened = 0
    for city, issues, channel, urgency, summary, district_no, members in CASES:
        spec = next(m for m in world.MUNICIPALITIES if m["code"] == city)
        district = spec["districts"][district_no][0]
        surname = story.rng.choice(world.SURNAMES)
        people = []
        for age, gender, relationship in members:
            person, _ = story._person(age, gender, surname, phone=relationship != "child" and age >= 15)
            people.append({"person": person, "relationship": relationship, "in_need": relationship == "self"})
        address = f"{spec['name']}{story.rng.choice(world.STREETS[district])}{story.rng.randint(1, 30)}-" \
                  f"{story.rng.randint(1, 20)}（架空）"
        case_domain.open_case({"intake_channel": channel, "issues": issues, "urgency": urgency, "summary": summary,
                               "household": {"address": address, "district": district, "members": people}},
                              actor=story.user(f"coordinator.{city}"))
        opened += 1
    s.flush()
    story.echo(f"  six more municipalities: {len(COUNCILS)} councils, {opened} cases "
               "(市原・須坂・伊勢・名張・枚方・府中)")
