"""The demo world: reference data used to build caseflow's demo database.

Pure data, English identifiers, Japanese values. Nothing outside caseflow/demo/ imports it: the demo (and the
benchmark generator under benchmarks/) read these lists.

Where each list comes from (seed files in ``shared/seeds/``):

* ``ISSUE_CATEGORIES``, ``INTAKE_CHANNELS``, ``CLOSURE_REASONS`` -- the product's standard lists
  (caseflow.codes.standard, which names their sources).
* ``MUNICIPALITIES`` / ``DISTRICTS_*`` -- 鎌倉市: the five 行政地域 鎌倉・腰越・深沢・大船・玉縄 (seed 002,
  「地域（鎌倉・腰越・深沢・大船・玉縄）」), population from seed 000; 熊本市: its five wards
  (中央区・東区・西区・南区・北区; the ward names are not in the seeds, they are the city's public
  administrative division), population from seed 003.
* ``ORGANIZATIONS`` -- 鎌倉市: the ten departments of the 支援会議 row of the 地域福祉計画 (seed 002,
  item 2-2-1-2), their 部 as in the 2025 行政評価シート (seed 004: 健康福祉部, こどもみらい部), the
  市社協 (seed 002), one 地域包括支援センター (seed 002 mentions the centres, the one here is a demo
  stand-in) and an audit/privacy office (demo addition). 熊本市: the ten sections of the
  孤独・孤立対策健康福祉局プロジェクトチーム with their 局/部 (seed 003, 熊本市 section), 熊本市社会福祉協議会
  (社協 is named in the leaflet feedback, seed 003), an audit office (demo addition), and all twenty
  groups of the platform leaflet 「支援団体一覧」 (seed 003, around line 2812); see the column
  mapping comment above ``KUMAMOTO_LEAFLET_MARKS``.
* 市原市 (seed 001), 須坂市・伊勢市・名張市・枚方市・府中市 (seed 003, sections 2-1 … 2-5): section 10 below --
  each city's organisations from its section, its districts where the seed names them (名張's 15 地域, 須坂's
  survey 地区, 府中's six unnamed 民生委員 地区; one unit elsewhere), its demo users; their councils and cases
  are in caseflow.demo.cities.
* ``KAMAKURA_INDICATORS`` -- 鎌倉市's 地域福祉計画 成果指標 from the 令和7年度 行政評価シート (seed 004).
* ``SUPPORT_CATEGORIES_ISE`` -- 伊勢つながりサポートリスト (seed 003, 伊勢市 section, line ~879).
* ``PEOPLE_NAMES`` / ``STREETS`` / ``DEMO_USERS`` -- invented for the demo.

All persons are invented. The name pools are common surname / given-name parts, not real
people, and no demo user or demo person is, or is meant to resemble, a real individual.
Organisation names and websites are public organisational information as printed in the seeds;
every phone number and e-mail address here is fictional (``096-000-0NNN``, ``0467-00-0NNN``,
``info@<code>.example.jp``) -- no real contact number from the seeds is copied.

Run ``python3 caseflow/demo/world.py`` for a self-check.
"""

from __future__ import annotations

from caseflow.codes.standard import CLOSURE_REASONS, INTAKE_CHANNELS, ISSUE_CATEGORIES  # noqa: F401  (the demo reads them)

# 1.-3. The standard code lists (issue categories, intake channels, closure reasons) are the product's:
# caseflow.codes.standard.

# ---------------------------------------------------------------------------
# 4. Municipalities and districts
# ---------------------------------------------------------------------------

# 鎌倉市の5行政地域 (seed 002)
DISTRICTS_KAMAKURA: list[tuple[str, str]] = [
    ("kamakura-kamakura", "鎌倉"),
    ("kamakura-koshigoe", "腰越"),
    ("kamakura-fukasawa", "深沢"),
    ("kamakura-ofuna", "大船"),
    ("kamakura-tamanawa", "玉縄"),
]

# 熊本市の5区
DISTRICTS_KUMAMOTO: list[tuple[str, str]] = [
    ("kumamoto-chuo", "中央区"),
    ("kumamoto-higashi", "東区"),
    ("kumamoto-nishi", "西区"),
    ("kumamoto-minami", "南区"),
    ("kumamoto-kita", "北区"),
]

MUNICIPALITIES: list[dict] = [
    {
        "code": "kamakura",
        "name": "鎌倉市",
        "prefecture": "神奈川県",
        "population": "約17万人",  # seed 000
        "seeds": ["000", "002", "004"],
        "districts": DISTRICTS_KAMAKURA,
        # 事務局: the lead department of 重層的支援体制整備事業 (seed 002)
        "secretariat": "kmk-fukushi-somu",
    },
    {
        "code": "kumamoto",
        "name": "熊本市",
        "prefecture": "熊本県",
        "population": "731,448人（2023年1月）",  # seed 003
        "seeds": ["003"],
        "districts": DISTRICTS_KUMAMOTO,
        # 事務局: the intermediary NPO that runs Kumamoto's private-sector-led platform (seed 003)
        "secretariat": "kmm-kvoad",
    },
]

_ALL_KAMAKURA = [code for code, _ in DISTRICTS_KAMAKURA]
_ALL_KUMAMOTO = [code for code, _ in DISTRICTS_KUMAMOTO]

_CITY_HOURS = "月曜日～金曜日 8:30～17:15（祝日・年末年始を除く）"
_KMK_SITE = "https://www.city.kamakura.kanagawa.jp/"
_KMM_SITE = "https://www.city.kumamoto.jp/"

# ---------------------------------------------------------------------------
# 5. Organisations and their directory entries
# ---------------------------------------------------------------------------


def _org(
    code: str,
    name: str,
    kind: str,
    parent: str | None,
    city: str,
    *,
    phone: str,
    fields: list[str] | None = None,
    service_area: list[str] | None = None,
    languages: list[str] | None = None,
    lgbtq: bool = False,
    eligibility: str = "",
    age_min: int | None = None,
    age_max: int | None = None,
    hours: str = "要問合せ",
    takes_consultations: bool = True,
    joint_support: bool = True,
    description: str = "",
    website: str | None = None,
) -> dict:
    """Build one organisation row (defaults only; no other logic)."""
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "parent": parent,
        "city": city,
        "directory": {
            "fields": list(fields or []),
            "languages": list(languages or []),
            "lgbtq": lgbtq,
            "eligibility": eligibility,
            "age_min": age_min,
            "age_max": age_max,
            "service_area": list(service_area or []),
            "hours": hours,
            "takes_consultations": takes_consultations,
            "joint_support": joint_support,
            "description": description,
            "website": website,
            "phone": phone,
            "email": f"info@{code}.example.jp",
        },
    }


# --- 鎌倉市 ------------------------------------------------------------------
# 支援会議 (社会福祉法106条の6) members: seed 002, item 2-2-1-2 「支援会議における多機関の協働を通じた
# 複雑化・複合化した支援ニーズへの対応」 -- 福祉総務課 生活福祉課 高齢者いきいき課 障害福祉課 こども支援課
# こども家庭相談課 青少年課 発達支援室 地域共生課 教育センター.
# Bureau (部) assignment follows seed 004 (健康福祉部 / こどもみらい部); 教育センター sits under the
# 教育委員会. Which 部 each 課 belongs to is not spelled out in the seeds (see report).

KAMAKURA_ORGANIZATIONS: list[dict] = [
    # bureaus (parents only; they do not take cases)
    _org("kmk-kenko-fukushi-bu", "鎌倉市 健康福祉部", "department", None, "kamakura",
         phone="0467-00-0100", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         takes_consultations=False, joint_support=False,
         description="福祉総務・生活福祉・高齢・障害・地域共生の各課を所管する部。", website=_KMK_SITE),
    _org("kmk-kodomo-mirai-bu", "鎌倉市 こどもみらい部", "department", None, "kamakura",
         phone="0467-00-0200", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         takes_consultations=False, joint_support=False,
         description="こども・子育て・青少年・発達支援の各課を所管する部。", website=_KMK_SITE),
    _org("kmk-kyoiku-iinkai", "鎌倉市 教育委員会", "department", None, "kamakura",
         phone="0467-00-0300", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         takes_consultations=False, joint_support=False,
         description="教育センターを所管する教育委員会事務局。", website=_KMK_SITE),
    # 支援会議 departments
    _org("kmk-fukushi-somu", "鎌倉市 健康福祉部 福祉総務課", "department", "kmk-kenko-fukushi-bu", "kamakura",
         phone="0467-00-0101", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["isolation", "hikikomori", "h8050", "poverty"],
         eligibility="鎌倉市在住の方",
         description="地域福祉計画・重層的支援体制の総括、支援会議の運営、市社協の相談体制への支援、"
                     "孤独・孤立対策官民連携プラットフォームの推進。",
         website=_KMK_SITE),
    _org("kmk-seikatsu-fukushi", "鎌倉市 健康福祉部 生活福祉課", "department", "kmk-kenko-fukushi-bu", "kamakura",
         phone="0467-00-0102", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["poverty", "household_finance", "housing", "employment", "hikikomori", "reoffending"],
         eligibility="鎌倉市在住の方",
         description="生活保護・生活困窮者自立支援（家計改善・就労準備・居住支援）、ひきこもり相談、"
                     "民生委員児童委員活動の支援、再犯防止。",
         website=_KMK_SITE),
    _org("kmk-korei-ikiiki", "鎌倉市 健康福祉部 高齢者いきいき課", "department", "kmk-kenko-fukushi-bu", "kamakura",
         phone="0467-00-0103", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["elderly", "double_care", "carer", "h8050"],
         eligibility="65歳以上の市民とその家族", age_min=65,
         description="高齢者の総合的な相談支援、見守り登録、外出支援、ダブルケア対策の情報提供。",
         website=_KMK_SITE),
    _org("kmk-shogai-fukushi", "鎌倉市 健康福祉部 障害福祉課", "department", "kmk-kenko-fukushi-bu", "kamakura",
         phone="0467-00-0104", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["disability", "employment", "mental_health"],
         eligibility="障害のある方とその家族",
         description="障害者の相談窓口、障害福祉サービス、障害者支援協議会を通じた関係機関連携、就労支援。",
         website=_KMK_SITE),
    _org("kmk-chiiki-kyosei", "鎌倉市 健康福祉部 地域共生課", "department", "kmk-kenko-fukushi-bu", "kamakura",
         phone="0467-00-0105", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["isolation", "carer", "double_care", "dv", "h8050", "lgbtq"],
         eligibility="鎌倉市在住の方（年齢・分野を問わない）",
         description="福祉総合相談窓口（くらしと福祉の相談窓口）、重層的支援体制整備事業の相談支援包括化、"
                     "DV相談、ダブルケア・ケアラー支援、共生社会の推進。",
         website=_KMK_SITE),
    _org("kmk-kodomo-shien", "鎌倉市 こどもみらい部 こども支援課", "department", "kmk-kodomo-mirai-bu", "kamakura",
         phone="0467-00-0201", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["child_rearing", "young_carer"],
         eligibility="子育て中の家庭", age_max=17,
         description="子育てに関する相談窓口と情報提供、協働による子育て支援ネットワーク、ヤングケアラー支援。",
         website=_KMK_SITE),
    _org("kmk-kodomo-katei-sodan", "鎌倉市 こどもみらい部 こども家庭相談課", "department", "kmk-kodomo-mirai-bu",
         "kamakura",
         phone="0467-00-0202", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["abuse", "single_parent", "child_rearing", "poverty", "young_carer"],
         eligibility="18歳未満のこどもとその家庭、ひとり親家庭", age_max=17,
         description="こども家庭相談（虐待対応を含む）、ひとり親家庭の相談、こどもの貧困対策、子育て支援センターの運営。",
         website=_KMK_SITE),
    _org("kmk-seishonen", "鎌倉市 こどもみらい部 青少年課", "department", "kmk-kodomo-mirai-bu", "kamakura",
         phone="0467-00-0203", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["young_carer", "carer", "isolation", "futoko"],
         eligibility="こども・若者とその家族",
         description="こども・若者の安心安全な生活環境の確保、ケアラー・ヤングケアラー・若者ケアラーの居場所の提供、"
                     "放課後かまくらっ子。",
         website=_KMK_SITE),
    _org("kmk-hattatsu-shien", "鎌倉市 こどもみらい部 発達支援室", "department", "kmk-kodomo-mirai-bu", "kamakura",
         phone="0467-00-0204", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["developmental", "disability"],
         eligibility="発達に心配のあるこどもとその家族", age_max=17,
         description="発達の相談支援窓口、早期療育に向けた支援体制、発達支援サポートシステムのサポーター養成。",
         website=_KMK_SITE),
    _org("kmk-kyoiku-center", "鎌倉市 教育委員会 教育センター", "department", "kmk-kyoiku-iinkai", "kamakura",
         phone="0467-00-0301", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["futoko", "bullying", "young_carer", "developmental"],
         eligibility="市立小・中学校の児童生徒とその保護者", age_min=6, age_max=15,
         description="教育相談、不登校児童生徒への支援、スクールソーシャルワーカーの配置。",
         website=_KMK_SITE),
    # 社協, 地域包括支援センター
    _org("kmk-shakyo", "社会福祉法人 鎌倉市社会福祉協議会", "shakyo", None, "kamakura",
         phone="0467-00-0401", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         fields=["isolation", "poverty", "household_finance", "elderly", "disability"],
         eligibility="どなたでも",
         description="なんでも相談窓口、日常生活自立支援事業、生活福祉資金の貸付相談、ボランティアセンター、"
                     "地区社協の支援。"),
    _org("kmk-hokatsu-ofuna", "鎌倉市 大船地域包括支援センター", "care_center", None, "kamakura",
         phone="0467-00-0402", service_area=["kamakura-ofuna"], hours=_CITY_HOURS,
         fields=["elderly", "carer", "abuse", "h8050"],
         eligibility="大船地域にお住まいの65歳以上の方とその家族", age_min=65,
         description="高齢者の総合相談、介護予防ケアマネジメント、権利擁護（高齢者虐待対応）、民生委員との連携。"),
    # audit / privacy office (demo addition; auditor role)
    _org("kmk-audit", "鎌倉市 監査・個人情報保護担当", "department", None, "kamakura",
         phone="0467-00-0901", service_area=_ALL_KAMAKURA, hours=_CITY_HOURS,
         takes_consultations=False, joint_support=False,
         description="個人情報の閲覧・提供記録の監査（ケース内容は閲覧しない）。"),
]

