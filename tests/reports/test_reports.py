"""KPI reports computed on a constructed dataset and compared with hand-counted expectations (issue 9)."""
import csv
import io
import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest

from caseflow.cases.models import Case, CaseIssue, CaseStageChange, Person
from caseflow.core import db
from caseflow.meetings.models import AgendaItem, Meeting, MeetingMember
from caseflow.referrals.models import Referral

from support import council_row

FY = 2025  # 2025-04-01 .. 2026-03-31
TOKYO = timezone(timedelta(hours=9))


@pytest.fixture
def dataset(app, basic):
    """Cases placed directly with known dates so the expectations can be counted by hand.

    channel/issues/district/birth year/opened/closed:
      1 counter  [hikikomori, h8050]  ofuna     1980  2025-04-10  closed 2025-06-10 goal_achieved
      2 counter  [hikikomori]         ofuna     1990  2025-05-01
      3 counter  [poverty]            koshigoe  2008  2025-05-20
      4 phone    [poverty, housing]   ofuna     1950  2025-05-21  closed 2026-01-10 moved
      5 chat     [isolation]          ofuna     —     2025-12-24
      6 counter  [hikikomori]         ofuna     1980  2024-12-01 (previous fiscal year: not counted as new)
    """
    spec = [
        ("counter", ["hikikomori", "h8050"], "ofuna", 1980, date(2025, 4, 10), (date(2025, 6, 10), "goal_achieved")),
        ("counter", ["hikikomori"], "ofuna", 1990, date(2025, 5, 1), None),
        ("counter", ["poverty"], "koshigoe", 2008, date(2025, 5, 20), None),
        ("phone", ["poverty", "housing"], "ofuna", 1950, date(2025, 5, 21), (date(2026, 1, 10), "moved")),
        ("chat", ["isolation"], "ofuna", None, date(2025, 12, 24), None),
        ("counter", ["hikikomori"], "ofuna", 1980, date(2024, 12, 1), None),
    ]
    owner, user = basic.orgs["kmk-chiiki"], basic.users["coord@example.jp"]
    kamakura = basic.municipalities["kamakura"]
    ids = []
    with app.app_context():
        s = db.session()
        for n, (channel, issues, district, birth_year, opened, closed) in enumerate(spec, 1):
            person = None
            if birth_year:
                person = Person(name=f"人{n}", birth_year=birth_year, collected_by_org_id=owner, search_key="",
                                municipality_id=kamakura)
                s.add(person)
                s.flush()
            case = Case(case_number=f"T-{n:06d}", municipality_id=kamakura, owner_org_id=owner, intake_channel=channel,
                        district_code=district,
                        opened_on=opened, primary_person_id=person.id if person else None, anonymous_label="x",
                        stage="closed" if closed else "intake",
                        issue_rows=[CaseIssue(issue_code=i) for i in issues])
            s.add(case)
            s.flush()
            ids.append(case.id)
            s.add(CaseStageChange(case_id=case.id, to_stage="intake", at=datetime.combine(opened, datetime.min.time(), TOKYO)))
            if closed:
                s.add(CaseStageChange(case_id=case.id, from_stage="intake", to_stage="closed", closure_reason=closed[1],
                                      at=datetime.combine(closed[0], datetime.min.time(), TOKYO) + timedelta(hours=10)))
        npo = basic.orgs["kmm-npo"]
        base = datetime(2025, 6, 1, 10, tzinfo=TOKYO)
        for case_id, state, reply_days in [(ids[0], "accepted", 2), (ids[1], "declined", 4), (ids[2], "pending", None)]:
            s.add(Referral(case_id=case_id, from_org_id=owner, to_org_id=npo, created_by_user_id=user, reason="r",
                           requested_support="s", state=state, created_at=base, reply_due=date(2025, 6, 10),
                           responded_at=base + timedelta(days=reply_days) if reply_days else None))
        council = council_row(s, municipality_id=kamakura, kind="support_meeting", secretariat_org_id=owner,
                              chair_user_id=user)
        m = Meeting(municipality_id=kamakura, council_id=council.id, kind="support_meeting", title="支援会議",
                    starts_at=datetime(2025, 7, 1, 14, tzinfo=TOKYO),
                    chair_user_id=user, organizer_org_id=owner, fiscal_year=2025, status="held",
                    window_start=datetime(2025, 6, 20, tzinfo=TOKYO), window_end=datetime(2025, 7, 15, tzinfo=TOKYO))
        s.add(m)
        s.flush()
        s.add_all([MeetingMember(meeting_id=m.id, org_id=owner),
                   AgendaItem(meeting_id=m.id, position=1, case_id=ids[0]),
                   AgendaItem(meeting_id=m.id, position=2, case_id=ids[1]),
                   AgendaItem(meeting_id=m.id, position=3, topic="地域資源の共有")])
        s.commit()
    return ids


