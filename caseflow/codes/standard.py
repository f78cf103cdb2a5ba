"""The standard code lists every deployment starts with (seeded by `caseflow db upgrade`, kept by the operator with
`caseflow codes add`). Districts are each municipality's own and are not here.

Where they come from (seed files in ``shared/seeds/``):

* ``ISSUE_CATEGORIES`` -- the managed list in DOMAIN.md, plus categories the seeds justify:
  自殺予防 (鎌倉市自殺対策計画, seed 002; 須坂市自殺予防対策連絡会議, seed 003), ひとり親 and 子育て
  (鎌倉市こども家庭相談課 in seed 002; 枚方市ひとり親家庭相談支援センター in seed 003), 家計・多重債務
  (家計改善支援事業, seed 002; 伊勢市消費生活センター, seed 003), 女性 (くまもと相談所 / 熊本どんぐり,
  Kumamoto leaflet, seed 003), 再犯防止 (鎌倉市地域福祉計画, seed 002), いじめ (府中市, seed 003).
* ``INTAKE_CHANNELS`` -- DOMAIN.md and the Kumamoto process table (seed 003, 要支援者との初期接触).
* ``CLOSURE_REASONS`` -- DOMAIN.md (終結 with a reason).
* ``CONSENT_PURPOSES`` -- what a consent may be for; each reading context counts one (caseflow.access.sharing).
* ``PROGRESS_KINDS`` -- the kinds of 支援経過記録.
* ``EVENT_KINDS`` -- the platform's events (市原市, seed 001: 官民連携モデル事業 such as 交流会 and online
  勉強会, a 市民シンポジウム, PF コアメンバーのワークショップ, 庁内の連絡会議).
"""
from __future__ import annotations

# ---------------------------------------------------------------------------
# 1. Issue categories (課題分類)
# ---------------------------------------------------------------------------

ISSUE_CATEGORIES: list[tuple[str, str]] = [
    ("hikikomori", "ひきこもり"),
    ("futoko", "不登校"),
    ("young_carer", "ヤングケアラー"),
    ("carer", "ケアラー"),
    ("h8050", "8050"),
    ("double_care", "ダブルケア"),
    ("poverty", "生活困窮"),
    ("employment", "就労"),
    ("housing", "住まい"),
    ("dv", "DV"),
    ("abuse", "虐待"),
    ("addiction", "依存症"),
    ("disability", "障害"),
    ("developmental", "発達"),
    ("mental_health", "精神保健"),
    ("elderly", "高齢"),
    ("foreign", "外国籍"),
    ("lgbtq", "性的マイノリティ"),
    ("disaster", "災害"),
    ("isolation", "孤独・孤立"),
    # justified by the seeds (see module docstring)
    ("suicide_risk", "自殺念慮・自殺予防"),
    ("single_parent", "ひとり親"),
    ("child_rearing", "子育て"),
    ("household_finance", "家計・多重債務"),
    ("women", "女性"),
    ("reoffending", "再犯防止"),
    ("bullying", "いじめ"),
]

# ---------------------------------------------------------------------------
# 2. Intake channels (受付経路)
# ---------------------------------------------------------------------------

INTAKE_CHANNELS: list[tuple[str, str]] = [
    ("counter", "窓口"),
    ("phone", "電話"),
    ("email", "メール"),
    ("chat", "LINE/チャット"),
    ("outreach", "アウトリーチ訪問"),
    ("minsei", "民生委員"),
    ("school", "学校"),
    ("agency", "他機関紹介"),
    ("self", "本人"),
    ("family", "家族"),
    ("neighbour", "近隣"),
    ("app", "相談アプリ"),  # an external app's intake API (府中市, seed 003: pupils consult through an app)
    ("other", "その他"),
]

# ---------------------------------------------------------------------------
# 3. Closure reasons (終結理由)
# ---------------------------------------------------------------------------

CLOSURE_REASONS: list[tuple[str, str]] = [
    ("goal_achieved", "支援目標の達成"),
    ("handed_over", "他機関への引継ぎ完了"),
    ("stable_monitoring", "状態安定により見守りへ移行"),
    ("declined", "本人の辞退"),
    ("moved", "転居"),
    ("deceased", "死亡"),
    ("unreachable", "連絡不能"),
    ("other", "その他"),
]

CONSENT_PURPOSES = [("support_coordination", "支援のための関係機関との情報共有"),
                    ("support_meeting", "支援会議・ケース会議での検討"),
                    ("statistics", "統計・事業評価（個人を特定しない形）")]
PROGRESS_KINDS = [("interview", "面談"), ("visit", "訪問"), ("phone", "電話"), ("meeting", "会議"),
                  ("accompany", "同行支援"), ("other", "その他")]
EVENT_KINDS = [("study", "勉強会"), ("exchange", "交流会"), ("training", "研修"), ("workshop", "ワークショップ"),
               ("symposium", "シンポジウム・講演会"), ("liaison_meeting", "連絡会議"), ("ibasho", "居場所・集いの場"),
               ("other", "その他")]