# --- 熊本市: internal sections ------------------------------------------------
# 孤独・孤立対策健康福祉局プロジェクトチーム構成員（令和3年度時点, seed 003）:
#   健康福祉局 > 福祉部: 健康福祉政策課, 高齢福祉課
#              > 障がい者支援部: 障がい保健福祉課, 精神保健福祉室, こころの健康センター
#              > 子ども未来部: 子ども政策課, 保育幼稚園課, 子ども若者総合相談センター
#              > 保健衛生部: 健康づくり推進課, 国保年金課

KUMAMOTO_DEPARTMENTS: list[dict] = [
    _org("kmm-kenko-fukushi-kyoku", "熊本市 健康福祉局", "department", None, "kumamoto",
         phone="096-000-0100", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         takes_consultations=False, joint_support=False,
         description="孤独・孤立対策健康福祉局プロジェクトチームを置く局。", website=_KMM_SITE),
    _org("kmm-fukushi-bu", "熊本市 健康福祉局 福祉部", "department", "kmm-kenko-fukushi-kyoku", "kumamoto",
         phone="096-000-0110", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         takes_consultations=False, joint_support=False, website=_KMM_SITE),
    _org("kmm-shogaisha-shien-bu", "熊本市 健康福祉局 障がい者支援部", "department", "kmm-kenko-fukushi-kyoku",
         "kumamoto",
         phone="096-000-0120", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         takes_consultations=False, joint_support=False, website=_KMM_SITE),
    _org("kmm-kodomo-mirai-bu", "熊本市 健康福祉局 子ども未来部", "department", "kmm-kenko-fukushi-kyoku", "kumamoto",
         phone="096-000-0130", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         takes_consultations=False, joint_support=False, website=_KMM_SITE),
    _org("kmm-hoken-eisei-bu", "熊本市 健康福祉局 保健衛生部", "department", "kmm-kenko-fukushi-kyoku", "kumamoto",
         phone="096-000-0140", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         takes_consultations=False, joint_support=False, website=_KMM_SITE),
    # the ten sections
    _org("kmm-kenko-fukushi-seisaku", "熊本市 健康福祉局 福祉部 健康福祉政策課", "department", "kmm-fukushi-bu",
         "kumamoto",
         phone="096-000-0111", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["isolation", "poverty", "disaster"],
         eligibility="熊本市在住の方",
         description="孤独・孤立対策の主担当。庁内プロジェクトチームの取りまとめ、官民連携プラットフォームの庁内窓口、"
                     "火の国会議への参加。",
         website=_KMM_SITE),
    _org("kmm-korei-fukushi", "熊本市 健康福祉局 福祉部 高齢福祉課", "department", "kmm-fukushi-bu", "kumamoto",
         phone="096-000-0112", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["elderly", "carer", "h8050"],
         eligibility="高齢者とその家族", age_min=65,
         description="高齢者福祉施策、地域包括支援センターとの連携、介護する家族への支援。",
         website=_KMM_SITE),
    _org("kmm-shogai-hoken-fukushi", "熊本市 健康福祉局 障がい者支援部 障がい保健福祉課", "department",
         "kmm-shogaisha-shien-bu", "kumamoto",
         phone="096-000-0121", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["disability", "developmental", "employment"],
         eligibility="障がいのある方とその家族",
         description="障がい福祉サービス、障がい者の相談支援と社会参加の推進。",
         website=_KMM_SITE),
    _org("kmm-seishin-hoken-fukushi", "熊本市 健康福祉局 障がい者支援部 精神保健福祉室", "department",
         "kmm-shogaisha-shien-bu", "kumamoto",
         phone="096-000-0122", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["mental_health", "addiction", "hikikomori", "suicide_risk"],
         eligibility="熊本市在住の方",
         description="精神保健福祉の相談、依存症・ひきこもりに関する支援、自殺対策。",
         website=_KMM_SITE),
    _org("kmm-kokoro-center", "熊本市 健康福祉局 障がい者支援部 こころの健康センター", "department",
         "kmm-shogaisha-shien-bu", "kumamoto",
         phone="096-000-0123", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["mental_health", "suicide_risk", "addiction", "hikikomori"],
         eligibility="本人・家族・支援者",
         description="こころの健康に関する専門相談、依存症相談、ひきこもり相談、自死遺族支援。",
         website=_KMM_SITE),
    _org("kmm-kodomo-seisaku", "熊本市 健康福祉局 子ども未来部 子ども政策課", "department", "kmm-kodomo-mirai-bu",
         "kumamoto",
         phone="096-000-0131", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["child_rearing", "single_parent", "young_carer", "poverty"],
         eligibility="子どもと子育て家庭", age_max=17,
         description="子ども・子育て施策の企画、子どもの貧困対策、ヤングケアラー支援。",
         website=_KMM_SITE),
    _org("kmm-hoiku-yochien", "熊本市 健康福祉局 子ども未来部 保育幼稚園課", "department", "kmm-kodomo-mirai-bu",
         "kumamoto",
         phone="096-000-0132", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["child_rearing", "double_care"],
         eligibility="就学前の子どもと保護者", age_max=6,
         description="保育所・幼稚園等の利用に関する相談と調整。",
         website=_KMM_SITE),
    _org("kmm-kodomo-wakamono-sodan", "熊本市 健康福祉局 子ども未来部 子ども若者総合相談センター", "department",
         "kmm-kodomo-mirai-bu", "kumamoto",
         phone="096-000-0133", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["futoko", "hikikomori", "young_carer", "bullying", "child_rearing"],
         eligibility="子ども・若者（概ね39歳まで）とその家族", age_max=39,
         description="子ども・若者の総合相談（不登校・ひきこもり・いじめ・家庭の悩み等）、関係機関へのつなぎ。",
         website=_KMM_SITE),
    _org("kmm-kenko-zukuri", "熊本市 健康福祉局 保健衛生部 健康づくり推進課", "department", "kmm-hoken-eisei-bu",
         "kumamoto",
         phone="096-000-0141", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["mental_health", "isolation"],
         eligibility="熊本市在住の方",
         description="健康づくり・保健指導、こころの健康づくりの普及啓発。",
         website=_KMM_SITE),
    _org("kmm-kokuho-nenkin", "熊本市 健康福祉局 保健衛生部 国保年金課", "department", "kmm-hoken-eisei-bu",
         "kumamoto",
         phone="096-000-0142", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["poverty", "household_finance"],
         eligibility="国民健康保険・国民年金の加入者",
         description="国民健康保険・国民年金の手続きと保険料の納付相談（生活困窮の早期発見の窓口）。",
         website=_KMM_SITE),
    # 社協 (named in the leaflet feedback: 「日常では社協や民生委員、市役所の組織だった働きが必要」)
    _org("kmm-shakyo", "社会福祉法人 熊本市社会福祉協議会", "shakyo", None, "kumamoto",
         phone="096-000-0401", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         fields=["isolation", "poverty", "household_finance", "elderly", "disaster"],
         eligibility="どなたでも",
         description="校区社協による地域の見守り、生活福祉資金の貸付相談、日常生活自立支援事業、ボランティアセンター。"),
    # audit / privacy office (demo addition, so each city has an auditor)
    _org("kmm-audit", "熊本市 監査・個人情報保護担当", "department", None, "kumamoto",
         phone="096-000-0901", service_area=_ALL_KUMAMOTO, hours=_CITY_HOURS,
         takes_consultations=False, joint_support=False,
         description="個人情報の閲覧・提供記録の監査（ケース内容は閲覧しない）。"),
]