def _internal(app, basic):
    app.config["REPORT_LEAD_ORGS"] = ["kmk-chiiki"]
    return basic.client("coord@example.jp")


def test_exact_counts_for_the_lead_department(app, basic, dataset):
    coord = _internal(app, basic)
    r = coord.get(f"/api/v1/reports/kpi?fiscal_year={FY}&audience=internal")
    assert r.status_code == 200, r.get_json()
    k = r.get_json()
    nc = k["new_consultations"]
    assert nc["total"] == 5
    assert nc["by_channel"] == {"counter": 3, "phone": 1, "chat": 1}
    assert nc["by_issue"] == {"hikikomori": 2, "h8050": 1, "poverty": 2, "housing": 1, "isolation": 1}
    assert nc["by_district"] == {"ofuna": 4, "koshigoe": 1}
    # ages at intake: 45, 35, 17, 75, unknown
    assert nc["by_age_band"] == {"40代": 1, "30代": 1, "15〜17歳": 1, "70代": 1, "不明": 1}
    assert k["multi_issue_cases"] == 2
    assert k["cases_by_stage_at_end"] == {"intake": 4, "closed": 2}  # includes the previous year's open case
    assert k["closures_by_reason"] == {"goal_achieved": 1, "moved": 1}
    assert k["average_case_duration_days"] == (61 + 234) / 2
    refs = k["referrals"]
    assert refs["by_receiving_org"] == {"NPO法人 テスト支援会": {"accepted": 1, "declined": 1, "pending": 1}}
    assert refs["median_days_to_reply"] == 3.0
    assert refs["overdue_at_end"] == 1
    assert k["meetings"] == {"held": 1, "cases_discussed": 2}
    assert k["monthly_by_channel"]["2025-05"] == {"counter": 2, "phone": 1}
    assert k["suppressed_below"] is None
    assert k["title"] == "令和7年度 実績報告" and k["municipality"]["name"] == "鎌倉市" and k["organization"] is None
    ia = k["crosstabs"]["issue_by_age_band"]
    assert [c["key"] for c in ia["columns"]] == ["15〜17歳", "30代", "40代", "70代", "不明"]
    assert dict(zip((r["key"] for r in ia["rows"]), ia["row_totals"])) == nc["by_issue"]
    assert ia["column_totals"] == [1, 1, 2, 2, 1] and ia["total"] == 7  # 延べ: two cases have two issues
    mc = k["crosstabs"]["month_by_channel"]
    assert len(mc["rows"]) == 12 and mc["total"] == 5 and mc["row_totals"][1] == 3  # 令和7年5月


def test_stage_at_the_end_of_an_earlier_period(app, basic, dataset):
    coord = _internal(app, basic)
    k = coord.get("/api/v1/reports/kpi?month=2025-05&audience=internal").get_json()
    assert k["cases_by_stage_at_end"] == {"intake": 5}  # case 1 closed only in June
    assert k["new_consultations"]["total"] == 3


def test_small_counts_are_suppressed_outside_the_lead_department(app, basic, dataset):
    sup = basic.client("super@example.jp")
    k = sup.get(f"/api/v1/reports/kpi?fiscal_year={FY}").get_json()
    assert k["suppressed_below"] == 3
    nc = k["new_consultations"]
    assert nc["total"] == 5
    # counter 3 stays; phone 1 and chat 1 are hidden
    assert nc["by_channel"] == {"counter": 3, "phone": None, "chat": None}
    # one small cell (koshigoe 1) -> the next smallest (ofuna 4) is hidden too, or 5 - 4 would reveal it
    assert nc["by_district"] == {"ofuna": None, "koshigoe": None}
    assert k["multi_issue_cases"] is None and k["meetings"]["held"] is None
    r = sup.get(f"/api/v1/reports/kpi?fiscal_year={FY}&audience=internal")
    assert r.status_code == 403


def test_filters_by_district_and_org(app, basic, dataset):
    coord = _internal(app, basic)
    k = coord.get(f"/api/v1/reports/kpi?fiscal_year={FY}&audience=internal&district=koshigoe").get_json()
    assert k["new_consultations"]["total"] == 1
    other = basic.orgs["kmm-npo"]
    k = coord.get(f"/api/v1/reports/kpi?fiscal_year={FY}&audience=internal&org_id={other}").get_json()
    assert k["new_consultations"]["total"] == 0


