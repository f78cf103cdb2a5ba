from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    case,
    func,
    literal_column,
    select,
    true,
)

from caseflow.audit.anomalies import WorkingHours, after_hours, bulk_access, denied_attempts, emergency_uses
from caseflow.audit.queries import (
    BASIS_KINDS,
    E,
    S,
    Tenant,
    _allowed,
    _dialect,
    _local,
    _names,
    action_area,
    basis_kind,
)
from caseflow.audit.verification import checkpoint_key, trusted_public_keys, verification_status
from caseflow.core import db, pdf
from caseflow.core.jpdate import format_jp_datetime


def period_summary(since: datetime, until: datetime, *, tenant: Tenant, config) -> dict:
    """The figures behind the period PDF (one municipality's events); each list is a small aggregate."""
    session = db.session()
    d = _dialect()
    in_period = [E.occurred_at >= since, E.occurred_at < until, tenant.events()]
    total, allowed, denied, flagged, users = session.execute(
        select(func.count(), func.sum(case((_allowed(E), 1), else_=0)),
               func.sum(case((E.outcome == "denied", 1), else_=0)), func.sum(case((E.flagged == true(), 1), else_=0)),
               func.count(func.distinct(E.actor_user_id))).where(*in_period)).one()
    disclosures, persons = session.execute(
        select(func.count(), func.count(func.distinct(S.person_id))).join(E, E.seq == S.event_seq)
        .where(*in_period, _allowed(E))).one()
    area = action_area(d)
    by_area = session.execute(
        select(area, func.count(), func.sum(case((E.outcome == "denied", 1), else_=0)))
        .where(*in_period).group_by(area).order_by(func.count().desc()).limit(20)).all()
    kind = basis_kind(d, S.basis)
    by_kind = session.execute(
        select(kind, func.count(), func.count(func.distinct(S.person_id))).join(E, E.seq == S.event_seq)
        .where(*in_period, _allowed(E)).group_by(kind).order_by(kind)).all()
    by_org = session.execute(
        select(E.actor_org_id, func.count(), func.count(func.distinct(E.actor_user_id)),
               func.sum(case((E.outcome == "denied", 1), else_=0)))
        .where(*in_period).group_by(E.actor_org_id).order_by(func.count().desc()).limit(30)).all()
    org_disc = dict(session.execute(
        select(E.actor_org_id, func.count(func.distinct(S.person_id))).join(S, S.event_seq == E.seq)
        .where(*in_period, _allowed(E)).group_by(E.actor_org_id)).all())
    _, _, local_day = _local(d, E.occurred_at)
    month = func.substr(local_day, literal_column("1"), literal_column("7"))
    bucket = local_day if until - since <= timedelta(days=62) else month
    timeline = session.execute(select(bucket, func.count(), func.sum(case((E.outcome == "denied", 1), else_=0)))
                               .where(*in_period).group_by(bucket).order_by(bucket)).all()
    _, orgs = _names(org_ids=[r[0] for r in by_org])
    cfg = config
    hours = WorkingHours.parse(cfg["AUDIT_WORK_START"], cfg["AUDIT_WORK_END"], cfg["AUDIT_WEEKENDS_OFF"],
                               cfg["AUDIT_HOLIDAYS"], cfg["AUDIT_NATIONAL_HOLIDAYS"])
    return {
        "since": since, "until": until,
        "totals": {"events": total, "allowed": allowed or 0, "denied": denied or 0, "flagged": flagged or 0,
                   "users": users, "disclosures": disclosures, "persons": persons},
        "by_area": [(a or "", n, dn or 0) for a, n, dn in by_area],
        "by_basis_kind": [(k or "none", n, p) for k, n, p in by_kind],
        "by_org": [(orgs.get(o, {}).get("name") or ("（組織なし）" if o is None else str(o)), n, u, org_disc.get(o, 0),
                    dn or 0) for o, n, u, dn in by_org],
        "timeline": [(b, n, dn or 0) for b, n, dn in timeline],
        "emergency": emergency_uses(since, until, tenant=tenant, limit=50),
        "denied": denied_attempts(since, until, tenant=tenant, min_count=cfg["AUDIT_DENIED_MIN"], limit=20),
        "bulk": bulk_access(since, until, tenant=tenant, persons=cfg["AUDIT_BULK_PERSONS"],
                            minutes=cfg["AUDIT_BULK_MINUTES"], limit=20),
        "after_hours": after_hours(since, until, tenant=tenant, hours=hours, limit=1),
        "verification": verification_status(checkpoint_key(cfg), trusted_public_keys(cfg)),
    }