# --- 熊本市: the platform leaflet 「支援団体一覧」 (seed 003, lines ~2812-2832) ----------------
#
# How the leaflet's columns map onto the directory (derived from the header row
# 「団体名 / ホームページ 連絡先 / 受付時間等 | 支援・活動内容 | 活動分野 | 外国語 | LGBT」):
#
# * Column 1 (name, homepage, contact, hours). The circled digits ①..④ that appear *here*
#   (e.g. 「①10:00～19:00」, 「①Info@kvoad.com ②随時」, 「③office@bulby.net ④随時」) are OCR
#   renderings of the leaflet's contact icons (mail / phone / clock); they are used
#   inconsistently (① precedes opening hours in one row and an e-mail address in another), so
#   they carry no category meaning and are dropped. Hours are copied without them. Real
#   phone numbers and e-mail addresses are NOT copied (fictional ones are used instead).
# * Column 2 支援・活動内容 -> ``description`` (briefly paraphrased).
# * Column 3 活動分野 -> ``fields``. Only three rows carry marks: 熊本県子ども食堂ネットワーク ①②,
#   くまもと相談所 ③④, 熊本ダルク ⑤. The legend under the table is OCR-garbled (all five lines
#   read 「外国人のための相談」, which cannot be right: ⑤ is on an addiction rehabilitation
#   centre). Read back from the rows that carry them, the marks are consistent with
#   ①子ども ②高齢者（多世代） ③女性 ④DV ⑤依存症 -- an inference, not a transcription. Since most
#   rows have no legible mark, ``fields`` are derived from each group's activity description,
#   and agree with that inferred reading where a mark exists.
# * Column 4 外国語 (○ = 外国語対応可) -> ``languages``. Two rows have ○: KVOAD (annotated "ENG")
#   -> ["en"]; コムスタカ (no language named) -> ["en"] as a placeholder.
# * Column 5 LGBT (○ = 性的マイノリティに関する専門性・対応あり) -> ``lgbtq``. Taken as printed (ten
#   rows), with two corrections: KVOAD's column-5 cell reads "ENG", i.e. the language note
#   shifted one column in OCR -> lgbtq False; 熊本YWCAからふるペース has no ○ but is described as
#   an LGBTQ+ safe space -> lgbtq True.
# * 協同支援の可否: the leaflet has NO such column (in seed 003 the phrase only occurs in the
#   鳥取県 section). ``joint_support`` is a demo derivation: True for the four core groups
#   (コア団体: KVOAD, でんでん虫の会, minori, バルビー -- seed 003) and for groups whose description
#   says they work with or connect to other agencies (連携 / つなぐ); False otherwise.
# * ``takes_consultations``: False where the leaflet says 「※相談はしていません」 (くまにじ) or the
#   activity is only meetings / a 居場所 / peer group; True otherwise.
# * ``kind``: 特定非営利活動法人 / NPO法人 -> npo, 一般社団法人 -> association, 社会福祉法人 ->
#   welfare_corporation, otherwise (任意団体, 生活協同組合) -> other.
# * Names and URLs are kept as printed in the seed, which is an OCR text: several look garbled
#   (e.g. 「からふるペース」, 「とにもろく」, kumamiji.jmdfree.com, www.geencoop.or.jp); they are not
#   "corrected" here because the correct spelling cannot be confirmed from the seeds.
# * service_area: all five wards (the leaflet is city-wide).

# Raw cells of columns 3-5 as printed in seed 003 (活動分野, 外国語, LGBT), for traceability.
KUMAMOTO_LEAFLET_MARKS: dict[str, tuple[str, str, str]] = {
    "kmm-lgbt-family": ("", "", "○"),
    "kmm-hohoemi": ("", "", ""),
    "kmm-ywca-colorful": ("", "", ""),
    "kmm-kodomo-shokudo-net": ("①②", "", ""),
    "kmm-kvoad": ("", "○", "ENG"),
    "kmm-kumamoto-sodanjo": ("③④", "", ""),
    "kmm-darc": ("⑤", "", ""),
    "kmm-donguri": ("", "", ""),
    "kmm-kumaniji": ("", "", "○"),
    "kmm-keicho-net": ("", "", ""),
    "kmm-frens": ("", "", "○"),
    "kmm-greencoop-shelter": ("", "", ""),
    "kmm-greencoop-saisei": ("", "", "○"),
    "kmm-kumustaka": ("", "○", "○"),
    "kmm-dekoboko": ("", "", "○"),
    "kmm-denden": ("", "", ""),
    "kmm-tonimoroku": ("", "", "○"),
    "kmm-bulby": ("", "", "○"),
    "kmm-bigissue": ("", "", "○"),
    "kmm-minori": ("", "", "○"),
}

# コア団体 of the platform (seed 003: 「コア団体(KVOAD、でんでん虫の会、minori、バルビー)」).
KUMAMOTO_CORE_GROUPS: list[str] = ["kmm-kvoad", "kmm-denden", "kmm-minori", "kmm-bulby"]

# Platform secretariat (事務局): KVOAD (seed 003: 「KVOAD が民間主導の PF 事務局を担う予定」).
KUMAMOTO_SECRETARIAT = "kmm-kvoad"

KUMAMOTO_LEAFLET_GROUPS: list[dict] = [
    _org("kmm-lgbt-family", "NPO法人 LGBTの家族と友人をつなぐ会", "npo", None, "kumamoto",
         phone="096-000-0501", service_area=_ALL_KUMAMOTO,
         fields=["lgbtq"], lgbtq=True,
         eligibility="LGBTの家族・友人",
         takes_consultations=False, joint_support=False,
         description="LGBTの家族や友人による会。ミーティングを開催（福岡で活動）。",
         website="http://lgbt-family.or.jp/"),
    _org("kmm-hohoemi", "NPO法人 自立生活支援熊本ほほえみの会", "npo", None, "kumamoto",
         phone="096-000-0502", service_area=_ALL_KUMAMOTO,
         fields=["housing", "employment", "poverty"],
         hours="10:00～19:00（土日祝を除く）",
         joint_support=False,
         description="自立住宅支援、就労支援、生活相談支援。LINE相談も可。",
         website="https://kumamotohohoehi.hp.peraich.com/"),
    _org("kmm-ywca-colorful", "NPO法人 熊本YWCAからふるペース", "npo", None, "kumamoto",
         phone="096-000-0503", service_area=_ALL_KUMAMOTO,
         fields=["lgbtq", "isolation"], lgbtq=True,
         eligibility="10～30代のLGBTQ+（かもしれない人を含む）", age_min=10, age_max=39,
         takes_consultations=False, joint_support=False,
         description="10～30代のLGBTQ+が集まることのできるセーフスペース。",
         website="https://kumamoto-ywca.jmdfree.com/"),
    _org("kmm-kodomo-shokudo-net", "一般社団法人 熊本県子ども食堂ネットワーク", "association", None, "kumamoto",
         phone="096-000-0504", service_area=_ALL_KUMAMOTO,
         fields=["child_rearing", "elderly", "isolation"],
         eligibility="子どもから高齢者まで",
         takes_consultations=False, joint_support=True,
         description="子どもから高齢者まで多世代が交流する場。困りごとがあれば行政や専門機関につなぐ。",
         website="https://kumamoto-ks.com/"),
    _org("kmm-kvoad", "特定非営利活動法人 くまもと災害ボランティア団体ネットワーク（KVOAD）", "npo", None, "kumamoto",
         phone="096-000-0505", service_area=_ALL_KUMAMOTO,
         fields=["disaster", "isolation"], languages=["en"],
         hours="随時",
         joint_support=True,
         description="災害支援と持続可能な復旧・復興のコーディネート、関係団体の連携強化・人材育成・情報共有、"
                     "火の国会議の運営。孤独・孤立対策官民連携プラットフォームの事務局。",
         website="https://www.kvoad.com/"),
    _org("kmm-kumamoto-sodanjo", "NPO法人 くまもと相談所", "npo", None, "kumamoto",
         phone="096-000-0506", service_area=_ALL_KUMAMOTO,
         fields=["women", "dv"],
         eligibility="女性",
         hours="平日 9:00～17:00、土曜日 10:00～15:00",
         joint_support=True,
         description="女性が抱える様々な問題の相談。関係機関と連携して安心安全な生活をめざす。",
         website="https://kuma2soudan.main.jp/index.html"),
    _org("kmm-darc", "NPO法人 熊本ダルク", "npo", None, "kumamoto",
         phone="096-000-0507", service_area=_ALL_KUMAMOTO,
         fields=["addiction"],
         eligibility="依存症のある方とその家族",
         joint_support=False,
         description="依存症リハビリテーションの通所施設。",
         website="https://kumamotodarq.wordpress.com/"),
    _org("kmm-donguri", "NPO法人 熊本どんぐり", "npo", None, "kumamoto",
         phone="096-000-0508", service_area=_ALL_KUMAMOTO,
         fields=["women", "child_rearing"],
         eligibility="女性と子ども",
         joint_support=False,
         description="さまざまな事情を抱えた女性と子どもが問題を乗り越え、より良く暮らせるよう手伝う。",
         website="https://blog.campan.info/kumamotodonguri/index2.html"),
    _org("kmm-kumaniji", "くまにじ", "other", None, "kumamoto",
         phone="096-000-0509", service_area=_ALL_KUMAMOTO,
         fields=["lgbtq"], lgbtq=True,
         hours="随時",
         takes_consultations=False, joint_support=False,
         description="セクシュアルマイノリティにとっても住みやすい熊本をめざすグループ。公開学習会、自治体・教育機関への"
                     "LGBT研修など（相談は受けていない）。",
         website="https://kumamiji.jmdfree.com/"),
    _org("kmm-keicho-net", "NPO法人 傾聴ネットキーステーション", "npo", None, "kumamoto",
         phone="096-000-0510", service_area=_ALL_KUMAMOTO,
         fields=["isolation"],
         joint_support=False,
         description="傾聴カフェの開催。",
         website="https://keiyounet7.wixsite.com/info"),
    _org("kmm-frens", "FRENS", "other", None, "kumamoto",
         phone="096-000-0511", service_area=_ALL_KUMAMOTO,
         fields=["lgbtq", "isolation"], lgbtq=True,
         eligibility="24歳以下の人とそのまわりの人", age_max=24,
         hours="電話相談（フレンズライン）日曜日 17:00～21:00（12/30～1/5を除く）",
         joint_support=False,
         description="24歳以下のLGBTの子ども・若者のサポート。居場所づくり、啓発、相談支援、情報発信。",
         website="http://www.frensigbt.com/"),
    _org("kmm-greencoop-shelter", "社会福祉法人 グリーンコープ", "welfare_corporation", None, "kumamoto",
         phone="096-000-0512", service_area=_ALL_KUMAMOTO,
         fields=["housing", "dv"],
         hours="要問合せ（連絡先は調整中）",
         joint_support=False,
         description="シェルター支援。"),
    _org("kmm-greencoop-saisei", "グリーンコープ生活協同組合くまもと 生活再生相談室", "other", None, "kumamoto",
         phone="096-000-0513", service_area=_ALL_KUMAMOTO,
         fields=["poverty", "household_finance"], lgbtq=True,
         hours="月～土曜日、第3土曜日 9:30～18:00",
         joint_support=False,
         description="生活再生相談事業（家計・債務の相談）。",
         website="https://www.geencoop.or.jp/sai/sei/"),
    _org("kmm-kumustaka", "コムスタカ 外国人と共に生きる会", "other", None, "kumamoto",
         phone="096-000-0514", service_area=_ALL_KUMAMOTO,
         fields=["foreign"], languages=["en"], lgbtq=True,
         eligibility="外国籍住民",
         joint_support=False,
         description="外国籍住民が抱える様々な問題を、地域みんなの問題として理解してもらうための活動。",
         website="http://www.kumustaka.org/"),
    _org("kmm-dekoboko", "特定非営利活動法人 凸凹ライフデザイン", "npo", None, "kumamoto",
         phone="096-000-0515", service_area=_ALL_KUMAMOTO,
         fields=["developmental", "disability"], lgbtq=True,
         eligibility="発達障害の当事者",
         takes_consultations=False, joint_support=False,
         description="発達障害当事者の権利が尊重されるよう活動。当事者が主体となり定例会を開催。",
         website="http://unevenpo.wixsite.com/dicoboco"),
    _org("kmm-denden", "NPO法人 でんでん虫の会", "npo", None, "kumamoto",
         phone="096-000-0516", service_area=_ALL_KUMAMOTO,
         fields=["isolation", "poverty", "elderly"],
         eligibility="ひとり暮らしの方",
         joint_support=True,
         description="ひとり暮らしの方への安否確認や相談活動で孤立を防ぎ、社会参加・相互交流の機会をつくる地域づくり。",
         website="https://denden4.org/"),
    _org("kmm-tonimoroku", "とにもろくLGBTQ+の会くまもと", "other", None, "kumamoto",
         phone="096-000-0517", service_area=_ALL_KUMAMOTO,
         fields=["lgbtq"], lgbtq=True,
         hours="平日 9:00～17:00、土曜日 10:00～15:00",
         joint_support=False,
         description="性的少数者への差別や偏見をなくし、自分らしく生きられるよう支援するグループ。交流会、啓発活動。",
         website="https://ameblo.jp/2013shakuka/"),
    _org("kmm-bulby", "特定非営利活動法人 バルビー", "npo", None, "kumamoto",
         phone="096-000-0518", service_area=_ALL_KUMAMOTO,
         fields=["disaster", "isolation"], lgbtq=True,
         hours="随時",
         joint_support=True,
         description="コミュニティ構築支援、災害緊急支援、長期復興支援。他団体との連携で個別ニーズにも対応。",
         website="https://bulby.net/"),
    _org("kmm-bigissue", "ビッグイシューくまもとチーム", "other", None, "kumamoto",
         phone="096-000-0519", service_area=_ALL_KUMAMOTO,
         fields=["poverty", "employment", "housing"], lgbtq=True,
         eligibility="生活困窮の当事者",
         joint_support=True,
         description="生活困窮の当事者による雑誌ビッグイシュー販売のサポートを中心に、就労支援・相談を行う他団体と"
                     "連携した包括的相談支援。",
         website="https://bg-kuma-new.seesaa.net/"),
    _org("kmm-minori", "一般社団法人 minori", "association", None, "kumamoto",
         phone="096-000-0520", service_area=_ALL_KUMAMOTO,
         fields=["poverty", "housing", "isolation"], lgbtq=True,
         hours="随時",
         joint_support=True,
         description="生活困窮者支援、シェルター相談など制度の狭間にある方の相談。",
         website="https://minori.main.jp/"),
]