def test_csv_has_bom_and_japanese_labels(app, basic, dataset):
    coord = _internal(app, basic)
    r = coord.get(f"/api/v1/reports/kpi.csv?fiscal_year={FY}")
    assert r.status_code == 200 and r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == ["区分", "項目", "件数・値"]
    flat = {(a, b): c for a, b, c in rows[1:]}
    assert flat[("報告", "表題")] == "令和7年度 実績報告" and flat[("報告", "自治体")] == "鎌倉市"
    monthly = "月別・相談経路別 新規相談件数"
    assert flat[(monthly, "合計 × 窓口")] == "3"
    assert flat[(monthly, "合計 × 電話")] == "*"  # suppressed: shown as such, never as 0
    assert flat[(monthly, "令和7年5月 × 電話")] == "*" and flat[(monthly, "令和7年6月 × 電話")] == "0"
    assert flat[(monthly, "合計")] == "5"
    bands = [b for (a, b) in flat if a == "新規相談（年代別）"]
    assert bands == ["15〜17歳", "30代", "40代", "70代", "不明"]  # by lower bound


def test_pdf_report_renders_with_a_chart(app, basic, dataset, tmp_path):
    coord = _internal(app, basic)
    r = coord.get(f"/api/v1/reports/kpi.pdf?fiscal_year={FY}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pdf = tmp_path / "kpi.pdf"
    pdf.write_bytes(r.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "令和7年度 実績報告" in text and "新規相談" in text and "月別・相談経路別 新規相談件数" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "IPAex" in fonts and " no " not in fonts.split("\n", 2)[2].replace("yes yes", "")
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-gray", str(pdf), str(tmp_path / "p")], check=True)
    pgm = next(tmp_path.glob("p*.pgm")).read_bytes()
    pixels = pgm.split(b"\n", 3)[3]
    dark = sum(1 for b in pixels if b < 200)
    assert dark / len(pixels) > 0.01  # not blank: text, table and the chart's bars


def test_an_empty_period_renders_in_every_format(basic):
    c = basic.client("super@example.jp")
    for fmt in ("kpi", "kpi.csv", "kpi.xlsx", "kpi.pdf"):
        r = c.get(f"/api/v1/reports/{fmt}?month=2031-02")
        assert r.status_code == 200, (fmt, r.get_data(as_text=True)[:300])
    k = c.get("/api/v1/reports/kpi?month=2031-02").get_json()
    assert k["period"]["label"] == "令和13年2月" and k["crosstabs"]["month_by_channel"]["total"] == 0


def test_period_validation(basic):
    c = basic.client("super@example.jp")
    assert c.get("/api/v1/reports/kpi").status_code == 422
    assert c.get("/api/v1/reports/kpi?fiscal_year=2025&month=2025-05").status_code == 422
    assert c.get("/api/v1/reports/kpi?from=2025-05-01").status_code == 422
    assert c.get("/api/v1/reports/kpi?from=2025-05-01&to=2025-04-01").status_code == 422
    assert c.get("/api/v1/reports/kpi?month=2025-13").status_code == 422
    assert c.get("/api/v1/reports/kpi?from=2025-05-01&to=2025-05-31").status_code == 200
    assert basic.client("npo@example.jp").get("/api/v1/reports/kpi?fiscal_year=2025").status_code == 403


def test_receivers_with_the_same_name_are_counted_apart(app, basic, dataset):
    """Two organisations may carry the same name (two NPOs called the same in different towns): the report
    labels them with their codes instead of merging their counts under one name."""
    from caseflow.referrals.models import Referral

    twin = basic.org("kmm-npo-2", "npo", name="NPO法人 テスト支援会")
    with app.app_context():
        s = db.session()
        s.add(Referral(case_id=dataset[3], from_org_id=basic.orgs["kmk-chiiki"], to_org_id=twin,
                       created_by_user_id=basic.users["coord@example.jp"], reason="r", requested_support="s",
                       state="pending", created_at=datetime(2025, 6, 2, 10, tzinfo=TOKYO)))
        s.commit()
    refs = _internal(app, basic).get(f"/api/v1/reports/kpi?fiscal_year={FY}&audience=internal").get_json()["referrals"]
    assert refs["by_receiving_org"] == {
        "NPO法人 テスト支援会（kmm-npo）": {"accepted": 1, "declined": 1, "pending": 1},
        "NPO法人 テスト支援会（kmm-npo-2）": {"pending": 1},
    }