def render_period_pdf(summary: dict, *, recipient: str, generated_at: datetime) -> bytes:

    def when(dt):
        return format_jp_datetime(dt) if dt else "—"

    def who(item):
        name = item.get("actor_name") or "（不明な利用者）"
        return f"{name}（{item.get('actor_org_name') or '—'}）"

    t = summary["totals"]
    blocks: list = [
        pdf.KeyValues([("対象期間", f"{when(summary['since'])} ～ {when(summary['until'])}"),
                       ("記録件数", f"{t['events']:,} 件（許可 {t['allowed']:,} / 拒否 {t['denied']:,}）"),
                       ("個人情報の開示", f"{t['disclosures']:,} 件（対象者 {t['persons']:,} 人）"),
                       ("要確認（フラグ付き）", f"{t['flagged']:,} 件"),
                       ("操作した利用者", f"{t['users']:,} 人")]),
        pdf.Para("この報告書は監査記録のメタデータ（誰が・いつ・どの根拠で）だけを集計したものです。"
                 "ケースの内容や本人の氏名は含みません。"),
    ]
    if summary["timeline"]:
        blocks.append(pdf.BarChart("期間中の記録件数", [b for b, _, _ in summary["timeline"]],
                                   [("全件", [n for _, n, _ in summary["timeline"]]),
                                    ("拒否", [dn for _, _, dn in summary["timeline"]])]))
    blocks += [pdf.Heading("操作の区分別件数", 2),
               pdf.Table(["区分", "件数", "うち拒否"], [[a, f"{n:,}", f"{dn:,}"] for a, n, dn in summary["by_area"]]
                        , [0.5, 0.25, 0.25]),
               pdf.Heading("法的根拠別の開示件数", 2),
               pdf.Table(["根拠", "開示件数", "対象者数"],
                         [[BASIS_KINDS.get(k, k), f"{n:,}", f"{p:,}"] for k, n, p in summary["by_basis_kind"]]
                        , [0.5, 0.25, 0.25]),
               pdf.Heading("組織別件数", 2),
               pdf.Table(["組織", "件数", "利用者数", "開示対象者数", "拒否"],
                         [[name, f"{n:,}", f"{u:,}", f"{p:,}", f"{dn:,}"] for name, n, u, p, dn in summary["by_org"]]
                        , [0.4, 0.15, 0.15, 0.15, 0.15])]
    em = summary["emergency"]
    blocks += [pdf.Heading("緊急アクセス（ブレークグラス）とレビュー状況", 2),
               pdf.Para(f"フラグ付きの記録 {em['summary']['flagged_events']:,} 件のうち、レビュー済み "
                        f"{em['summary']['reviewed']:,} 件、未レビュー {em['summary']['unreviewed']:,} 件。"),
               pdf.Table(["番号", "日時", "利用者（組織）", "操作", "レビュー"],
                         [[str(i["seq"]), when(i["occurred_at"]), who(i), i["action"],
                           "済" if i["reviewed"] else "未"] for i in em["items"]],
                         [0.1, 0.25, 0.35, 0.18, 0.12])]
    den = summary["denied"]
    blocks += [pdf.Heading(f"拒否された操作（{den['min_count']}回以上の利用者）", 2),
               pdf.Table(["利用者（組織）", "拒否回数", "最初", "最後"],
                         [[who(i), f"{i['denied']:,}", when(i["first_at"]), when(i["last_at"])] for i in den["items"]]
                        , [0.4, 0.14, 0.23, 0.23])]
    if den["failed_logins"]:
        blocks.append(pdf.Table(["ログイン失敗（アカウント）", "回数", "最初", "最後"],
                                [[i["display_name"] or "（存在しないアカウント）", f"{i['failures']:,}", when(i["first_at"]),
                                  when(i["last_at"])] for i in den["failed_logins"]], [0.4, 0.14, 0.23, 0.23]))
    bulk = summary["bulk"]
    thr = bulk["threshold"]
    blocks += [pdf.Heading(f"大量アクセス（{thr['minutes']}分間に{thr['persons']}人超）", 2),
               pdf.Table(["利用者（組織）", "開始", "終了", "最大人数", "対象者数"],
                         [[who(i), when(i["since"]), when(i["until"]), f"{i['peak_persons']:,}", f"{i['persons']:,}"]
                          for i in bulk["items"]], [0.32, 0.21, 0.21, 0.13, 0.13])]
    ah = summary["after_hours"]
    wh = ah["working_hours"]
    blocks += [pdf.Heading(f"業務時間外の個人情報アクセス（{wh['start']}～{wh['end']}以外"
                           f"{'・土日' if wh['weekends_off'] else ''}{'・休日' if wh['holidays'] else ''}）", 2),
               pdf.Table(["利用者（組織）", "件数", "対象者数", "最初", "最後"],
                         [[who(i), f"{i['events']:,}", f"{i['persons']:,}", when(i["first_at"]), when(i["last_at"])]
                          for i in ah["by_user"][:30]],
                         [0.32, 0.12, 0.12, 0.22, 0.22])]
    v = summary["verification"]
    last = v["last"]
    blocks += [pdf.Heading("ハッシュチェーンの検証", 2),
               pdf.KeyValues([("最新の記録番号", f"{v['head_seq']:,}"),
                              ("最終検証", "未実施" if last is None else
                               f"{when(last['finished_at'])}（{'正常' if last['ok'] else '異常あり'}・"
                               f"{'全件' if last['mode'] == 'full' else '差分'}・{last['checked']:,}件）"),
                              ("未検証の記録", f"{v['unverified_events']:,} 件"),
                              ("最新の封印（監査人の鍵による署名）", "なし" if not v.get("seal") else
                               f"#{v['seal']['seal_no']}（記録番号 {v['seal']['to_seq']:,} まで・"
                               f"{when(v['seal']['sealed_at'])}・鍵 {v['seal']['key_fingerprint']}）")])]
    return pdf.render_pdf(title="監査報告書（アクセス記録の点検）", blocks=blocks, recipient=recipient,
                          generated_at=generated_at, subject="caseflow audit period report")