ORGANIZATIONS: list[dict] = KAMAKURA_ORGANIZATIONS + KUMAMOTO_DEPARTMENTS + KUMAMOTO_LEAFLET_GROUPS

# ---------------------------------------------------------------------------
# 6. Name pools (invented persons are built from these parts)
# ---------------------------------------------------------------------------

SURNAMES: list[tuple[str, str]] = [
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
    ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"),
    ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
    ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"),
    ("石川", "イシカワ"), ("山下", "ヤマシタ"), ("中島", "ナカジマ"), ("石井", "イシイ"), ("小川", "オガワ"),
    ("前田", "マエダ"), ("岡田", "オカダ"), ("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"),
    ("近藤", "コンドウ"), ("村上", "ムラカミ"), ("遠藤", "エンドウ"), ("青木", "アオキ"), ("坂本", "サカモト"),
    ("斉藤", "サイトウ"), ("福田", "フクダ"), ("太田", "オオタ"), ("西村", "ニシムラ"), ("藤井", "フジイ"),
    ("金子", "カネコ"), ("岡本", "オカモト"), ("藤原", "フジワラ"), ("中野", "ナカノ"), ("三浦", "ミウラ"),
    ("原田", "ハラダ"), ("中川", "ナカガワ"), ("松田", "マツダ"), ("竹内", "タケウチ"), ("小野", "オノ"),
    ("田村", "タムラ"), ("中山", "ナカヤマ"), ("和田", "ワダ"), ("石田", "イシダ"), ("森田", "モリタ"),
    ("上田", "ウエダ"), ("原", "ハラ"), ("内田", "ウチダ"), ("柴田", "シバタ"), ("酒井", "サカイ"),
    ("宮崎", "ミヤザキ"), ("横山", "ヨコヤマ"), ("高木", "タカギ"), ("安藤", "アンドウ"), ("宮本", "ミヤモト"),
    ("大野", "オオノ"), ("小島", "コジマ"), ("工藤", "クドウ"), ("谷口", "タニグチ"), ("今井", "イマイ"),
    ("丸山", "マルヤマ"), ("増田", "マスダ"), ("杉山", "スギヤマ"), ("村田", "ムラタ"), ("大塚", "オオツカ"),
    ("平野", "ヒラノ"), ("松井", "マツイ"), ("菅原", "スガワラ"), ("野口", "ノグチ"), ("荒木", "アラキ"),
    ("緒方", "オガタ"), ("坂口", "サカグチ"), ("吉村", "ヨシムラ"),
]

GIVEN_NAMES_F: list[tuple[str, str]] = [
    ("花子", "ハナコ"), ("陽子", "ヨウコ"), ("恵子", "ケイコ"), ("京子", "キョウコ"), ("幸子", "サチコ"),
    ("和子", "カズコ"), ("節子", "セツコ"), ("文子", "フミコ"), ("千代子", "チヨコ"), ("敏子", "トシコ"),
    ("悦子", "エツコ"), ("光子", "ミツコ"), ("良子", "ヨシコ"), ("紀子", "ノリコ"), ("早苗", "サナエ"),
    ("裕子", "ユウコ"), ("智子", "トモコ"), ("由美子", "ユミコ"), ("久美子", "クミコ"), ("明美", "アケミ"),
    ("真由美", "マユミ"), ("直美", "ナオミ"), ("美穂", "ミホ"), ("香織", "カオリ"), ("里美", "サトミ"),
    ("沙織", "サオリ"), ("麻衣", "マイ"), ("恵美", "エミ"), ("美紀", "ミキ"), ("美和", "ミワ"),
    ("真理子", "マリコ"), ("佳奈", "カナ"), ("亜紀", "アキ"), ("菜々子", "ナナコ"), ("詩織", "シオリ"),
    ("美咲", "ミサキ"), ("陽菜", "ヒナ"), ("結衣", "ユイ"), ("さくら", "サクラ"), ("愛", "アイ"),
    ("彩", "アヤ"), ("芽衣", "メイ"), ("春香", "ハルカ"), ("結菜", "ユイナ"), ("莉子", "リコ"),
    ("彩花", "アヤカ"), ("美月", "ミツキ"), ("朱里", "アカリ"), ("心春", "コハル"), ("紬", "ツムギ"),
    ("澪", "ミオ"), ("杏", "アン"),
]

GIVEN_NAMES_M: list[tuple[str, str]] = [
    ("太郎", "タロウ"), ("一郎", "イチロウ"), ("健太", "ケンタ"), ("翔太", "ショウタ"), ("大輔", "ダイスケ"),
    ("拓也", "タクヤ"), ("直樹", "ナオキ"), ("浩", "ヒロシ"), ("誠", "マコト"), ("隆", "タカシ"),
    ("茂", "シゲル"), ("勇", "イサム"), ("清", "キヨシ"), ("博", "ヒロシ"), ("正", "タダシ"),
    ("和夫", "カズオ"), ("幸雄", "ユキオ"), ("秀樹", "ヒデキ"), ("健一", "ケンイチ"), ("修", "オサム"),
    ("剛", "ツヨシ"), ("亮", "リョウ"), ("智也", "トモヤ"), ("和也", "カズヤ"), ("雄一", "ユウイチ"),
    ("康弘", "ヤスヒロ"), ("義男", "ヨシオ"), ("達也", "タツヤ"), ("浩二", "コウジ"), ("雅人", "マサト"),
    ("俊介", "シュンスケ"), ("健二", "ケンジ"), ("哲也", "テツヤ"), ("信夫", "ノブオ"), ("武", "タケシ"),
    ("正樹", "マサキ"), ("悠斗", "ユウト"), ("蓮", "レン"), ("陽翔", "ハルト"), ("湊", "ミナト"),
    ("大翔", "ヒロト"), ("悠真", "ユウマ"), ("颯太", "ソウタ"), ("樹", "イツキ"), ("航", "ワタル"),
    ("大和", "ヤマト"), ("陸", "リク"), ("朝陽", "アサヒ"), ("匠", "タクミ"), ("拓海", "タクミ"),
    ("健太郎", "ケンタロウ"),
]

# Names commonly given regardless of gender (for persons recorded as その他/無回答, or any).
GIVEN_NAMES_X: list[tuple[str, str]] = [
    ("晶", "アキラ"), ("薫", "カオル"), ("翼", "ツバサ"), ("光", "ヒカル"), ("渚", "ナギサ"),
    ("真琴", "マコト"), ("瑞希", "ミズキ"), ("千尋", "チヒロ"), ("優", "ユウ"), ("歩", "アユム"),
    ("望", "ノゾミ"), ("司", "ツカサ"), ("忍", "シノブ"), ("純", "ジュン"), ("響", "ヒビキ"),
    ("葵", "アオイ"), ("陽", "ヒナタ"), ("凛", "リン"), ("泉", "イズミ"), ("玲", "レイ"),
    ("真澄", "マスミ"), ("晴", "ハル"), ("空", "ソラ"), ("青葉", "アオバ"), ("遥", "ハルカ"),
    ("楓", "カエデ"), ("瑞穂", "ミズホ"), ("夏希", "ナツキ"), ("千秋", "チアキ"), ("珠希", "タマキ"),
    ("和希", "カズキ"), ("悠", "ユウ"), ("蒼", "アオイ"), ("睦", "ムツミ"), ("理央", "リオ"),
    ("真央", "マオ"), ("奏", "カナデ"), ("律", "リツ"), ("唯", "ユイ"), ("環", "タマキ"),
    ("紫音", "シオン"), ("一葉", "カズハ"), ("灯", "アカリ"), ("日向", "ヒナタ"), ("彼方", "カナタ"),
    ("朔", "サク"), ("伊織", "イオリ"), ("雪", "ユキ"), ("真尋", "マヒロ"), ("千里", "チサト"),
    ("七瀬", "ナナセ"), ("碧", "アオイ"), ("涼", "リョウ"),
]

PEOPLE_NAMES: dict[str, list[tuple[str, str]]] = {
    "surnames": SURNAMES,
    "given_f": GIVEN_NAMES_F,
    "given_m": GIVEN_NAMES_M,
    "given_x": GIVEN_NAMES_X,
}

# ---------------------------------------------------------------------------
# 7. Street fragments per district (町名 + 丁目; the generator adds fictional block numbers)
# ---------------------------------------------------------------------------
# Town names are real public place names of the district; the 丁目 are picked for the demo and
# no address built from them is meant to point at a real household.

STREETS: dict[str, list[str]] = {
    "kamakura-kamakura": ["雪ノ下二丁目", "小町三丁目", "材木座四丁目", "由比ガ浜一丁目", "大町五丁目", "二階堂"],
    "kamakura-koshigoe": ["腰越三丁目", "津西一丁目", "西鎌倉二丁目", "七里ガ浜東四丁目", "津"],
    "kamakura-fukasawa": ["常盤", "梶原二丁目", "笛田三丁目", "手広一丁目", "寺分"],
    "kamakura-ofuna": ["大船二丁目", "大船五丁目", "台四丁目", "小袋谷一丁目", "今泉台三丁目", "岩瀬"],
    "kamakura-tamanawa": ["玉縄一丁目", "玉縄四丁目", "岡本二丁目", "植木", "城廻"],
    "kumamoto-chuo": ["水前寺三丁目", "新屋敷一丁目", "大江五丁目", "九品寺二丁目", "帯山四丁目", "京町二丁目"],
    "kumamoto-higashi": ["健軍二丁目", "長嶺南四丁目", "月出三丁目", "尾ノ上一丁目", "花立五丁目"],
    "kumamoto-nishi": ["春日三丁目", "島崎四丁目", "上熊本二丁目", "花園五丁目", "田崎一丁目"],
    "kumamoto-minami": ["平成二丁目", "田井島一丁目", "近見三丁目", "刈草二丁目", "城南町"],
    "kumamoto-kita": ["楠五丁目", "武蔵ケ丘三丁目", "龍田二丁目", "八景水谷一丁目", "植木町"],
}

# ---------------------------------------------------------------------------
# 8. 伊勢つながりサポートリスト categories (seed 003, 伊勢市)
# ---------------------------------------------------------------------------

SUPPORT_CATEGORIES_ISE: list[tuple[str, str]] = [
    ("money_housing", "お金・住まい"),
    ("work", "仕事"),
    ("children", "子ども・子育て"),
    ("school", "学校・教育"),
    ("health", "健康"),
    ("elderly_care", "高齢介護"),
    ("disability", "障がい"),
    ("relationships_other", "人間関係・その他"),
]

# Rough correspondence of the Ise categories to issue categories (for directory filters).
ISE_CATEGORY_ISSUES: dict[str, list[str]] = {
    "money_housing": ["poverty", "household_finance", "housing"],
    "work": ["employment"],
    "children": ["child_rearing", "single_parent", "abuse", "young_carer"],
    "school": ["futoko", "bullying", "developmental"],
    "health": ["mental_health", "addiction", "suicide_risk"],
    "elderly_care": ["elderly", "carer", "double_care", "h8050"],
    "disability": ["disability", "developmental"],
    "relationships_other": ["isolation", "dv", "lgbtq", "foreign", "women", "hikikomori"],
}

# ---------------------------------------------------------------------------
# 9. Demo users (one or more per role). Names are invented; passwords are set by the generator.
# ---------------------------------------------------------------------------

_DEMO_DOMAIN = "demo.caseflow.example"

DEMO_USERS: list[dict] = [
    # coordinators (相談支援包括化推進員)
    {"org": "kmk-chiiki-kyosei", "role": "coordinator", "email": f"coordinator.kamakura@{_DEMO_DOMAIN}",
     "display_name": "井上 真琴", "password": None},
    {"org": "kmm-kenko-fukushi-seisaku", "role": "coordinator", "email": f"coordinator.kumamoto@{_DEMO_DOMAIN}",
     "display_name": "緒方 美穂", "password": None},
    # department staff
    {"org": "kmk-seikatsu-fukushi", "role": "staff", "email": f"staff.kmk-seikatsu-fukushi@{_DEMO_DOMAIN}",
     "display_name": "高木 健一", "password": None},
    {"org": "kmk-korei-ikiiki", "role": "staff", "email": f"staff.kmk-korei-ikiiki@{_DEMO_DOMAIN}",
     "display_name": "長谷川 由美子", "password": None},
    {"org": "kmk-shogai-fukushi", "role": "staff", "email": f"staff.kmk-shogai-fukushi@{_DEMO_DOMAIN}",
     "display_name": "村田 亮", "password": None},
    {"org": "kmk-kodomo-katei-sodan", "role": "staff", "email": f"staff.kmk-kodomo-katei-sodan@{_DEMO_DOMAIN}",
     "display_name": "三浦 沙織", "password": None},
    {"org": "kmk-kyoiku-center", "role": "staff", "email": f"staff.kmk-kyoiku-center@{_DEMO_DOMAIN}",
     "display_name": "丸山 晶", "password": None},
    {"org": "kmm-korei-fukushi", "role": "staff", "email": f"staff.kmm-korei-fukushi@{_DEMO_DOMAIN}",
     "display_name": "荒木 達也", "password": None},
    {"org": "kmm-seishin-hoken-fukushi", "role": "staff", "email": f"staff.kmm-seishin-hoken-fukushi@{_DEMO_DOMAIN}",
     "display_name": "坂口 香織", "password": None},
    {"org": "kmm-kodomo-wakamono-sodan", "role": "staff", "email": f"staff.kmm-kodomo-wakamono-sodan@{_DEMO_DOMAIN}",
     "display_name": "吉村 千尋", "password": None},
    # partner NPO / 社協 staff
    {"org": "kmm-kvoad", "role": "npo_staff", "email": f"npo.kvoad@{_DEMO_DOMAIN}",
     "display_name": "前田 翼", "password": None},
    {"org": "kmm-denden", "role": "npo_staff", "email": f"npo.denden@{_DEMO_DOMAIN}",
     "display_name": "平野 和子", "password": None},
    {"org": "kmm-minori", "role": "npo_staff", "email": f"npo.minori@{_DEMO_DOMAIN}",
     "display_name": "菅原 詩織", "password": None},
    {"org": "kmm-darc", "role": "npo_staff", "email": f"npo.darc@{_DEMO_DOMAIN}",
     "display_name": "野口 剛", "password": None},
    {"org": "kmk-shakyo", "role": "npo_staff", "email": f"npo.kmk-shakyo@{_DEMO_DOMAIN}",
     "display_name": "杉山 恵美", "password": None},
    # supervisors (支援会議の運営)
    {"org": "kmk-fukushi-somu", "role": "supervisor", "email": f"supervisor.kamakura@{_DEMO_DOMAIN}",
     "display_name": "大塚 秀樹", "password": None},
    {"org": "kmm-kenko-fukushi-seisaku", "role": "supervisor", "email": f"supervisor.kumamoto@{_DEMO_DOMAIN}",
     "display_name": "松井 早苗", "password": None},
    # auditors
    {"org": "kmk-audit", "role": "auditor", "email": f"auditor.kamakura@{_DEMO_DOMAIN}",
     "display_name": "今井 司", "password": None},
    {"org": "kmm-audit", "role": "auditor", "email": f"auditor.kumamoto@{_DEMO_DOMAIN}",
     "display_name": "工藤 雅人", "password": None},
    # プラットフォーム事務局 (each municipality's secretariat; two each, so that one approves the other's
    # grants of privileged roles)
    {"org": "kmm-kvoad", "role": "secretariat", "email": f"admin.kvoad@{_DEMO_DOMAIN}",
     "display_name": "増田 薫", "password": None},
    {"org": "kmm-kvoad", "role": "secretariat", "email": f"secretariat2.kvoad@{_DEMO_DOMAIN}",
     "display_name": "岡本 智子", "password": None},
    {"org": "kmk-fukushi-somu", "role": "secretariat", "email": f"admin.kamakura@{_DEMO_DOMAIN}",
     "display_name": "横山 直美", "password": None},
    {"org": "kmk-fukushi-somu", "role": "secretariat", "email": f"secretariat2.kamakura@{_DEMO_DOMAIN}",
     "display_name": "森田 浩", "password": None},
    # an organisation's own admin (its users only)
    {"org": "kmk-shakyo", "role": "admin", "email": f"admin.kmk-shakyo@{_DEMO_DOMAIN}",
     "display_name": "石田 美穂", "password": None},
]

# Organisations taking part in another municipality's platform (granted by that municipality's secretariat).
# A demo setting: the two cities are otherwise separate worlds.
MEMBERSHIPS: list[dict] = [
    {"municipality": "kamakura", "org": "kmm-lgbt-family",
     "reason": "オンラインでの家族相談を鎌倉市のプラットフォームでも受け付ける（デモ上の設定）"},
]


# ---------------------------------------------------------------------------
# 10. The six other seed municipalities (issue 20): 市原市 (seed 001), 須坂市・伊勢市・名張市・枚方市・府中市
#     (seed 003, sections 2-1 … 2-5). Each is its own tenant, with the departments and groups its section
#     names, its districts where the seed names any, its demo users and its councils (caseflow.demo.cities).
# ---------------------------------------------------------------------------

# 市原市: seed 001 names no districts; the city is one unit here.
DISTRICTS_ICHIHARA: list[tuple[str, str]] = [("ichihara-all", "市原市全域")]
# 須坂市: the 居住地 rows of the 須坂市 resident survey table (seed 003, around line 437). The OCR text prints
# 「東原地区」 three times (two rows are garbled); it is taken once, the other ten names as printed.
DISTRICTS_SUZAKA: list[tuple[str, str]] = [
    ("suzaka-uenohara", "上野原地区"), ("suzaka-higashihara", "東原地区"), ("suzaka-seibu", "西部地区"),
    ("suzaka-shirataki", "白滝地区"), ("suzaka-okutsu", "奥津地区"), ("suzaka-kagaoka", "加ヶ丘地区"),
    ("suzaka-mino", "三野地区"), ("suzaka-inoue", "井上地区"), ("suzaka-mitsui", "三井地区"),
    ("suzaka-fujii", "藤井地区"),
]
# 伊勢市: the section names no districts; one unit.
DISTRICTS_ISE: list[tuple[str, str]] = [("ise-all", "伊勢市全域")]
# 名張市: the 15 地域 of the 地域づくり組織 table (seed 003, around line 1100), one まちの保健室 each
# (「まちの保健室」 is set up per 地域 / 小学校区).
DISTRICTS_NABARI: list[tuple[str, str]] = [
    ("nabari-nabari", "名張"), ("nabari-kiodai", "鴻之台・希央台"), ("nabari-kuramochi", "蔵持"),
    ("nabari-umegaoka", "梅が丘"), ("nabari-komohara", "薦原"), ("nabari-kikyogaoka", "桔梗が丘"),
    ("nabari-mihata", "美旗"), ("nabari-tsutsujigaoka", "つつじヶ丘"), ("nabari-kunitsu", "国津"),
    ("nabari-hinachi", "比奈知"), ("nabari-suzurandai", "すずらん台"), ("nabari-nishiki", "錦生"),
    ("nabari-akame", "赤目"), ("nabari-minoo", "箕曲"), ("nabari-yurigaoka", "百合が丘"),
]
# 枚方市: the section names no districts; one unit.
DISTRICTS_HIRAKATA: list[tuple[str, str]] = [("hirakata-all", "枚方市全域")]
# 府中市: 民生委員・児童委員 meet in 「全部で6地区ほど」 (seed 003, line ~2494); the seed does not name them,
# so they are numbered here.
DISTRICTS_FUCHU: list[tuple[str, str]] = [(f"fuchu-{n}", f"第{n}地区") for n in range(1, 7)]

_EIGHT_CITY_SPECS = [
    # code, name, prefecture, population (seed), seeds, districts, secretariat org, phone prefix
    ("ichihara", "市原市", "千葉県", "約27万人", ["001"], DISTRICTS_ICHIHARA, "ich-fukushi-sogo", "0436-00-0"),
    ("suzaka", "須坂市", "長野県", "49,776人（2023年1月）", ["003"], DISTRICTS_SUZAKA, "szk-fukushi", "026-000-0"),
    ("ise", "伊勢市", "三重県", "121,770人（令和4年12月末）", ["003"], DISTRICTS_ISE, "ise-fukushi-seikatsu",
     "0596-00-0"),
    ("nabari", "名張市", "三重県", "76,177人（令和5年1月1日）", ["003"], DISTRICTS_NABARI, "nbr-hokatsu",
     "0595-00-0"),
    ("hirakata", "枚方市", "大阪府", "396,252人（令和5年1月1日）", ["003"], DISTRICTS_HIRAKATA, "hrk-kodomo-sodan",
     "072-000-0"),
    ("fuchu", "府中市", "広島県", "36,563人（令和5年1月1日）", ["003"], DISTRICTS_FUCHU, "fch-gakko-kyoiku",
     "0847-00-0"),
]
CITY_PHONE_PREFIX: dict[str, str] = {"kamakura": "0467-00-0", "kumamoto": "096-000-0",
                                     **{c[0]: c[7] for c in _EIGHT_CITY_SPECS}}
SIX_MUNICIPALITIES: list[dict] = [
    {"code": code, "name": name, "prefecture": pref, "population": pop, "seeds": seeds, "districts": districts,
     "secretariat": secretariat}
    for code, name, pref, pop, seeds, districts, secretariat, _phone in _EIGHT_CITY_SPECS
]


def _city_orgs(city: str, rows: list[tuple]) -> list[dict]:
    """Organisation rows of one city: (code, name, kind, parent, fields, description[, takes_consultations])."""
    area = [c for c, _ in next(m["districts"] for m in SIX_MUNICIPALITIES if m["code"] == city)]
    out = []
    for n, (code, name, kind, parent, fields, description, *rest) in enumerate(rows, start=1):
        takes = rest[0] if rest else True
        out.append(_org(code, name, kind, parent, city, phone=f"{CITY_PHONE_PREFIX[city]}{n:03d}", fields=fields,
                        service_area=area, hours=_CITY_HOURS if kind == "department" else "要問合せ",
                        takes_consultations=takes, joint_support=takes, description=description))
    return out


_AUDIT_NOTE = "監査・個人情報保護の担当（デモ上の追加: 各市に監査役を置くため）。"

# 市原市 (seed 001): 「子ども、青少年、障がい者、福祉総合所管課にヒアリング」; the model events' NPOs
# (ほっこりーの市原ゆう; いちほら市民活動協議会, printed so in the OCR text). The seed names the sections
# only by field; the names below say so (「…所管課」).
ICHIHARA_ORGANIZATIONS = _city_orgs("ichihara", [
    ("ich-fukushi-sogo", "市原市 福祉総合所管課", "department", None, ["isolation", "poverty", "hikikomori"],
     "孤独・孤立対策の庁内横断（次長級「孤独・孤立対策に関する連絡会議」）と官民連携プラットフォームの事務局。"),
    ("ich-kodomo", "市原市 子ども所管課", "department", None, ["child_rearing", "futoko"], "子ども施策の所管課。"),
    ("ich-seishonen", "市原市 青少年所管課", "department", None, ["futoko", "hikikomori"], "青少年施策の所管課。"),
    ("ich-shogaisha", "市原市 障がい者所管課", "department", None, ["disability"], "障がい者施策の所管課。"),
    ("ich-hokkori", "ほっこりーの市原ゆう", "other", None, ["hikikomori", "disability"],
     "ひきこもりがちな子どもや障がいのある親子の集いの場（モデル事業「ほっこり皆の集いの場」）。"),
    ("ich-shimin-katsudo", "いちほら市民活動協議会", "association", None, ["futoko", "isolation"],
     "不登校等の子どもと保護者のオンライン交流（モデル事業「ウェルキャンオンライン」）。"),
    ("ich-audit", "市原市 監査・個人情報保護担当", "department", None, [], _AUDIT_NOTE, False),
])

# 須坂市 (seed 003, 2-1): 担当部局 総務部政策推進課・健康福祉部福祉課; 庁内連携部局; 連携先支援団体 (line 220).
SUZAKA_ORGANIZATIONS = _city_orgs("suzaka", [
    ("szk-fukushi", "須坂市 健康福祉部 福祉課", "department", None, ["isolation", "poverty", "disability"],
     "孤独・孤立対策官民連携プラットフォーム推進協議会の事務局（健康福祉部）。"),
    ("szk-seisaku-suishin", "須坂市 総務部 政策推進課", "department", None, ["isolation"],
     "孤独・孤立対策の担当部局（総務部）。"),
    ("szk-korei-fukushi", "須坂市 健康福祉部 高齢者福祉課", "department", None, ["elderly", "carer"], "高齢者福祉。"),
    ("szk-kenko-zukuri", "須坂市 健康福祉部 健康づくり課", "department", None, ["mental_health", "suicide_risk"],
     "健康づくり、自殺予防対策。"),
    ("szk-gakko-kyoiku", "須坂市 教育委員会 学校教育課", "department", None, ["futoko"], "学校教育。"),
    ("szk-kodomo", "須坂市 教育委員会 子ども課", "department", None, ["child_rearing", "young_carer"], "子ども・子育て。"),
    ("szk-danjo", "須坂市 社会共創部 人権同和・男女共同参画課", "department", None, ["dv", "women"],
     "人権・男女共同参画、DV相談。"),
    ("szk-shakyo", "社会福祉法人 須坂市社会福祉協議会", "shakyo", None, ["isolation", "poverty"], "地域福祉の推進。"),
    ("szk-seikatsu-shuro", "須坂市生活就労支援センター", "other", None, ["poverty", "employment"],
     "生活困窮者の自立相談・就労支援。"),
    ("szk-dreamseed", "株式会社ドリームシード", "other", None, ["employment"], "就労支援（連携先支援団体）。"),
    ("szk-suko-sogo", "須高地域総合支援センター", "other", None, ["disability"], "障がいのある人の総合相談。"),
    ("szk-minsei", "須坂市民生児童委員協議会", "other", None, ["isolation", "elderly"], "民生委員・児童委員の協議会。"),
    ("szk-audit", "須坂市 監査・個人情報保護担当", "department", None, [], _AUDIT_NOTE, False),
])

# 伊勢市 (seed 003, 2-2): 担当部局 健康福祉部 福祉生活相談センター (the one-stop centre); 庁内連携部局; 連携先
# 伊勢市社会福祉協議会, NPO法人いせコンビネット (line ~757).
ISE_ORGANIZATIONS = _city_orgs("ise", [
    ("ise-fukushi-seikatsu", "伊勢市 健康福祉部 福祉生活相談センター", "department", None,
     ["isolation", "poverty", "hikikomori", "employment"],
     "ワンストップの福祉生活相談窓口。伊勢市多分野協働プラットフォームの事務局。"),
    ("ise-korei-shogai", "伊勢市 高齢・障がい福祉課", "department", None, ["elderly", "disability"], "高齢・障がい福祉。"),
    ("ise-seikatsu-shien", "伊勢市 生活支援課", "department", None, ["poverty"], "生活保護・生活支援。"),
    ("ise-kosodate", "伊勢市 子育て応援課", "department", None, ["child_rearing", "single_parent"], "子育て支援。"),
    ("ise-shoko-rosei", "伊勢市 商工労政課", "department", None, ["employment"], "雇用・労働施策。"),
    ("ise-shakyo", "社会福祉法人 伊勢市社会福祉協議会", "shakyo", None, ["isolation", "poverty"], "地域福祉の推進。"),
    ("ise-combinet", "NPO法人いせコンビネット", "npo", None, ["employment", "hikikomori"],
     "働きづらさを抱えた人の居場所・職場見学・就労体験（スモールステップの就労支援）。"),
    ("ise-audit", "伊勢市 監査・個人情報保護担当", "department", None, [], _AUDIT_NOTE, False),
])

# 名張市 (seed 003, 2-3): 担当部局 福祉子ども部 地域包括支援センター; the 福祉子ども部 sections of the workshop
# attendance table (line ~2059); エリアディレクター for 高齢・障がい・児童・困窮・教育 (line 1062). Which section
# each director sits in is not in the seed: 高齢 介護・高齢支援室, 障がい 障害福祉室, 児童 健康・子育て支援室,
# 困窮 医療福祉総務室, 教育 教育センター (a demo assignment).
NABARI_ORGANIZATIONS = _city_orgs("nabari", [
    ("nbr-hokatsu", "名張市 福祉子ども部 地域包括支援センター", "department", None, ["isolation", "elderly", "h8050"],
     "地域福祉教育総合支援ネットワークの事務局。エリアディレクター会議を毎月開催。"),
    ("nbr-korei", "名張市 福祉子ども部 介護・高齢支援室", "department", None, ["elderly", "carer"],
     "エリアディレクター（高齢）。"),
    ("nbr-shogai", "名張市 福祉子ども部 障害福祉室", "department", None, ["disability"], "エリアディレクター（障がい）。"),
    ("nbr-kosodate", "名張市 福祉子ども部 健康・子育て支援室", "department", None, ["child_rearing", "young_carer"],
     "エリアディレクター（児童）。"),
    ("nbr-iryo-fukushi", "名張市 福祉子ども部 医療福祉総務室", "department", None, ["poverty"],
     "エリアディレクター（困窮）。"),
    ("nbr-kyoiku-center", "名張市 教育センター", "department", None, ["futoko"], "エリアディレクター（教育）。"),
    ("nbr-shakyo", "社会福祉法人 名張市社会福祉協議会", "shakyo", None, ["isolation", "poverty"], "地域福祉の推進。"),
    ("nbr-audit", "名張市 監査・個人情報保護担当", "department", None, [], _AUDIT_NOTE, False),
])

# 枚方市 (seed 003, 2-4): 「枚方市子ども・若者支援地域協議会」令和4年度代表者会議構成機関 -- the table lists
# 21 bodies (line ~2181); 事務局 子ども未来部 子どもの育ち見守り室 子ども相談課; the 15–39 相談支援センター.
HIRAKATA_COUNCIL_BODIES: list[str] = [
    "hrk-mimamori", "hrk-shoko", "hrk-kenko-seisaku", "hrk-boshi-hoken", "hrk-sogo-sodan", "hrk-shogai-shien",
    "hrk-seikatsu-fukushi", "hrk-hoken-iryo", "hrk-seishonen-seisaku", "hrk-jido-seito", "hrk-hellowork",
    "hrk-kodomo-katei-center", "hrk-police-hirakata", "hrk-police-katano", "hrk-seishin-iryo", "hrk-ishikai",
    "hrk-minsei", "hrk-shakyo", "hrk-jinken", "hrk-hogoshi", "hrk-ikusei",
]
HIRAKATA_ORGANIZATIONS = _city_orgs("hirakata", [
    ("hrk-mimamori", "枚方市 子ども未来部 子どもの育ち見守り室", "department", None, ["child_rearing", "abuse"],
     "子どもの育ち見守り室（ととな）。"),
    ("hrk-kodomo-sodan", "枚方市 子ども未来部 子どもの育ち見守り室 子ども相談課", "department", "hrk-mimamori",
     ["child_rearing", "futoko", "young_carer"],
     "子ども・若者支援地域協議会の事務局。18歳未満の子どもの相談。"),
    ("hrk-wakamono-center", "枚方市ひきこもり等子ども・若者相談支援センター", "department", "hrk-mimamori",
     ["hikikomori", "futoko"], "15歳からおおむね39歳までの不登校・ひきこもり・ニート等の相談（年間延べ約3,000件）。"),
    ("hrk-shoko", "枚方市 観光にぎわい部 商工振興課", "department", None, ["employment"], "商工振興・就労。"),
    ("hrk-kenko-seisaku", "枚方市 健康福祉部 健康福祉政策課", "department", None, ["isolation"], "健康福祉政策。"),
    ("hrk-boshi-hoken", "枚方市 健康福祉部 健康寿命推進室 母子保健課", "department", None, ["child_rearing"], "母子保健。"),
    ("hrk-sogo-sodan", "枚方市 健康福祉部 福祉事務所 健康福祉総合相談課", "department", None, ["isolation", "poverty"],
     "健康福祉の総合相談。"),
    ("hrk-shogai-shien", "枚方市 健康福祉部 福祉事務所 障害支援課", "department", None, ["disability"], "障害福祉。"),
    ("hrk-seikatsu-fukushi", "枚方市 健康福祉部 福祉事務所 生活福祉課", "department", None, ["poverty"], "生活保護。"),
    ("hrk-hoken-iryo", "枚方市 健康福祉部 保健所 保健医療課", "department", None, ["mental_health"], "精神保健。"),
    ("hrk-seishonen-seisaku", "枚方市 子ども未来部 子ども青少年政策課", "department", None, ["child_rearing"],
     "子ども・青少年施策。"),
    ("hrk-jido-seito", "枚方市教育委員会 学校教育部 教育支援室 児童生徒支援課", "department", None, ["futoko", "bullying"],
     "児童生徒支援。"),
    ("hrk-single-parent", "枚方市 ひとり親家庭相談窓口", "department", "hrk-mimamori", ["single_parent"],
     "ひとり親家庭の相談（三つの相談窓口の一つ）。"),
    ("hrk-hellowork", "枚方公共職業安定所", "other", None, ["employment"], "ハローワーク枚方。"),
    ("hrk-kodomo-katei-center", "大阪府中央子ども家庭センター", "other", None, ["abuse", "child_rearing"], "児童相談所。"),
    ("hrk-police-hirakata", "大阪府枚方警察署", "other", None, [], "警察署。", False),
    ("hrk-police-katano", "大阪府交野警察署", "other", None, [], "警察署。", False),
    ("hrk-seishin-iryo", "独立行政法人大阪府立病院機構大阪精神医療センター", "other", None, ["mental_health"], "精神医療。"),
    ("hrk-ishikai", "一般社団法人枚方市医師会", "association", None, [], "医師会。", False),
    ("hrk-minsei", "枚方市民生委員児童委員協議会", "other", None, ["isolation"], "民生委員・児童委員。"),
    ("hrk-shakyo", "社会福祉法人枚方市社会福祉協議会", "shakyo", None, ["isolation", "poverty"], "地域福祉の推進。"),
    ("hrk-jinken", "特定非営利活動法人枚方人権まちづくり協会", "npo", None, ["isolation", "employment"], "人権のまちづくり。"),
    ("hrk-hogoshi", "枚方・交野地区保護司会", "other", None, ["reoffending"], "更生保護。"),
    ("hrk-ikusei", "枚方市青少年育成指導員連絡協議会", "other", None, ["futoko"], "青少年の健全育成。"),
    ("hrk-audit", "枚方市 監査・個人情報保護担当", "department", None, [], _AUDIT_NOTE, False),
])

# 府中市 (seed 003, 2-5): 担当部局 府中市教育委員会 学校教育課; 教育課程研究センター, 政策企画課 (市長部局);
# the external bodies it means to link with (line 2461): 社会福祉協議会, 民生委員・児童委員.
FUCHU_ORGANIZATIONS = _city_orgs("fuchu", [
    ("fch-gakko-kyoiku", "府中市教育委員会 学校教育課", "department", None, ["futoko", "bullying", "young_carer"],
     "相談アプリで寄せられた児童生徒の相談の受付、生徒指導支援チーム。"),
    ("fch-kenkyu-center", "府中市教育課程研究センター", "department", None, ["futoko"], "適応指導教室。"),
    ("fch-seisaku-kikaku", "府中市 政策企画課", "department", None, ["isolation"], "市長部局、予防的支援チームの準備。"),
    ("fch-kodomo", "府中市 子ども家庭担当課", "department", None, ["child_rearing", "abuse"],
     "子ども家庭の相談（デモ上の名称: seed は「福祉分野を中心とする庁内関係課」とのみ記す）。"),
    ("fch-shakyo", "社会福祉法人 府中市社会福祉協議会", "shakyo", None, ["isolation", "poverty"], "地域福祉の推進。"),
    ("fch-audit", "府中市 監査・個人情報保護担当", "department", None, [], _AUDIT_NOTE, False),
])

SIX_CITY_ORGANIZATIONS: list[dict] = (ICHIHARA_ORGANIZATIONS + SUZAKA_ORGANIZATIONS + ISE_ORGANIZATIONS
                                      + NABARI_ORGANIZATIONS + HIRAKATA_ORGANIZATIONS + FUCHU_ORGANIZATIONS)

# Demo users of the six cities: a secretariat admin, a coordinator, a supervisor and an auditor each, plus a
# case worker where the city's workflow needs one. (key, org, role, invented display name)
_SIX_CITY_USERS = [
    ("ichihara", "ich-fukushi-sogo", "ich-audit", ["ich-hokkori:npo_staff:根本 美咲"],
     ["安藤 陽子", "小池 誠", "野村 和也", "川口 恵"]),
    ("suzaka", "szk-fukushi", "szk-audit", ["szk-kenko-zukuri:staff:宮下 直樹", "szk-shakyo:npo_staff:滝沢 里美"],
     ["小林 晴美", "北村 大輔", "竹内 修", "丸田 奈緒"]),
    ("ise", "ise-fukushi-seikatsu", "ise-audit", ["ise-combinet:npo_staff:西口 拓也"],
     ["浜口 千夏", "奥田 健", "辻 正和", "山路 聡子"]),
    ("nabari", "nbr-hokatsu", "nbr-audit", ["nbr-korei:staff:福田 信也", "nbr-kyoiku-center:staff:上野 麻衣"],
     ["中森 理恵", "岡田 俊介", "森本 昌弘", "奥山 京子"]),
    ("hirakata", "hrk-kodomo-sodan", "hrk-audit", ["hrk-wakamono-center:staff:田村 優"],
     ["吉田 明日香", "松本 浩二", "山口 剛志", "藤原 彩"]),
    ("fuchu", "fch-gakko-kyoiku", "fch-audit", ["fch-kodomo:staff:桑原 亜紀"],
     ["佐藤 美和", "藤井 悠", "平田 武", "片山 純子"]),
]
SIX_CITY_USERS: list[dict] = []
for _city, _lead, _audit, _extra, (_admin, _coord, _sup, _aud) in _SIX_CITY_USERS:
    SIX_CITY_USERS += [
        {"org": _lead, "role": "secretariat", "email": f"admin.{_city}@{_DEMO_DOMAIN}", "display_name": _admin,
         "password": None},
        {"org": _lead, "role": "coordinator", "email": f"coordinator.{_city}@{_DEMO_DOMAIN}", "display_name": _coord,
         "password": None},
        {"org": _lead, "role": "supervisor", "email": f"supervisor.{_city}@{_DEMO_DOMAIN}", "display_name": _sup,
         "password": None},
        {"org": _audit, "role": "auditor", "email": f"auditor.{_city}@{_DEMO_DOMAIN}", "display_name": _aud,
         "password": None},
    ]
    for _spec in _extra:
        _org_code, _role, _name = _spec.split(":")
        _prefix = "npo" if _role == "npo_staff" else "staff"
        SIX_CITY_USERS.append({"org": _org_code, "role": _role, "email": f"{_prefix}.{_org_code}@{_DEMO_DOMAIN}",
                               "display_name": _name, "password": None})

# 鎌倉市's 支援会議 invites the 大船地域包括支援センター to explain one case (要綱第3条): its worker.
DEMO_USERS.append({"org": "kmk-hokatsu-ofuna", "role": "npo_staff", "email": f"npo.kmk-hokatsu-ofuna@{_DEMO_DOMAIN}",
                   "display_name": "青木 千春", "password": None})

MUNICIPALITIES += SIX_MUNICIPALITIES
ORGANIZATIONS = ORGANIZATIONS + SIX_CITY_ORGANIZATIONS
DEMO_USERS += SIX_CITY_USERS
for _m in SIX_MUNICIPALITIES:
    for _code, _label in _m["districts"]:
        STREETS.setdefault(_code, ["一丁目", "二丁目", "三丁目"])


# ---------------------------------------------------------------------------
# 11. 鎌倉市 地域福祉計画の成果指標 (seed 004: 令和7年度 行政評価シート, 「５．成果指標」①〜④)
# ---------------------------------------------------------------------------
# Years 令和2〜7年度 = fiscal years 2020-2025. 「未実施」「未定」 are missing values (None). The sheet's own 達成率
# row agrees with these numbers (e.g. ① 令和3年度 60.2 / 58.9 = 102.2 %; ③ is an indicator that should stay low:
# 18.5 / 17.9 = 103.4 %). ① prints its targets split across lines by the OCR: 55.7 (R2), then 58.9 61.8 64.7
# 67.6 70.0; its 初期値 52.8 (令和2年1月) is not a year value.
_KMK_SHEET = "鎌倉市 令和7年度 行政評価シート 成果指標"
KAMAKURA_INDICATORS: list[dict] = [
    {"code": "kyosei-shakai", "name": "多様性を尊重し、支え合う社会（共生社会）が実現していると思う市民の割合",
     "unit": "%", "direction": "higher", "source": f"{_KMK_SHEET}① 市民アンケート調査",
     "targets": ["55.7", "58.9", "61.8", "64.7", "67.6", "70.0"],
     "actuals": [None, "60.2", "61.0", "62.0", "65.6", None]},
    {"code": "soudan-basho", "name": "生活課題等に対して、身近なところで相談できる人や場がある市民の割合",
     "unit": "%", "direction": "higher", "source": f"{_KMK_SHEET}② 市民アンケート調査",
     "targets": ["56.0", "58.8", "61.6", "64.4", "67.2", "70.0"],
     "actuals": [None, "52.7", "53.2", "51.8", "57.7", None]},
    {"code": "youkaigo-nintei", "name": "要支援・要介護認定率（第１号被保険者の性別・年齢別人口構成の影響を除外した認定率）",
     "unit": "%", "direction": "lower", "source": f"{_KMK_SHEET}③ 厚生労働省「地域包括ケア見える化システム」",
     "targets": ["18.5", "18.7", "19.0", "19.4", "19.6", "19.7"],
     "actuals": ["17.9", "18.3", "18.6", "19.2", None, None]},
    {"code": "shogaisha-shuro", "name": "就労している障害者数", "unit": "人", "direction": "higher",
     "source": f"{_KMK_SHEET}④ 所管課調べ",
     "targets": ["1642", "1820", "2000", "2000", "2000", "2000"],
     "actuals": ["1623", "1810", "1906", "2043", "2186", None]},
]
INDICATOR_FIRST_YEAR = 2020  # 令和2年度


# ---------------------------------------------------------------------------
# Self-check
# ---------------------------------------------------------------------------

# Must match caseflow.organizations.models.ORG_KINDS and caseflow.accounts.models.ROLES (not imported here:
# this module would otherwise import the application's models for them).
_VALID_KINDS = ("department", "shakyo", "npo", "association", "welfare_corporation", "care_center", "other")
_VALID_ROLES = ("coordinator", "staff", "npo_staff", "supervisor", "auditor", "admin", "secretariat")


def _self_check() -> None:  # pragma: no cover - run by hand
    import collections
    import re

    def unique(codes, what):
        dup = [c for c, n in collections.Counter(codes).items() if n > 1]
        assert not dup, f"duplicate {what}: {dup}"

    ascii_code = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
    katakana = re.compile(r"^[\u30a1-\u30f6\u30fc]+$")

    for name, table in [("issue", ISSUE_CATEGORIES), ("channel", INTAKE_CHANNELS),
                        ("closure", CLOSURE_REASONS), ("ise", SUPPORT_CATEGORIES_ISE),
                        ("district", [d for m in MUNICIPALITIES for d in m["districts"]])]:
        unique([c for c, _ in table], f"{name} code")
        unique([label for _, label in table], f"{name} label")
        for code, label in table:
            assert ascii_code.match(code), f"{name} code not an ASCII slug: {code!r}"
            assert label, code

    issues = {c for c, _ in ISSUE_CATEGORIES}
    cities = {m["code"] for m in MUNICIPALITIES}
    districts_by_city = {m["code"]: {c for c, _ in m["districts"]} for m in MUNICIPALITIES}
    all_districts = set().union(*districts_by_city.values())

    unique([o["code"] for o in ORGANIZATIONS], "org code")
    unique([o["name"] for o in ORGANIZATIONS], "org name")
    orgs = {o["code"]: o for o in ORGANIZATIONS}
    dir_keys = {"fields", "languages", "lgbtq", "eligibility", "age_min", "age_max", "service_area", "hours",
                "takes_consultations", "joint_support", "description", "website", "phone", "email"}
    phone_re = {c: re.compile("^" + re.escape(p) + r"\d{3}$") for c, p in CITY_PHONE_PREFIX.items()}
    for o in ORGANIZATIONS:
        code, d = o["code"], o["directory"]
        assert ascii_code.match(code) and len(code) <= 64, code
        assert o["kind"] in _VALID_KINDS, (code, o["kind"])
        assert o["city"] in cities, (code, o["city"])
        if o["parent"] is not None:
            assert o["parent"] in orgs, (code, o["parent"])
            assert o["parent"] != code
            assert orgs[o["parent"]]["city"] == o["city"], (code, "parent in another city")
        assert set(d) == dir_keys, (code, set(d) ^ dir_keys)
        bad = [f for f in d["fields"] if f not in issues]
        assert not bad, (code, bad)
        unique(d["fields"], f"{code} field")
        assert d["service_area"], code
        bad = [s for s in d["service_area"] if s not in districts_by_city[o["city"]]]
        assert not bad, (code, bad)
        assert all(re.match(r"^[a-z]{2,3}$", lang) and lang != "ja" for lang in d["languages"]), code
        assert phone_re[o["city"]].match(d["phone"]), (code, d["phone"])
        assert d["email"] == f"info@{code}.example.jp", code
        for k in ("lgbtq", "takes_consultations", "joint_support"):
            assert isinstance(d[k], bool), (code, k)
        if d["age_min"] is not None and d["age_max"] is not None:
            assert d["age_min"] <= d["age_max"], code
    unique([o["directory"]["phone"] for o in ORGANIZATIONS], "org phone")
    # parent chains terminate
    for o in ORGANIZATIONS:
        seen, cur = set(), o
        while cur["parent"] is not None:
            assert cur["code"] not in seen, ("parent cycle", o["code"])
            seen.add(cur["code"])
            cur = orgs[cur["parent"]]

    assert len(KUMAMOTO_LEAFLET_GROUPS) == 20, len(KUMAMOTO_LEAFLET_GROUPS)
    assert set(KUMAMOTO_LEAFLET_MARKS) == {o["code"] for o in KUMAMOTO_LEAFLET_GROUPS}
    assert set(KUMAMOTO_CORE_GROUPS) <= set(KUMAMOTO_LEAFLET_MARKS)
    assert KUMAMOTO_SECRETARIAT in orgs
    for code in KUMAMOTO_CORE_GROUPS:
        assert orgs[code]["directory"]["joint_support"], code

    required_kmk = ["福祉総務課", "生活福祉課", "高齢者いきいき課", "障害福祉課", "こども支援課", "こども家庭相談課",
                    "青少年課", "発達支援室", "地域共生課", "教育センター"]
    required_kmm = ["健康福祉政策課", "高齢福祉課", "障がい保健福祉課", "精神保健福祉室", "こころの健康センター",
                    "子ども政策課", "保育幼稚園課", "子ども若者総合相談センター", "健康づくり推進課", "国保年金課"]
    for city, names in (("kamakura", required_kmk), ("kumamoto", required_kmm)):
        for n in names:
            hits = [o for o in ORGANIZATIONS
                    if o["city"] == city and o["kind"] == "department" and o["name"].endswith(n)]
            assert len(hits) == 1, (city, n, len(hits))

    assert set(STREETS) == all_districts, set(STREETS) ^ all_districts
    for k, v in STREETS.items():
        assert v and len(set(v)) == len(v), k

    assert set(ISE_CATEGORY_ISSUES) == {c for c, _ in SUPPORT_CATEGORIES_ISE}
    for k, v in ISE_CATEGORY_ISSUES.items():
        assert all(i in issues for i in v), k

    for pool_name, pool, minimum in (("surnames", SURNAMES, 80), ("given_f", GIVEN_NAMES_F, 50),
                                     ("given_m", GIVEN_NAMES_M, 50), ("given_x", GIVEN_NAMES_X, 50)):
        assert len(pool) >= minimum, (pool_name, len(pool))
        unique([k for k, _ in pool], f"{pool_name} kanji")
        for kanji, kana in pool:
            assert katakana.match(kana), (pool_name, kanji, kana)
            assert kanji and not katakana.match(kanji), (pool_name, kanji)
    overlap = ({k for k, _ in GIVEN_NAMES_F} | {k for k, _ in GIVEN_NAMES_M}) & {k for k, _ in GIVEN_NAMES_X}
    assert not overlap, overlap
    assert not ({k for k, _ in GIVEN_NAMES_F} & {k for k, _ in GIVEN_NAMES_M})

    unique([u["email"] for u in DEMO_USERS], "user email")
    for u in DEMO_USERS:
        assert set(u) == {"org", "role", "email", "display_name", "password"}, u
        assert u["org"] in orgs, u
        assert u["role"] in _VALID_ROLES, u
        assert u["email"].endswith("@" + _DEMO_DOMAIN), u
        assert u["password"] is None, u
    assert {u["role"] for u in DEMO_USERS} == set(_VALID_ROLES)
    for u in DEMO_USERS:
        kind = orgs[u["org"]]["kind"]
        if u["role"] in ("coordinator", "staff", "supervisor", "auditor"):
            assert kind == "department", u
        if u["role"] == "npo_staff":
            assert kind != "department", u

    # ---- report ----
    print(f"issue categories: {len(ISSUE_CATEGORIES)}  intake channels: {len(INTAKE_CHANNELS)}  "
          f"closure reasons: {len(CLOSURE_REASONS)}  ise categories: {len(SUPPORT_CATEGORIES_ISE)}")
    print(f"districts: {sum(len(m['districts']) for m in MUNICIPALITIES)} in {len(MUNICIPALITIES)} cities; "
          f"street fragments: {sum(len(v) for v in STREETS.values())}")
    print(f"organisations: {len(ORGANIZATIONS)} "
          f"(kamakura {len(KAMAKURA_ORGANIZATIONS)}, kumamoto sections+bureaus+shakyo+audit "
          f"{len(KUMAMOTO_DEPARTMENTS)}, kumamoto leaflet groups {len(KUMAMOTO_LEAFLET_GROUPS)})")
    by_city_kind = collections.Counter((o["city"], o["kind"]) for o in ORGANIZATIONS)
    for kind in _VALID_KINDS:
        k = sum(n for (c, kk), n in by_city_kind.items() if kk == kind)
        parts = ", ".join(f"{c} {by_city_kind[(c, kind)]}" for c in sorted(cities) if by_city_kind[(c, kind)])
        print(f"  {kind:20s} {k:3d}  ({parts})")
    lg = KUMAMOTO_LEAFLET_GROUPS
    print(f"leaflet: lgbtq {sum(o['directory']['lgbtq'] for o in lg)}, "
          f"foreign-language {sum(bool(o['directory']['languages']) for o in lg)}, "
          f"joint_support {sum(o['directory']['joint_support'] for o in lg)}, "
          f"takes_consultations {sum(o['directory']['takes_consultations'] for o in lg)}")
    print(f"names: surnames {len(SURNAMES)}, given F {len(GIVEN_NAMES_F)}, M {len(GIVEN_NAMES_M)}, "
          f"X {len(GIVEN_NAMES_X)}")
    roles = collections.Counter(u["role"] for u in DEMO_USERS)
    print(f"demo users: {len(DEMO_USERS)} " + ", ".join(f"{r} {roles[r]}" for r in _VALID_ROLES))
    print("OK")


if __name__ == "__main__":
    _self_check()
