"""Stage 3, the extractor: sentences -> mentions -> candidate entities, agreements and strategies.

Two passes over the document (neo4j-graphrag's extractor then resolver, in one stage because the second needs what
the first found anywhere in the document):

1. *probes*: spans that may name an entity — the named-entity model's organisations, countries and the like (GiNZA
   ``ja_ginza`` for Japanese; rules for English), and patterns such models miss: 「国立研究開発法人…（以下「…」とい
   う。）」 and "(hereinafter "…")" (an abbreviation is introduced), ``Name（ABBR）`` / ``Name (ABBR)``, members of
   dash-joined lists 「東大－シカゴ大－IBM／Google」, nation compounds 「日米韓」, and names ending in an organisation
   word (大学, 研究所, 機構, University, Institute …). Each probe is resolved against the store (``Resolver``); what
   resolves is a known entity, what does not and looks like an organisation is a candidate new entity.
2. *mentions*: every sentence is scanned for every name found in pass 1 (so 「産総研」 is recognised in the sentences
   after the one that introduced it), longest first; agreements and strategies are built from the mentions around
   an act word (MOU, 覚書, 協定, アライアンス, 共同声明, letter of intent …) in the same clause.

Invariants: every candidate carries a verbatim quote (a substring of the document at its offsets), the sentence's
section, page and footnote, a confidence in [0, 1] and the rule or model that proposed it; nothing here writes.
Nothing is specific to one document: the rules are about how press releases and policy texts write these things.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from qgraph.loaders.ingest.resolve import Known, Resolver
from qgraph.loaders.ingest.segment import SUPERSCRIPTS, Segmented, Sentence
from qgraph.text import normalise

# ----------------------------------------------------------------------------------------------- vocabulary

#: legal-form words folded off names (rigour/normality style), Japanese and English
LEGAL_FORMS_JA = ("国立研究開発法人", "独立行政法人", "国立大学法人", "大学共同利用機関法人", "一般社団法人", "一般財団法人",
                  "公益社団法人", "公益財団法人", "学校法人", "特定非営利活動法人", "株式会社", "有限会社", "合同会社")
_LEGAL_EN = re.compile(r",?\s+(?:Inc\.?|Ltd\.?|Limited|Corp\.?|Co\.,?\s*Ltd\.?|LLC|GmbH|plc|S\.A\.|AG|K\.K\.)$")

#: (suffix, institution type): the organisation word a Japanese name ends with
JA_ORG_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("大学校", "university"), ("大学", "university"), ("大", "university"), ("研究所", "national-lab"),
    ("研究院", "national-lab"), ("研究機構", "national-lab"), ("機構", "national-lab"), ("研究センター", "national-lab"),
    ("省", "government-body"), ("庁", "government-body"), ("会議", "government-body"), ("審議会", "government-body"),
    ("委員会", "government-body"), ("協議会", "industry-consortium"), ("コンソーシアム", "industry-consortium"),
    ("連合", "international-organisation"), ("株式会社", "company"), ("社", "company"), ("銀行", "company"),
    ("財団", "funding-agency"), ("カウンシル", "government-body"), ("インスティテュート", "national-lab"))
JA_ORG_LABELS = frozenset({"Company", "Company_Group", "Corporation_Other", "School", "International_Organization",
                           "Government", "Political_Organization_Other", "Organization_Other", "Public_Institution",
                           "Research_Institute", "GOE_Other", "Show_Organization", "Military", "N_Organization"})
#: GiNZA's organisation labels -> the institution type they say
NER_TYPES = {"Government": "government-body", "Company": "company", "Company_Group": "company",
             "School": "university", "International_Organization": "international-organisation",
             "Research_Institute": "national-lab", "Public_Institution": "government-body"}
JA_PLACE_LABELS = frozenset({"Country", "Province", "City", "GPE_Other", "Nationality"})
EN_ORG_WORDS = ("University", "Institute", "Laboratory", "Laboratories", "Ministry", "Department", "Agency", "Council",
                "Centre", "Center", "Corporation", "Company", "Consortium", "Foundation", "Commission", "Organisation",
                "Organization", "Association", "Academy", "Office", "Authority", "Bureau", "Alliance", "Society",
                "College", "Inc.", "Inc", "Ltd", "Ltd.", "Limited", "Corp.", "Technologies", "Labs", "Group", "Network")
EN_ORG_TYPES = {"University": "university", "College": "university", "Academy": "university",
                "Institute": "national-lab", "Laboratory": "national-lab", "Laboratories": "national-lab",
                "Labs": "company", "Ministry": "government-body", "Department": "government-body",
                "Agency": "government-body", "Council": "government-body", "Commission": "government-body",
                "Office": "government-body", "Authority": "government-body", "Bureau": "government-body",
                "Consortium": "industry-consortium", "Association": "industry-consortium",
                "Alliance": "industry-consortium", "Foundation": "funding-agency", "Corporation": "company",
                "Company": "company", "Inc.": "company", "Inc": "company", "Ltd": "company", "Ltd.": "company",
                "Limited": "company",
                "Corp.": "company", "Technologies": "company", "Group": "company", "Centre": "other",
                "Center": "other", "Society": "other", "Organisation": "other", "Organization": "other"}

#: act words: (regex, agreement kind). The first that matches in a clause decides; MOU/MOC in brackets win.
ACT_KINDS: tuple[tuple[str, str], ...] = (
    (r"MOU|MoU|了解覚書|memorand(?:um|a) of understanding", "mou"),
    (r"MOC|MoC|協力覚書|memorand(?:um|a) of cooperation", "moc"),
    (r"覚書|memorandum", "mou"),
    (r"共同声明|共同宣言|joint (?:statement|declaration|communiqu[ée])", "joint-statement"),
    (r"趣意書|意向書|基本合意書|letters? of intent|LOI\b|LoI\b", "letter-of-intent"),
    (r"アライアンス|alliance", "alliance"),
    (r"協力文書|協力取決め|cooperation (?:document|arrangement)", "cooperation-document"),
    (r"連携協定|協定|協約|(?:collaboration |cooperation |partnership |research |framework )?agreement", "agreement"),
    (r"首脳会談|閣僚会合|首脳討論会|ワークショップ|会談|訪問|summit|workshop|ministerial meeting|visit", "other"),
)
#: status words after (or just before) the act: (regex, status)
ACT_STATUSES: tuple[tuple[str, str], ...] = (
    (r"改訂|改定|revis(?:ed|ion|e[sd]?)|amend(?:ed|ment)", "revised"),
    (r"更新|renew(?:ed|al|s)?|extend(?:ed|s)?", "renewed"),
    (r"締結|署名|調印|取り交わ|交わし|sign(?:ed|ing|s)?|conclud(?:ed|es)|entered into|exchanged", "signed"),
    (r"発足|設立|立ち上げ|launch(?:ed|es)?|establish(?:ed|es)?|form(?:ed|s)\b", "launched"),
    (r"一致|合意|agree(?:d|s|ment)", "agreed"),
    (r"表明|発表|公表|announc(?:ed|es)|issu(?:ed|es)", "announced"),
    (r"開催|held|hosted|convened", "held"),
    (r"共有|確認|shared|confirmed", "agreed"),
    (r"盛り込|含め|includ(?:ed|es)", "announced"),
)
#: a joint activity named after a dash-joined list (「A－B－C の…取組」): an act only next to such a list
WEAK_ACTS = r"取組|取り組み|共同研究|連携|プロジェクト|joint (?:research|project|programme|program)"
#: "… was signed by", "… were renewed by": an English act whose parties come after it
_APPOSITIVE = re.compile(r"\b(?P<noun>start-?ups?|company|firm|spin-?off|spinout|chipmaker|maker|manufacturer|"
                         r"vendor|provider|developer|university|institute|laboratory|agency|ministry|consortium)\s+"
                         r"(?P<name>[A-Z][\w\-&.]*(?:\s[A-Z][\w\-&.]*){0,3})(?<![.,])")
_APPOSITIVE_TYPES = {"university": "university", "institute": "national-lab", "laboratory": "national-lab",
                     "agency": "government-body", "ministry": "government-body", "consortium": "industry-consortium"}
#: capitalised words that start no name
_NOT_NAMES = frozenset({"The", "A", "An", "In", "On", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                        "Sunday", "January", "February", "March", "April", "May", "June", "July", "August", "September",
                        "October", "November", "December", "This", "That", "It", "Its", "Their", "Which"})
_PASSIVE_BY = re.compile(r"[^.;]{0,60}?\b(?:was|were|has been|have been|is|are)\s+(signed|concluded|renewed|revised|"
                         r"amended|agreed|launched|exchanged)\s+by\s", re.I)
#: an intention to cooperate with a partner named just before (Japanese) or after (English) it; its "status"
INTENTION = "intention"
_INTENTION = re.compile(r"(?<=と)(?:も|の)?\s?(?P<ja>(?:連携|協力)(?:を|の)?\s?(?:一層|更に|さらに)?\s?(?:進め|強化し|推進し|深め|図っ)"
                        r"て(?:いく|まいる|いきます|参る))"
                        r"|\b(?:will|plans? to|intends? to|aims? to)\s+(?:work|cooperate|collaborate|partner)\s+"
                        r"(?:closely\s+)?with\b[^,.;]{2,60}", re.I)
#: domains from words in the clause
DOMAIN_WORDS: tuple[tuple[str, str], ...] = (
    (r"量子コンピュータ|量子計算|computing|computer", "computing"),
    (r"暗号|セキュリティ|ネットワーク|通信|QKD|インターネット|cryptograph|security|network|communication", "security-network"),
    (r"センシング|センサ|計測|マテリアル|材料|sensing|sensor|metrology|material", "sensing-materials"),
    (r"教育|人材|education|training|workforce|student", "education"),
    (r"産業|industr|商務|commerc|supply chain|サプライチェーン", "industry"),
)
#: nation abbreviations of Japanese compounds (日米, 日EU, 日米韓): one character or "EU" each
JA_NATION_CHARS = {"日": "日本", "米": "米国", "韓": "韓国", "英": "英国", "独": "ドイツ", "仏": "フランス", "加": "カナダ",
                   "豪": "オーストラリア", "中": "中国", "印": "インド", "伊": "イタリア", "露": "ロシア", "EU": "EU", "欧": "EU",
                   "蘭": "オランダ"}
_NATION_COMPOUND = re.compile(r"(?<![一-龥ァ-ヶ])((?:日|米|韓|英|独|仏|加|豪|印|伊|EU|欧|蘭)(?:\s?(?:日|米|韓|英|独|仏|加|豪|印|伊|EU|欧|蘭)){1,4})"
                              r"(?=[一-龥ァ-ヶ・の]|\s?[A-Za-z])")
#: 「日米韓大学間」「日米の研究機関間」: members of each nation, unnamed -> (English plural, Japanese, institution type)
UNNAMED_GROUPS = {"大学": ("Universities", "大学", "university"), "研究機関": ("Research institutions", "研究機関", "national-lab"),
                  "企業": ("Companies", "企業", "company")}
_UNNAMED_MEMBERS = re.compile(r"\s?の?\s?(大学|研究機関|企業)\s?間")
#: deictic names of the home nation ("our country" in Japanese government texts)
HOME_NAMES = ("我が国", "わが国", "日本政府")

STRATEGY_WORDS = r"戦略|ビジョン|基本計画|計画|方策|構想|イニシアティブ|法律|法|Strategy|Roadmap|Plan|Vision|Act|Initiative|Programme|Program"
FRAMEWORK_WORDS = r"パートナーシップ|対話|協議委員会|枠組み?|フォーラム|Partnership|Dialogue|Framework|Forum|Quad|Initiative"

_DASH = "－—–‐\\-"
_DASH_CHARS = "－—–‐-"
_JA_CHAR = r"一-龥々〆ヵヶァ-ヴーｦ-ﾟ"
_HIRAGANA = re.compile(r"[ぁ-ゖ]")
_LATIN_NAME = r"[A-Z][A-Za-z0-9&.\-]*(?:\s[A-Z][A-Za-z0-9&.\-]*)*"
#: a Latin name with "of/for/and" parts and a comma list before its "and" ("Ministry of Economy, Trade and Industry",
#: "Innovation, Science and Economic Development Canada")
_LATIN_COMMA_LIST = r"(?:,\s[A-Z][a-z]+)+(?=,?\s(?:and|&)\s)"  # one word each: not "Tokyo, Keio University and …"
_LATIN_LIST_NAME = (rf"{_LATIN_NAME}(?:{_LATIN_COMMA_LIST})?(?:\s(?:of|for|and|on)\s{_LATIN_NAME}(?:{_LATIN_COMMA_LIST})?)*")

#: facility words -> FacilityType (the schema's enumeration), the first that matches
FACILITY_TYPES: tuple[tuple[str, str], ...] = (
    (r"テストベッド|test ?bed", "testbed"),
    (r"試作|製造|ファウンドリ|クリーンルーム|foundry|fab\b|cleanroom|fabrication", "fabrication"),
    (r"スーパーコンピュータ|スパコン|HPC|GPU|計算機|supercomputer", "supercomputer"),
    (r"量子コンピュータ|実機|号機|quantum computer", "quantum-computer"),
)
_FAC_MACHINE = r"量子コンピュータ|スーパーコンピュータ|スパコン|計算機|HPC|実機|初号機|[0-9一二三]号機"
_FAC_QUOTED_AFTER = re.compile(rf"(?P<desc>[{_JA_CHAR}A-Za-z]{{0,16}}(?P<noun>{_FAC_MACHINE}))\s?「(?P<name>[^「」]{{1,20}})」")
_FAC_QUOTED_BEFORE = re.compile(rf"「(?P<name>[^「」]{{1,20}})」\s?(?:等の|などの|の)?\s?(?P<noun>{_FAC_MACHINE})")
_FAC_ACRONYM = re.compile(rf"(?P<desc>(?:[{_JA_CHAR}A-Za-z]+\s?){{0,4}}(?:コンピュータ|計算機|スパコン|テストベッド|設備|施設))\s?"
                          r"[（(]\s?(?P<abbr>[A-Z][A-Za-z0-9\-]{1,15})\s?[)）]")
_FAC_COMPOUND = re.compile(rf"(?<![{_JA_CHAR}・])(?P<name>(?:[{_JA_CHAR}]{{2,8}}の)?[{_JA_CHAR}]{{0,16}}"
                           r"(?:テストベッド|試作設備|製造設備|試作ライン|ファウンドリ|クリーンルーム|ビームライン))")
#: compounds that name no facility: 「テストベッド」 alone, 「既存設備」, 「各種テストベッド」 …
_FAC_GENERIC = r"^(?:テストベッド|(?:既存|各種|関連|同|当該|本|新た|様々)[{_JA_CHAR}]*)$".replace("{_JA_CHAR}", _JA_CHAR)
_FAC_EN = re.compile(rf"(?P<name>{_LATIN_NAME})\s(?P<noun>(?P<caps_noun>Testbed|Test Bed|Facility|Foundry|Cleanroom|"
                     r"Beamline|Supercomputer|Quantum Computer)|supercomputer|quantum computer|testbed|test bed|foundry)\b")


def _facility_type(word: str) -> str:
    return next((t for pattern, t in FACILITY_TYPES if re.search(pattern, word, re.I)), "other")


def m_end(text: str, end: int) -> int:
    """The end of a facility's quote: its name, and a closing bracket right after it."""
    return end + 1 if text[end:end + 1] in "」）)" else end



MONTHS_EN = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                         "september", "october", "november", "december"], 1)}
MONTHS_EN.update({m[:3]: i for m, i in list(MONTHS_EN.items())})
MONTHS_EN["sept"] = 9


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# ----------------------------------------------------------------------------------------------- results


@dataclass
class Evidence:
    """Where a candidate rests: a verbatim quote and where it stands."""

    quote: str
    start: int
    end: int
    section: str
    page: int | None
    footnote: int | None
    sentence: int

    def as_dict(self) -> dict[str, Any]:
        out = {"quote": self.quote, "start": self.start, "end": self.end, "section": self.section}
        if self.page is not None:
            out["page"] = self.page
        if self.footnote is not None:
            out["footnote"] = self.footnote
        return out


@dataclass
class EntityCandidate:
    key: str
    kind: str  # a NodeKind value
    name: str
    name_ja: str | None
    aliases: list[str]
    fields: dict[str, Any]
    evidence: Evidence
    rule: str
    confidence: float
    known: Known | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Mention:
    sentence: Sentence
    start: int  # in sentence.text
    end: int
    surface: str
    ref: str  # a known id or a candidate key
    kind: str
    known: bool
    role: str = "party"  # "party", "nation-of" (a bracketed nation after an organisation), "framework"


@dataclass
class RelationCandidate:
    kind: str  # "agreement" or "strategy"
    fields: dict[str, Any]
    evidence: Evidence
    rule: str
    confidence: float
    party_refs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: further quotes the candidate rests on (a footnote naming the signatories of the act, …)
    more_evidence: list[Evidence] = field(default_factory=list)
    #: how the date was found: "written" (a date in the text, perhaps with the year from the context), "context"
    #: (no date near the act: the year of the passage), "none"
    date_basis: str = "none"


@dataclass
class Extraction:
    entities: dict[str, EntityCandidate]
    known: dict[str, Known]
    mentions: list[Mention]
    agreements: list[RelationCandidate]
    strategies: list[RelationCandidate]
    model: str


# ----------------------------------------------------------------------------------------------- models


class NerModel:
    """A named-entity model, loaded once per process (never downloaded: it ships as a Python package)."""

    name = "rules"

    def entities(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[] for _ in texts]


class GinzaModel(NerModel):
    name = "ja_ginza"
    _nlp: Any = None

    def __init__(self) -> None:
        if GinzaModel._nlp is None:
            try:
                import spacy
            except ImportError:
                from qgraph.loaders.ingest.errors import ExtraMissing

                raise ExtraMissing("spacy") from None
            try:
                # only what NER needs: the parser and GiNZA's bunsetu components are not used
                GinzaModel._nlp = spacy.load("ja_ginza", exclude=["parser", "bunsetu_recognizer", "compound_splitter"])
            except OSError:
                from qgraph.loaders.ingest.errors import ExtraMissing

                raise ExtraMissing("ja-ginza") from None
        self.nlp = GinzaModel._nlp
        import spacy

        self.name = f"ja_ginza {spacy.util.get_package_version('ja_ginza') or ''}".strip()

    def entities(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        out = []
        # Sudachi refuses inputs over ~49 KB; sentences are far shorter, an odd long one is cut
        for doc in self.nlp.pipe((t[:12000] for t in texts), batch_size=64):
            # an organisation label on common nouns only (「量子コンピュータ」 as Company) is the model guessing:
            # keep a span when one of its tokens is a proper noun
            out.append([(e.start_char, e.end_char, e.label_) for e in doc.ents
                        if e.label_ not in JA_ORG_LABELS or any(t.pos_ == "PROPN" for t in e)])
        return out


def model_for(language: str) -> NerModel:
    return GinzaModel() if language == "ja" else NerModel()


# ----------------------------------------------------------------------------------------------- helpers


def strip_legal_form(name: str) -> str:
    for form in LEGAL_FORMS_JA:
        if name.startswith(form) and len(name) > len(form) + 1:
            return name[len(form):]
        if name.endswith(form) and len(name) > len(form) + 1:
            return name[: -len(form)]
    return _LEGAL_EN.sub("", name).strip()


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", fold(text)).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(s) >= 2 and len(ascii_text) * 2 >= len(text):
        return s[:80].strip("-")
    return "x-" + hashlib.sha1(text.encode()).hexdigest()[:10]


def _institution_type(name: str) -> tuple[str, str] | None:
    """(type, rule) when the name ends with an organisation word."""
    folded = fold(name).strip()
    for suffix, kind in JA_ORG_SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix):
            return kind, f"suffix:{suffix}"
    words = folded.split()
    for word in reversed(words[-3:] if len(words) > 1 else []):
        if word in EN_ORG_TYPES:
            return EN_ORG_TYPES[word], f"suffix:{word}"
    for word in words[1:-1] if len(words) >= 3 and words[0][:1].isupper() else []:
        if word in EN_ORG_TYPES:  # "National Institute of Standards and Technology"
            return EN_ORG_TYPES[word], f"word:{word}"
    if words and words[0] in ("University", "Ministry", "Department", "Institute") and len(words) >= 3:
        return EN_ORG_TYPES[words[0]], f"prefix:{words[0]}"
    return None


#: the institution type a Japanese legal form says
LEGAL_FORM_TYPES = {"株式会社": "company", "有限会社": "company", "合同会社": "company", "国立大学法人": "university",
                    "学校法人": "university", "国立研究開発法人": "national-lab", "大学共同利用機関法人": "national-lab"}


def _legal_form_type(surface: str) -> tuple[str, str] | None:
    """(type, rule) from a legal form at either end of the name (「日本アイ・ビー・エム株式会社」: a company)."""
    folded = fold(surface)
    if _LEGAL_EN.search(folded) and len(folded.split()) >= 2:
        return "company", "legal-form:en"  # "Fujitsu Limited", "IonQ, Inc."
    for form, kind in LEGAL_FORM_TYPES.items():
        if (folded.startswith(form) or folded.endswith(form)) and len(folded) > len(form) + 1:
            return kind, f"legal-form:{form}"
    return None


def _technology_term(name: str) -> bool:
    """A name that is only a domain's technology word (「量子コンピュータ」, 「量子暗号通信」, "quantum computing")."""
    folded = fold(name).strip()
    return any(re.fullmatch(rf"(?:量子|quantum\s?)?(?:{pattern})[{_JA_CHAR}a-z]{{0,3}}", folded, re.I)
               for pattern, _ in DOMAIN_WORDS)


def _initials_match(name: str, abbreviation: str) -> bool:
    """The abbreviation spells the name's capitalised initials, in order ("ISED": Innovation, Science and Economic
    Development Canada; "METI"): a name, even without an organisation word."""
    letters = [c for c in abbreviation.upper() if c.isalpha()]
    initials = "".join(w[0] for w in re.findall(r"[A-Z][A-Za-z]*", name))
    if len(letters) < 3 or len(initials) < len(letters):
        return False
    pos = 0
    for c in letters:
        pos = initials.find(c, pos) + 1
        if pos == 0:
            return False
    return initials[0] == letters[0]


def _looks_like_acronym(text: str) -> bool:
    t = fold(text).strip()
    return bool(re.fullmatch(r"[A-Z][A-Za-z0-9]*(?:[\-&][A-Za-z0-9]+)*", t)) and sum(c.isupper() for c in t) >= 2 \
        and len(t) <= 12


# ----------------------------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class DateFound:
    start: int
    end: int
    year: int | None
    month: int | None
    day: int | None

    def text(self, year: int | None = None) -> str | None:
        y = self.year or year
        if y is None:
            return None
        if self.month is None:
            return f"{y:04d}"
        return f"{y:04d}-{self.month:02d}" + (f"-{self.day:02d}" if self.day else "")


_JA_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?)|(\d{4})\s*年(?!度)")
_REIWA = re.compile(r"令和\s*(\d{1,2}|元)\s*年(?:\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?)?")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")
_EN_DATE = re.compile(r"\b(?:(\d{1,2})\s+)?(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
                      r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?(?:\s+(\d{1,2})(?:st|nd|rd|th)?,?)?"
                      r"(?:\s+(\d{4}))?\b|\b(?:in|since|by|from|of)\s+(\d{4})\b")


def find_dates(text: str) -> list[DateFound]:
    """Dates at the precision written: 2023年5月, （11月） (no year), 2023-11-16, 16 November 2023, in 2023."""
    t = fold(text)
    found: list[DateFound] = []
    for m in _REIWA.finditer(t):
        year = 2018 + (1 if m.group(1) == "元" else int(m.group(1)))
        found.append(DateFound(m.start(), m.end(), year, _int(m.group(2)), _int(m.group(3))))
    for m in _JA_DATE.finditer(t):
        if any(f.start <= m.start() < f.end for f in found):
            continue
        if m.group(4):
            found.append(DateFound(m.start(), m.end(), int(m.group(4)), None, None))
            continue
        year, month, day = _int(m.group(1)), _int(m.group(2)), _int(m.group(3))
        if month is not None and not 1 <= month <= 12:
            continue
        if month is None and year is None:
            continue
        # "3か月", "10 月間" are durations, not dates
        if t[m.end():m.end() + 1] in ("間",) or t[max(0, m.start() - 1):m.start()] in ("ヶ", "か", "カ"):
            continue
        found.append(DateFound(m.start(), m.end(), year, month, day))
    for m in _ISO_DATE.finditer(t):
        found.append(DateFound(m.start(), m.end(), int(m.group(1)), int(m.group(2)), _int(m.group(3))))
    for m in _EN_DATE.finditer(t):
        if m.group(5):
            found.append(DateFound(m.start(5), m.end(5), int(m.group(5)), None, None))
            continue
        month = MONTHS_EN.get(m.group(2).lower().rstrip("."))
        if month is None or (m.group(2) == "May" and not (m.group(1) or m.group(3) or m.group(4))):
            continue  # a bare "May" is too often the verb
        found.append(DateFound(m.start(), m.end(), _int(m.group(4)), month, _int(m.group(1)) or _int(m.group(3))))
    return sorted(found, key=lambda d: d.start)


def _int(value: str | None) -> int | None:
    return int(value) if value else None


# ----------------------------------------------------------------------------------------------- money

_JA_MONEY = re.compile(r"(?:約|総額|計)?\s*([0-9０-９][0-9０-９,，.．]*)\s*(兆|億|万)?\s*(?:([0-9０-９][0-9０-９,，]*)\s*(億|万))?\s*"
                       r"(円|ドル|米ドル|ユーロ|ポンド|ウォン|豪ドル|カナダドル|元)")
_EN_MONEY = re.compile(r"(US\$|C\$|A\$|\$|€|£|¥|USD|EUR|GBP|JPY|CAD|AUD|KRW)\s?([0-9][0-9,.]*)\s*(trillion|billion|million|bn|m)?\b"
                       r"|([0-9][0-9,.]*)\s*(trillion|billion|million)?\s*(dollars|euros|pounds|yen|won|USD|EUR|GBP|JPY)")
_JA_UNITS = {"兆": 10**12, "億": 10**8, "万": 10**4}
_JA_CURRENCY = {"円": "JPY", "ドル": "USD", "米ドル": "USD", "ユーロ": "EUR", "ポンド": "GBP", "ウォン": "KRW",
                "豪ドル": "AUD", "カナダドル": "CAD", "元": "CNY"}
_EN_CURRENCY = {"US$": "USD", "$": "USD", "C$": "CAD", "A$": "AUD", "€": "EUR", "£": "GBP", "¥": "JPY",
                "dollars": "USD", "euros": "EUR", "pounds": "GBP", "yen": "JPY", "won": "KRW"}
_EN_UNITS = {"trillion": 10**12, "billion": 10**9, "bn": 10**9, "million": 10**6, "m": 10**6}


def find_money(text: str) -> list[tuple[int, int, float, str]]:
    """(start, end, amount, ISO currency) of each sum of money written in the text (億, 万, full-width digits)."""
    t = fold(text)
    out = []
    for m in _JA_MONEY.finditer(t):
        try:
            amount = float(m.group(1).replace(",", "")) * _JA_UNITS.get(m.group(2) or "", 1)
            if m.group(3):
                amount += float(m.group(3).replace(",", "")) * _JA_UNITS[m.group(4)]
        except ValueError:
            continue
        out.append((m.start(), m.end(), amount, _JA_CURRENCY[m.group(5)]))
    for m in _EN_MONEY.finditer(t):
        symbol, number, unit = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(6), m.group(4), m.group(5))
        try:
            amount = float(number.replace(",", "")) * _EN_UNITS.get((unit or "").lower(), 1)
        except ValueError:
            continue
        currency = _EN_CURRENCY.get(symbol, symbol.upper() if len(symbol) == 3 else "USD")
        out.append((m.start(), m.end(), amount, currency))
    return out


# ----------------------------------------------------------------------------------------------- the extractor


class Extractor:
    """One document's extraction; ``run()`` returns the Extraction."""

    def __init__(self, seg: Segmented, resolver: Resolver, document: str, model: NerModel | None = None,
                 ner_scope: str = "relations") -> None:
        self.seg = seg
        #: "relations": the model reads only sentences with an act or a strategy verb (the rules read all of them);
        #: "all": every sentence (slower, finds names without an organisation word elsewhere)
        self.ner_scope = ner_scope
        self.resolver = resolver
        self.document = document
        self.model = model or model_for(seg.language)
        self.entities: dict[str, EntityCandidate] = {}
        self.known: dict[str, Known] = {}
        #: normalised surface -> (ref, kind, known?)
        self.gazetteer: dict[str, tuple[str, str, bool]] = {}
        self.home: Known | None = None

    # ------------------------------------------------------------------ evidence

    def evidence(self, sentence: Sentence, start: int = 0, end: int | None = None) -> Evidence:
        end = len(sentence.text) if end is None else end
        s, e = sentence.source_span(start, end)
        text = self.seg.source.text
        # trim white space and dangling punctuation, keep it verbatim
        if lead := re.match(rf"(?:[\s、，,）)」{SUPERSCRIPTS}]|及び|並びに)+", text[s:e]):
            s += lead.end()
        while e > s and text[e - 1] in " \t\n、，,":
            e -= 1
        if e - s > 400:  # the citation model's limit; keep the part nearest the end (where the act is)
            s = e - 400
        return Evidence(text[s:e], s, e, sentence.section, sentence.page, sentence.footnote, sentence.index)

    # ------------------------------------------------------------------ pass 1

    def run(self) -> Extraction:
        sentences = [s for s in self.seg.sentences if s.kind != "heading"]
        for name in HOME_NAMES:
            if name in self.seg.source.text and (known := self.resolver.resolve(name, ("Nation",))):
                self.home = known
                break
        scoped = [s for s in sentences if self.ner_scope == "all" or _has_relation_words(s.text)]
        found = dict(zip((s.index for s in scoped), self.model.entities([s.text for s in scoped])))
        ner = [found.get(s.index, []) for s in sentences]
        for sentence, ents in zip(sentences, ner):
            self._probe_sentence(sentence, ents)
        mentions: list[Mention] = []
        for sentence in sentences:
            mentions.extend(self._mentions(sentence))
        by_sentence: dict[int, list[Mention]] = {}
        for m in mentions:
            by_sentence.setdefault(m.sentence.index, []).append(m)
        agreements: list[RelationCandidate] = []
        strategies: list[RelationCandidate] = []
        context_year: int | None = None
        for sentence in sentences:
            ms = by_sentence.get(sentence.index, [])
            if sentence.kind == "body":
                agreements.extend(self._agreements(sentence, ms, context_year))
                strategies.extend(self._strategies(sentence, ms, context_year))
            else:
                agreements.extend(self._agreements(sentence, ms, context_year))
            years = [d.year for d in find_dates(sentence.text) if d.year]
            if years and sentence.kind == "body":
                context_year = years[-1]
        self._refine_dates_from_footnotes(agreements)
        self._hub_hosts(mentions)
        for sentence in sentences:
            if sentence.kind != "heading":
                self._facilities(sentence, by_sentence.get(sentence.index, []))
        agreements = _merge_restatements(self._merge_cosigners(self._dedupe(agreements)))
        used = {ref for a in agreements for ref in a.party_refs} | \
               {a.fields.get("framework") for a in agreements} | {s.fields.get("adopter") for s in strategies}
        for key, cand in self.entities.items():
            if key in used:
                cand.confidence = min(1.0, cand.confidence + 0.1)
        return Extraction(self.entities, self.known, mentions, agreements, strategies, self.model.name)

    def _add_known(self, surface: str, known: Known) -> None:
        self.known[known.id] = known
        self.gazetteer.setdefault(normalise(surface), (known.id, known.kind, True))

    def _probe(self, sentence: Sentence, start: int, end: int, rule: str, *, label: str | None = None,
               abbreviation: str | None = None, nation_hint: str | None = None, force: bool = False,
               type_hint: str | None = None) -> None:
        """Resolve one span; known -> gazetteer; else, if it looks like an organisation, a candidate entity."""
        surface = sentence.text[start:end].strip().strip("「」『』\"“”・、")
        surface = surface.rstrip(SUPERSCRIPTS).strip()
        if re.search(r"[A-Za-z]{4,}\.$", surface):
            surface = surface[:-1]  # "… Industry Associations." ends a sentence; "Inc.", "U.S." keep their dot
        if len(surface) < 2 or len(surface) > 80 or surface.isdigit():
            return
        surface = re.sub(r"^(?:the|The|THE)\s+", "", surface.strip(_DASH_CHARS + "／/ "))
        if surface[:1] in "年月日" and re.search(r"[0-9０-９]\s*$", sentence.text[:start]):
            surface = surface[1:].strip()  # 「（2021 年 6 月統合イノベーション戦略推進会議）」
        surface = re.sub(r"^第\s*[0-9０-９]+\s*回\s*", "", surface)
        if len(surface) < 2 or any(re.fullmatch(p, fold(surface), re.I) for p, _ in ACT_KINDS):
            return
        bare = strip_legal_form(surface)
        if bare in LEGAL_FORMS_JA:
            return  # 「国立大学法人」 alone is a legal form, not a name
        government = re.sub(r"^(?:the\s+)?(?:Government\s+of\s+(?:the\s+)?)|\s*(?:政府|Government)$", "", bare)
        for probe in dict.fromkeys([surface, bare, government] + ([abbreviation] if abbreviation else [])):
            known = self.resolver.resolve(probe)
            if known is not None:
                for s in (surface, bare, abbreviation):
                    if s:
                        self._add_known(s, known)
                return
        if label in JA_PLACE_LABELS or label == "GPE":
            return
        typed = _institution_type(bare) or _legal_form_type(surface) or \
            ((type_hint, "hint") if type_hint else None)
        if typed is None and label in NER_TYPES:
            inst_from_label = NER_TYPES[label]  # the model's label says what kind of organisation (not that it is one)
        else:
            inst_from_label = None
        kind, inst_type, why = "Institution", None, rule
        if typed:
            inst_type, suffix_rule = typed
            why = f"{rule}+{suffix_rule}"
        framework = re.search(rf"(?:{FRAMEWORK_WORDS})$", fold(bare))
        if framework:
            kind, typed = "Framework", None
        hub = re.search(r"(?:拠点|Hub|hub)$", bare)
        if hub:
            kind = "Hub"
        if not (typed or force or framework or hub or (label in JA_ORG_LABELS and len(bare) >= 2)):
            return
        if not (typed or force or framework or hub) and _technology_term(bare):
            return  # 「量子コンピュータ」 labelled Company by the model: the subject matter, not an organisation
        if label is None and not (typed or force or framework or hub):
            return
        key = normalise(bare)
        cand = self.entities.get(self.gazetteer.get(key, ("", "", False))[0])
        created = cand is None
        if cand is None:
            is_latin = bool(re.fullmatch(r"[\x20-\x7e]+", fold(bare)))
            latin_alias = abbreviation if abbreviation and re.fullmatch(r"[\x20-\x7e]+", fold(abbreviation)) else None
            name = bare if is_latin else (latin_alias or bare)
            cand_key = slug(name)
            while cand_key in self.entities:
                cand_key = f"{cand_key}-2"
            fields: dict[str, Any] = {}
            if kind == "Institution":
                fields["type"] = inst_type or inst_from_label or "other"
            elif kind == "Framework":
                fields["framework_type"] = "partnership" if re.search("パートナーシップ|Partnership", bare) else \
                    "dialogue" if re.search("対話|協議|Dialogue", bare) else "other"
            nation, nation_note = self._nation_for(sentence, end, surface, nation_hint, bare,
                                                   inst_type or inst_from_label, start)
            if nation and kind in ("Institution", "Hub"):
                fields["nation"] = nation
            confidence = 0.5 + (0.2 if typed else 0) + (0.15 if label in JA_ORG_LABELS else 0) + \
                (0.15 if abbreviation else 0)
            cand = EntityCandidate(key=cand_key, kind=kind, name=name, name_ja=None if is_latin else bare,
                                   aliases=[], fields=fields, evidence=self.evidence(sentence, start, end),
                                   rule=why + (f"+ner:{label}" if label else ""), confidence=min(confidence, 0.95))
            if not is_latin and not latin_alias:
                cand.notes.append("name: the English name is to be supplied")
            if kind == "Hub":
                cand.notes.append("host: name the hosting institution (required for a hub)")
            if nation_note and "nation" in fields:
                cand.notes.append(nation_note)
            self.entities[cand_key] = cand
        if not created and cand.kind == "Institution" and cand.fields.get("type") == "other" and inst_type:
            cand.fields["type"] = inst_type  # 「東芝」 first, 「株式会社東芝」 later: the later one says what it is
            cand.rule += f"; {why}"
        if not created and abbreviation and abbreviation not in cand.aliases and abbreviation != cand.name:
            cand.rule += f"; {why}"  # a pattern that introduces an abbreviation confirms the candidate
            cand.confidence = min(0.95, cand.confidence + 0.15)
        for s in (surface, bare, abbreviation):
            if s and s != cand.name and s != cand.name_ja and s not in cand.aliases:
                cand.aliases.append(s)
            if s:
                self.gazetteer.setdefault(normalise(s), (cand.key, cand.kind, False))

    def _nation_for(self, sentence: Sentence, end: int, surface: str, hint: str | None, bare: str = "",
                    inst_type: str | None = None, start: int | None = None) -> tuple[str | None, str | None]:
        """The nation of a new organisation and, when it is inferred rather than written, a note saying so:
        a bracketed country right after it (「NIST（米国）」, "(Canada)"), a nation its name starts with
        (「カナダ革新・科学・産業省」, "Korea Research Institute …") or ends with ("National Research Council
        Canada"), a possessive nation before it ("Japan's Ministry of …"), a Japanese legal form (国立研究開発法人 …: the home nation), a ministry or agency named without a
        nation (「経済産業省」 in a Japanese government text: the home nation, said in a note), else none (the reviewer
        says)."""
        if hint and (k := self.resolver.resolve(hint, ("Nation",))):
            return k.id, None
        after = fold(sentence.text[end:end + 16])
        if m := re.match(r"\s*[(（;；]\s*([^()（）;；,、]{1,12}?)\s*[)）]", after):
            if k := self.resolver.resolve(m.group(1), ("Nation",)):
                return k.id, None
        if nation := self._nation_in_name(bare or surface):
            return nation, None
        before = fold(sentence.text[max(0, (start or 0) - 30):start or 0])
        if start and (m := re.search(r"(?:the\s)?([A-Z][A-Za-z]+(?:\s[A-Z][A-Za-z]+)?)['’]s\s(?:the\s)?$", before)) and \
                (k := self.resolver.resolve(m.group(1), ("Nation",))):
            return k.id, None
        if any(surface.startswith(f) for f in LEGAL_FORMS_JA) and self.home:
            return self.home.id, None
        if self.home and inst_type == "government-body" and re.search(r"[省庁府]$", fold(bare or surface)):
            return self.home.id, (f"nation: {self.home.id} inferred (a ministry or agency named without a nation in a "
                                  f"text of {self.home.name})")
        return None, None

    def _nation_in_name(self, name: str) -> str | None:
        """A nation that a name starts with (Japanese: 2–6 characters, the rest an organisation name) or, for a
        Latin name, whose first or last word is a nation."""
        folded = fold(name).strip()
        if re.fullmatch(r"[\x20-\x7e]+", folded):
            words = folded.split()
            for word in ([words[0], words[-1]] if len(words) >= 3 else []):
                if word[:1].isupper() and len(word) >= 4 and (k := self.resolver.resolve(word, ("Nation",))):
                    return k.id
            return None
        for n in range(2, min(6, len(folded) - 2) + 1):
            prefix = folded[:n]
            if not re.fullmatch(rf"[{_JA_CHAR}A-Z]+", prefix):
                break
            if k := self.resolver.resolve(prefix, ("Nation",)):
                return k.id
        return None

    def _probe_sentence(self, sentence: Sentence, ents: list[tuple[int, int, str]]) -> None:
        text = sentence.text
        ftext = fold(text)
        # 「国立研究開発法人産業技術総合研究所（以下「産総研」という。）」 and 「…拠点（国立研究開発法人理化学研究所。以下「理研」という。）」
        for m in re.finditer(r"([^\s、。，「」（）()]{2,40}?)\s*[（(]\s*(?:([^（）()。]{2,40})。\s*)?以下\s*[「『“\"]([^」』”\"]{1,20})[」』”\"]\s*(?:と(?:いう|する|称する)。?)?\s*[)）]", text):
            if m.group(2):
                self._probe(sentence, m.start(2), m.end(2), "pattern:ika-to-iu", abbreviation=m.group(3), force=True)
                self._probe(sentence, self._name_start(text, m.start(1), m.end(1)), m.end(1), "pattern:before-bracket")
            else:
                self._probe(sentence, self._name_start(text, m.start(1), m.end(1)), m.end(1), "pattern:ika-to-iu",
                            abbreviation=m.group(3), force=True)
        # "National Institute of … (hereinafter "AIST")", "… (hereinafter referred to as "X")", "… ("X")"
        for m in re.finditer(rf"((?:the\s+)?{_LATIN_NAME}(?:\s(?:of|for|and|on|de)\s{_LATIN_NAME})*)\s*\(\s*(?:hereinafter(?:\s+referred\s+to\s+as)?|henceforth|below)?\s*[\"“']([^\"”']{{1,30}})[\"”']\s*\)", ftext):
            self._probe(sentence, m.start(1), m.end(1), "pattern:hereinafter", abbreviation=m.group(2), force=True)
        # Name（ABBR） / Name (ABBR) / 標準化技術研究所（NIST；米国）
        for m in re.finditer(r"([^\s、。，「」（）()]{2,40}?|" + _LATIN_LIST_NAME + r")\s*[（(]\s*([A-Z][A-Za-z0-9\-&]{1,11}(?:\s[A-Z0-9]{1,4})?)\s*(?:[;；、,]\s*([^()（）]{1,10}))?\s*[)）]", ftext):
            start = self._name_start(text, m.start(1), m.end(1))
            if self.resolver.resolve(m.group(2), ("Nation",)) and not m.group(3):
                # "NICT (Japan)": a bracketed nation, not an abbreviation
                self._probe(sentence, start, m.end(1), "pattern:name-nation", nation_hint=m.group(2))
                continue
            name_start = start
            if re.fullmatch(r"[\x20-\x7e]+", m.group(1)):
                # "… of Japan and Innovation, Science and Economic Development Canada (ISED)": drop leading known names
                while (lead := re.match(r"(?:the\s)?([A-Z][\w.\-]*(?:\s[A-Z][\w.\-]*)*)\s(?:and|&)\s", ftext[name_start:m.end(1)])) \
                        and self.resolver.resolve(lead.group(1)) is not None:
                    name_start += lead.end()
            self._probe(sentence, name_start, m.end(1), "pattern:name-abbr", abbreviation=m.group(2),
                        nation_hint=m.group(3), force=_initials_match(ftext[name_start:m.end(1)], m.group(2)))
            self._probe(sentence, m.start(2), m.end(2), "pattern:abbr")
        # dash-joined lists: 東大－シカゴ大－IBM／Google
        members = [(s, e) for start, end in dash_members(text) for s, e in split_alternatives(text, start, end)]
        organised = sum(1 for s, e in members if _institution_type(text[s:e]) or _looks_like_acronym(text[s:e])
                        or self.resolver.resolve(text[s:e]))
        for s, e in members:
            self._probe(sentence, s, e, "pattern:dash-list", force=organised >= 2)
        # short university abbreviations (東大, 慶大, 阪大): only resolved, never proposed on their own (拡大, 最大)
        for m in re.finditer(r"(?<![一-龥ァ-ヶ])[一-龥ァ-ヶ]{1,4}大(?![一-龥])", ftext):
            if known := self.resolver.resolve(m.group()):
                self._add_known(m.group(), known)
        # names ending in an organisation word (rules, both languages)
        for m in re.finditer(rf"[{_JA_CHAR}A-Za-z・]{{2,30}}?(?:大学校|大学|研究所|研究院|機構|省|庁|協議会|審議会|会議|研究センター|カウンシル|コンソーシアム|インスティテュート|研究拠点|開拓拠点|基盤拠点|拠点)(?![院校生部内長員等間法ァ-ヴー])", ftext):
            self._probe(sentence, self._name_start(text, m.start(), m.end()), m.end(), "rule:ja-org-suffix")
        for m in re.finditer(rf"(?:(?:the\s)?{_LATIN_NAME}\s)?(?:{'|'.join(map(re.escape, EN_ORG_WORDS))})(?:\s(?:of|for|on)\s(?:the\s)?{_LATIN_NAME}(?:{_LATIN_COMMA_LIST})?(?:,?\s(?:and|&)\s{_LATIN_NAME})?)?", ftext):
            span = m.group().removeprefix("the ").removeprefix("The ")
            offset = m.start() + (len(m.group()) - len(span))
            if len(span.split()) < 2:
                continue
            parts = re.split(r"\s(?:and|&)\s", span)
            if len(parts) == 2 and _institution_type(parts[0]) and (
                    (_looks_like_acronym(parts[1]) and self.resolver.resolve(parts[1], ("Institution",)) is not None)
                    or self.resolver.resolve(parts[1], ("Nation",)) is not None):
                # "the University of Tokyo and RIKEN", "the Department of Energy and Japan's …": a name and a known
                # one (not "Ministry of Science and ICT")
                self._probe(sentence, offset, offset + len(parts[0]), "rule:en-org-words")
            elif len(parts) == 2 and _institution_type(parts[1]) and _institution_type(parts[0]):
                self._probe(sentence, offset, offset + len(parts[0]), "rule:en-org-words")
                right = offset + len(span) - len(parts[1])
                self._probe(sentence, right, right + len(parts[1]), "rule:en-org-words")
            else:
                self._probe(sentence, offset, m.end(), "rule:en-org-words")
        # nations named in English ("Japan and Canada signed …", "the Republic of Korea"): resolved as nations only
        if self.seg.language == "en":
            for m in re.finditer(rf"(?<![A-Za-z]){_LATIN_NAME}(?:\s(?:of|and)\s{_LATIN_NAME})?", ftext):
                for part in dict.fromkeys([m.group(), *re.split(r"\s+and\s+", m.group())]):
                    part = re.sub(r"^(?:The|the)\s+", "", part)
                    if 3 <= len(part) <= 40 and (k := self.resolver.resolve(part, ("Nation",))):
                        self._add_known(part, k)
        # "quantum start-up Q-CTRL", "the chipmaker Rigetti", "the university ETH Zurich": a common noun before a
        # proper name says what it is
        for m in _APPOSITIVE.finditer(ftext):
            name = m.group("name")
            if name.split()[0] in _NOT_NAMES:
                continue
            self._probe(sentence, m.start("name"), m.end("name"), f"pattern:appositive:{m.group('noun').lower()}",
                        force=True, type_hint=_APPOSITIVE_TYPES.get(m.group("noun").lower().replace("-", ""), "company"))
        # acronyms and capitalised names (English proper nouns): resolved; new only when another rule says so
        for m in re.finditer(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9]*(?:[\-&][A-Za-z0-9]+)*(?![A-Za-z0-9])", ftext):
            if _looks_like_acronym(m.group()):
                nation = re.match(r"\s*[(（]\s*([^()（）]{1,12}?)\s*[)）]", ftext[m.end():m.end() + 16])
                forced = bool(nation and self.resolver.resolve(nation.group(1), ("Nation",)))
                self._probe(sentence, m.start(), m.end(), "rule:acronym" + ("+nation" if forced else ""),
                            force=forced, nation_hint=nation.group(1) if forced else None)
        # an acronym that adopts a strategy (「NATO量子戦略」, "NATO Quantum Strategy") or is a partner
        # (「ASEAN とも連携」, "partnered with CERN"): an organisation
        for m in re.finditer(rf"(?<![A-Za-z0-9])([A-Z]{{2,10}})(?=[{_JA_CHAR}]{{0,6}}(?:戦略|ビジョン|計画)|\s(?:Quantum\s)?(?:Strategy|Roadmap)"
                             r"|\s?とも?の?(?:連携|協力|協定|共同|覚書))", ftext):
            self._probe(sentence, m.start(1), m.end(1), "rule:acronym-partner", force=True)
        # Latin letters before a Japanese organisation word: 「A I 戦略会議」
        for m in re.finditer(rf"(?<![A-Za-z])((?:[A-Z][A-Za-z]*\s?){{1,4}}[{_JA_CHAR}]{{1,20}}?(?:会議|協議会|審議会|研究所|機構|大学))(?![{_JA_CHAR}])", ftext):
            self._probe(sentence, m.start(1), m.end(1), "rule:latin-ja-org", force=True)
        # nation names and compounds (日米韓 -> 日本, 米国, 韓国)
        for m in _NATION_COMPOUND.finditer(ftext):
            for part in re.findall(r"EU|.", m.group(1).replace(" ", "")):
                if (name := JA_NATION_CHARS.get(part)) and (k := self.resolver.resolve(name, ("Nation",))):
                    self.known[k.id] = k
        for s, e, label in ents:
            if label in JA_ORG_LABELS or label in JA_PLACE_LABELS or label in ("Facility_Other", "Plan", "Law",
                                                                               "Conference", "Treaty"):
                self._probe(sentence, s, e, f"ner:{self.model.name.split()[0]}", label=label)
        for home in HOME_NAMES:
            if home in text and self.home:
                self._add_known(home, self.home)

    @staticmethod
    def _name_start(text: str, start: int, end: int) -> int:
        """Cut a Japanese name found by a greedy pattern at the last particle or punctuation before it."""
        piece = text[start:end]
        if re.fullmatch(r"[\x20-\x7e]+", fold(piece)):
            return start  # a Latin name: spaces are part of it
        cut = 0
        for m in re.finditer(r"[ぁ-ゖ、。「」（）()\s]|の|と|は|が|を|に|で|や|及び|並びに|[0-9０-９]+\s*[年月日]", piece):
            if m.end() < len(piece) - 1:
                cut = m.end()
        return start + cut

    # ------------------------------------------------------------------ pass 2

    def _mentions(self, sentence: Sentence) -> list[Mention]:
        """Every gazetteer name in the sentence, longest first, never overlapping, plus nation compounds."""
        text = sentence.text
        folded, index = _folded_map(text)
        taken = [False] * len(text)
        found: list[Mention] = []
        for surface in sorted(self.gazetteer, key=len, reverse=True):
            if len(surface) < 2:
                continue
            ref, kind, known = self.gazetteer[surface]
            pos = folded.find(surface)
            while pos != -1:
                start, end = index[pos], index[pos + len(surface) - 1] + 1
                pos = folded.find(surface, pos + 1)
                if any(taken[start:end]) or not _bounded(text, start, end):
                    continue
                for i in range(start, end):
                    taken[i] = True
                found.append(Mention(sentence, start, end, text[start:end], ref, kind, known))
        ftext = fold(text)
        for m in _NATION_COMPOUND.finditer(ftext):
            if any(taken[m.start(1):m.end(1)]):
                continue
            # 「日米韓大学間」: the unnamed universities of each nation are the parties, not the nations
            members = _UNNAMED_MEMBERS.match(ftext, m.end(1))
            pos = m.start(1)
            for part in re.findall(r"EU|.", m.group(1)):
                if part != " " and (name := JA_NATION_CHARS.get(part)) and \
                        (k := self.resolver.resolve(name, ("Nation",))):
                    if members:
                        ref, kind, known = self._unnamed(k, members.group(1), sentence, m.start(1), members.end())
                        found.append(Mention(sentence, pos, pos + len(part), part, ref, kind, known))
                    else:
                        found.append(Mention(sentence, pos, pos + len(part), part, k.id, "Nation", True))
                pos += len(part)
        found.sort(key=lambda m: m.start)
        for i, m in enumerate(found):
            if m.kind == "Framework":
                m.role = "framework"
            elif m.kind == "Nation" and i > 0 and found[i - 1].kind != "Nation":
                between = fold(text[found[i - 1].end:m.start])
                if re.fullmatch(r"\s*[(（;；]\s*", between) or re.fullmatch(r"\s*[、,]\s*", between) and \
                        re.match(r"\s*[)）]", fold(text[m.end:m.end + 3])):
                    m.role = "nation-of"
        for m in found:
            # "TSUKUBA, Japan, March 12 —", "in Tokyo, Japan": a place's nation (a dateline), not a party
            if m.kind == "Nation" and (place := re.search(r"(?:^|[\s(])([A-Z][A-Za-z.\-]+),\s$", fold(text[:m.start]))) \
                    and not any(o.start <= place.start(1) < o.end for o in found):
                m.role = "place"
        for m, nxt in zip(found, found[1:]):
            # "Japan's Ministry of …": the nation of the organisation after it, not a party
            if m.kind == "Nation" and nxt.kind != "Nation" and \
                    re.fullmatch(r"['’]s\s(?:the\s)?", fold(text[m.end:nxt.start])):
                m.role = "nation-of"
        return found

    # ------------------------------------------------------------------ relations

    def _acts(self, text: str) -> list[tuple[int, int, str, str | None]]:
        """(start, end, kind, status) of each act in the sentence, in order."""
        ftext = fold(text)
        acts: list[tuple[int, int, str, str | None]] = []
        for pattern, kind in ACT_KINDS:
            for m in re.finditer(pattern, ftext, flags=re.I):
                if any(a[0] <= m.start() < a[1] or m.start() <= a[0] < m.end() for a in acts):
                    continue
                acts.append((m.start(), m.end(), kind, None))
        acts.sort()
        out = []
        for i, (s, e, kind, _) in enumerate(acts):
            nxt = acts[i + 1][0] if i + 1 < len(acts) else len(ftext)
            reach = 60 if kind == "other" else 24  # a meeting's outcome comes at the end of its clause
            window = re.split(r"[、。,;]", ftext[e:min(nxt, e + reach)])[0]
            status, status_end = None, e
            english = bool(re.search("[a-z]", ftext[s:e], re.I))
            if english and not re.match(r"\s+(?:was|were|has been|have been|is|are)\b", window):
                # English puts the verb first ("signed a memorandum … to establish …"): a verb just before the act
                # decides, not a purpose clause after it
                before = ftext[max(0, s - 24):s]
                found = [(mm.end(), st) for pattern, st in ACT_STATUSES for mm in re.finditer(pattern, before, re.I)]
                if found:
                    status = max(found)[1]  # the verb nearest the act
                    window = ""
            for pattern, st in ACT_STATUSES:
                if mm := re.search(pattern, window, flags=re.I):
                    if status is None or e + mm.start() < status_end:
                        status, status_end = st, e + mm.end()
            if status is None:
                before = ftext[max(0, s - (24 if re.search("[a-z]", ftext[s:e], re.I) else 12)):s]
                for pattern, st in ACT_STATUSES:
                    if re.search(pattern, before, flags=re.I):
                        status = st
                        break
            if kind == "agreement" and re.search(r"[a-z]", ftext[s:e]) and status is None:
                continue  # a bare English "agreement" without a verb is too often something else
            if kind == "other" and status is None and re.search("訪問|visit", ftext[s:e], re.I):
                status = "held"
            if kind == "other" and status is None:
                continue
            if out and re.fullmatch(r"\s*[(（]\s*", ftext[out[-1][1]:s]) and re.match(r"\s*[)）]", ftext[e:e + 2]):
                # 「研究協力覚書（MOU）」: the bracketed abbreviation is the same act, and says its kind
                prev = out.pop()
                status = status or prev[3]
                s, kind = prev[0], kind if kind != "other" else prev[2]
            elif out and out[-1][1] > s:
                continue
            out.append((s, max(e, status_end), kind, status))
        # weak acts: only after a dash-joined list of organisations
        for m in re.finditer(WEAK_ACTS, ftext, flags=re.I):
            if any(a[0] <= m.start() < a[1] for a in out):
                continue
            window_start = max(0, m.start() - 40)
            if any(window_start <= s0 < m.start() for s0, _ in dash_members(ftext)):
                out.append((m.start(), m.end(), "other", None))
        # intentions: 「ASEAN とも連携を進めていく」, "will cooperate with X": a stated plan to work with a partner
        for m in _INTENTION.finditer(ftext):
            start = m.start("ja") if m.group("ja") else m.start()
            if any(a[0] <= start < a[1] or start <= a[0] < m.end() for a in out):
                continue
            out.append((start, m.end(), "other", INTENTION))
        out.sort()
        return out

    def _agreements(self, sentence: Sentence, mentions: list[Mention], context_year: int | None) -> list[RelationCandidate]:
        text = sentence.text
        ftext = fold(text)
        acts = self._acts(text)
        if not acts:
            return []
        dates = find_dates(text)
        # topics: 「AとBとは、」「EUとは」 scope over the acts after them until the next topic
        topics: list[tuple[int, list[Mention]]] = []
        for m in re.finditer(r"とは[、,]?", ftext):
            group = [x for x in mentions if x.end <= m.start() and x.role == "party" and
                     _joined_by_to(ftext, x, m.start(), mentions)]
            if group:
                topics.append((m.end(), group))
        out: list[RelationCandidate] = []
        previous_end = 0
        previous_dates: list[tuple[str | None, bool]] = []
        for act_start, act_end, kind, status in acts:
            span_start = previous_end
            previous_end = act_end
            in_span = [x for x in mentions if span_start <= x.start < act_end]
            parties = [x for x in in_span if x.role == "party" and x.kind in ("Nation", "Institution", "Hub")]
            framework = next((x for x in in_span if x.role == "framework"), None)
            topic = next((group for pos, group in reversed(topics) if pos <= act_start), [])
            inferred_party = False
            quote_end = act_end
            if len({p.ref for p in parties}) < 2 and \
                    (by := _PASSIVE_BY.match(ftext, act_end)) is not None:
                # "The memorandum … was signed by A and B": the parties follow the verb
                clause_end = re.search(r"[.;。]|$", ftext[by.end():]).start() + by.end()
                parties = [x for x in mentions if by.end() <= x.start < clause_end and x.role == "party"
                           and x.kind in ("Nation", "Institution", "Hub")]
                previous_end = quote_end = max(previous_end, clause_end)
                if status is None:
                    status = next((st for pattern, st in ACT_STATUSES if re.search(pattern, by.group(1), re.I)), None)
            elif len({p.ref for p in parties}) < 2 and (with_ := re.match(r"\s+(?:with|between)\s", ftext[act_end:])):
                # "Q-CTRL signed an MoU with NEC", "entered into a research agreement with Fujitsu": the partner
                # follows the act
                start_with = act_end + with_.end()
                clause_end = re.search(r"[.;。]|$", ftext[start_with:]).start() + start_with
                parties = parties + [x for x in mentions if start_with <= x.start < clause_end and x.role == "party"
                                     and x.kind in ("Nation", "Institution", "Hub")]
                previous_end = quote_end = max(previous_end, min(clause_end, start_with + 80))
            if status == INTENTION:
                parties = _partner_list(ftext, parties, act_start, act_end)
            if status == INTENTION and len({p.ref for p in parties}) == 1 and self.home and \
                    parties[0].ref != self.home.id:
                # 「…、ASEAN とも連携を進めていく。」 with no subject: in a government's text, the government
                parties = [*parties, Mention(sentence, 0, 0, self.home.name, self.home.id, "Nation", True)]
                inferred_party = True
            if len({p.ref for p in parties}) < 2 and topic:
                parties = topic + [p for p in parties if p.ref not in {t.ref for t in topic}]
                if len({p.ref for p in parties}) < 2 and self.home and self.home.id not in {p.ref for p in parties}:
                    parties.append(Mention(sentence, 0, 0, self.home.name, self.home.id, "Nation", True))
                    inferred_party = True
            groups = _party_groups(ftext, parties, span_start, act_start)
            # date: a bracketed date right after the act, else the last date in its span, else the context year
            after = [d for d in dates if d.start >= act_end and
                     re.fullmatch(r"[ぁ-ゖ一-龥]{0,6}\s*[（(][^）)、。]*(?:[、,][^）)]*)?", ftext[act_end:d.start])]
            inside = [d for d in dates if span_start <= d.start < act_end]
            following = [d for d in dates if d.start >= act_end and
                         re.fullmatch(r"[^.;]{0,40}\b(?:on|in|dated|effective)\s+", ftext[act_end:d.start])]
            chosen = _bracket_dates(ftext, after) or following[:1] or ([inside[-1]] if inside else [])
            year_context = context_year
            for d in dates:
                if d.year and d.start < act_start:
                    year_context = d.year
            date_texts: list[tuple[str | None, bool]] = []
            for d in chosen:
                date_texts.append((d.text(year_context), d.year is None))
            if not date_texts and previous_dates and re.match(r"\s*[、,]?\s*(?:及び|並びに|and\b)", ftext[span_start:]):
                date_texts = previous_dates
            date_basis = "written" if date_texts else "context" if year_context else "none"
            if status == INTENTION and not date_texts:
                date_texts = [(None, False)]  # a plan is not an event of the passage's year: undated
            if not date_texts:
                date_texts = [(f"{year_context:04d}", True) if year_context else (None, False)]
            previous_dates = date_texts
            for group in groups:
                refs = list(dict.fromkeys(p.ref for p in group))
                alternatives = _alternatives(text, group)
                for alt in alternatives or [refs]:
                    if len(alt) < 2:
                        continue
                    for date_text, inferred in date_texts:
                        ev = self.evidence(sentence, min(_quote_start(ftext, span_start, act_start, group), act_start),
                                           quote_end)
                        fields: dict[str, Any] = {"kind": kind, "parties": alt}
                        if date_text:
                            fields["date"] = date_text
                        if status == INTENTION:
                            fields["status"] = "announced"
                        elif status:
                            fields["status"] = status
                        if framework:
                            fields["framework"] = framework.ref
                        domains = [d for pattern, d in DOMAIN_WORDS if re.search(pattern, ftext[span_start:act_end + 20], re.I)]
                        if domains:
                            fields["domains"] = domains
                        name_text = ev.quote
                        cand = RelationCandidate(
                            kind="agreement", fields=fields, evidence=ev, party_refs=alt,
                            rule=f"act:{kind}" + (f"+{status}" if status else "") + ("+topic" if topic else ""),
                            confidence=round(min(0.95, 0.45 + 0.15 * (kind != "other") + 0.15 * bool(status) +
                                                 0.1 * bool(date_text) - 0.15 * inferred_party), 2),
                            date_basis=date_basis if date_text else "none")
                        if self.seg.language == "ja":
                            cand.fields["name_ja"] = _short_name(name_text)
                        else:  # "AIST–NIST memorandum of understanding (renewed)"
                            shortest: dict[str, str] = {}
                            for p in group:
                                if p.ref in alt and (p.ref not in shortest or len(p.surface) < len(shortest[p.ref])):
                                    shortest[p.ref] = p.surface
                            surfaces = [shortest[r] for r in alt if r in shortest]
                            act_words = "intention to cooperate" if status == INTENTION else ftext[act_start:act_end]
                            cand.fields["name"] = f"{'–'.join(surfaces)} {act_words}"[:300]
                        if status == INTENTION:
                            cand.notes.append("an intention to cooperate (a plan, not a signed act): "
                                              + ("undated" if not date_text else f"dated {date_text}"))
                        if inferred:
                            cand.notes.append(f"date: the year {date_text[:4] if date_text else ''} is inferred from the context")
                        if inferred_party:
                            cand.notes.append(f"parties: {self.home.id if self.home else ''} inferred as the home nation")
                        out.append(cand)
        return out

    def _strategies(self, sentence: Sentence, mentions: list[Mention], context_year: int | None) -> list[RelationCandidate]:
        text = sentence.text
        ftext = fold(text)
        out: list[RelationCandidate] = []
        pattern = rf"「([^」]{{2,60}}?(?:{STRATEGY_WORDS})[^」]{{0,20}})」|((?:National\s|Quantum\s|[A-Z][\w\-]*\s){{1,6}}(?:Strategy|Roadmap|Plan|Initiative|Vision|Act))\b|([{_JA_CHAR}A-Za-z・]{{2,30}}(?:戦略|ビジョン|基本計画))"
        verbs = r"策定|閣議決定|決定|公表|発表|制定|採択|改定|発足|adopt|publish|releas|launch|unveil|announc|enact|pass"
        if not re.search(verbs, ftext, re.I):
            return out
        for m in re.finditer(pattern, ftext):
            name = next(g for g in m.groups() if g)
            if len(name) < 4 or re.fullmatch(r"(?:国家|量子|新|本)?(?:戦略|計画|方策|ビジョン)", name):
                continue
            before = [x for x in mentions if x.end <= m.start() and x.kind in ("Nation", "Institution")]
            adopter = before[-1] if before else None
            if adopter is None and self.home and re.search("我が国|政府", ftext[:m.start()]):
                adopter = Mention(sentence, 0, 0, self.home.name, self.home.id, "Nation", True)
            if adopter is None:
                continue
            fields: dict[str, Any] = {"name_ja" if self.seg.language == "ja" else "name": name}
            fields["nation" if adopter.kind == "Nation" else "adopter"] = adopter.ref
            dates = [d for d in find_dates(text) if abs(d.start - m.start()) < 40]
            if dates:
                best = min(dates, key=lambda d: abs(d.start - m.start()))
                if date := best.text(context_year):
                    fields["date"] = date
            money = [x for x in find_money(text) if abs(x[0] - m.end()) < 80]
            if money:
                s, e, amount, currency = money[0]
                fields.update(budget=ftext[s:e].strip(), budget_amount=amount, currency=currency)
            ev = self.evidence(sentence, min(m.start(), adopter.start if adopter.end else m.start()), m.end())
            out.append(RelationCandidate(kind="strategy", fields=fields, evidence=ev, party_refs=[adopter.ref],
                                         rule="pattern:strategy-name+verb", confidence=0.55 + 0.1 * bool(dates)))
        return out

    def _hub_hosts(self, mentions: list[Mention]) -> None:
        """A hub's host is the institution in brackets right after its name: 「量子セキュリティ拠点（…NICT…）」,
        「量子ソフトウェア研究拠点（大阪大学）」, "Quantum Hub (hosted by X)"."""
        for i, m in enumerate(mentions):
            cand = self.entities.get(m.ref)
            if cand is None or cand.kind != "Hub" or "host" in cand.fields:
                continue
            for nxt in mentions[i + 1:i + 3]:
                if nxt.sentence is not m.sentence or nxt.kind != "Institution":
                    continue
                between = fold(m.sentence.text[m.end:nxt.start])
                if re.fullmatch(r"\s*[(（](?:hosted by |at |国立研究開発法人|独立行政法人|国立大学法人)?\s*", between, re.I):
                    cand.fields["host"] = nxt.ref
                    cand.notes = [n for n in cand.notes if not n.startswith("host:")]
                    break

    def _refine_dates_from_footnotes(self, agreements: list[RelationCandidate]) -> None:
        """A footnote giving the day of an event the body dates only to the month refines the date: same year and
        month, and the footnote shares a long phrase or a party and the act's verb with the candidate."""
        for cand in agreements:
            date = cand.fields.get("date", "")
            if len(date) != 7:
                continue
            sentence = self.seg.sentences[cand.evidence.sentence]
            for number in sentence.markers or list(self.seg.footnotes):
                foot = self.seg.footnotes.get(number)
                if foot is None:
                    continue
                days = [d.text() for d in find_dates(foot.text) if d.day and d.year]
                if not days or not days[0].startswith(date):
                    continue
                shared = _longest_common(fold(cand.evidence.quote), fold(foot.text))
                foot_refs = {self.gazetteer.get(normalise(k), ("",))[0] for k in self.gazetteer if normalise(k) in normalise(foot.text)}
                verb = re.search(r"表明|締結|署名|合意|一致|発表|announc|sign|agree", fold(cand.evidence.quote[-12:]))
                if shared >= 8 or (set(cand.party_refs) & foot_refs and verb and verb.group() in foot.text):
                    cand.fields["date"] = days[0]
                    cand.notes.append(f"date: the day is from footnote {number}")
                    break

    def _unnamed(self, nation: Known, group: str, sentence: Sentence, start: int, end: int) -> tuple[str, str, bool]:
        """The placeholder for the unnamed members of a group in one nation (「日米韓大学間」: the universities of
        Japan, of the US and of Korea, none named), in the form of the curated data: "Universities of Japan (not
        named in the source)" / 「日本の大学（資料に名称なし）」. A placeholder the store holds is that entity."""
        plural, word_ja, inst_type = UNNAMED_GROUPS[group]
        the = "the " if re.match(r"(?:United|Republic|Kingdom|Netherlands|Philippines|European|Czech)\b",
                                 nation.name) else ""
        name = f"{plural} of {the}{nation.name} (not named in the source)"
        name_ja = f"{nation.name_ja or nation.name}の{word_ja}（資料に名称なし）"
        if (known := self.resolver.resolve(name)) is not None:
            self.known[known.id] = known
            return known.id, known.kind, True
        key = f"unnamed-{nation.id}-{slug(plural)}"
        if key not in self.entities:
            self.entities[key] = EntityCandidate(
                key=key, kind="Institution", name=name, name_ja=name_ja, aliases=[],
                fields={"type": inst_type, "nation": nation.id}, evidence=self.evidence(sentence, start, end),
                rule="pattern:unnamed-members", confidence=0.6,
                notes=[f"a placeholder: the document names none of the {plural.lower()} of {the}{nation.name}"])
        return key, "Institution", False

    def _facilities(self, sentence: Sentence, mentions: list[Mention]) -> None:
        """Candidate facilities (machines, testbeds, fabrication lines): a quoted name next to a machine word
        (「量子コンピュータ初号機「叡」」, 「「富岳」等の HPC」, "the supercomputer "Fugaku""), an acronym in brackets
        after one (「大規模 GPU コンピュータ（ABCI-Q）」), a compound ending in a facility word (「量子暗号テストベッド」,
        「試作設備」, 「量子センサのテストベッド」, "Quantum Network Testbed", "the Fugaku supercomputer"). The type comes
        from the word; the operator is the nearest institution (or hub) named before it in the sentence, the nation
        the operator's. A bare 「テストベッド」 or "the facility" names nothing and is not proposed."""
        text = sentence.text
        ftext = fold(text)
        found: list[tuple[int, int, str, str, list[str], str]] = []  # start, end, name, type, aliases, rule
        for m in _FAC_QUOTED_AFTER.finditer(ftext):
            found.append((m.start("name"), m.end("name"), m.group("name").strip(), _facility_type(m.group("noun")),
                          [m.group("desc").strip()] if m.group("desc") else [], "pattern:facility-quoted"))
        for m in _FAC_QUOTED_BEFORE.finditer(ftext):
            found.append((m.start("name"), m.end("name"), m.group("name").strip(), _facility_type(m.group("noun")),
                          [], "pattern:facility-quoted"))
        for m in _FAC_ACRONYM.finditer(ftext):
            found.append((m.start("abbr"), m.end("abbr"), m.group("abbr"), _facility_type(m.group("desc")),
                          [m.group("desc").strip()], "pattern:facility-abbr"))
        for m in _FAC_COMPOUND.finditer(ftext):
            name = m.group("name")
            if re.match(_FAC_GENERIC, name):
                continue
            found.append((m.start("name"), m.end("name"), name, _facility_type(name), [], "rule:facility-word"))
        for m in _FAC_EN.finditer(ftext):
            name, noun = m.group("name"), m.group("noun")
            if noun.lower() in ("supercomputer", "quantum computer") and not m.group("caps_noun"):
                found.append((m.start("name"), m.end("name"), name, _facility_type(noun), [], "rule:facility-en"))
            else:
                found.append((m.start("name"), m.end(), f"{name} {noun}", _facility_type(noun), [], "rule:facility-en"))
        taken: list[tuple[int, int]] = []
        for start, end, name, ftype, aliases, rule in sorted(found, key=lambda f: (f[0], -f[1])):
            if any(s0 <= start < e0 for s0, e0 in taken) or len(name) < (2 if name.isascii() else 1):
                continue
            taken.append((start, end))
            if any(m.start <= start < m.end for m in mentions if m.kind != "Nation"):
                continue  # part of an organisation's name (「量子技術基盤拠点」 is a hub, not a facility)
            key = normalise(name)
            if key in self.gazetteer:
                continue
            if (known := self.resolver.resolve(name, ("Facility",))) is not None:
                self._add_known(name, known)  # the store has it: nothing to propose
                continue
            operators = [m for m in mentions if m.end <= start and m.kind in ("Institution", "Hub")]
            operator = next((m for m in reversed(operators) if m.kind == "Institution"), operators[-1] if operators else None)
            is_latin = bool(re.fullmatch(r"[\x20-\x7e]+", name))
            fields: dict[str, Any] = {"facility_type": ftype}
            notes = [] if is_latin else ["name: the English name is to be supplied"]
            if operator is not None:
                fields["operators"] = [operator.ref]
                if nation := self.nation_of(operator.ref):
                    fields["nation"] = nation
            else:
                notes.append("operators: the text names none near it")
            cand_key = slug(name)
            while cand_key in self.entities:
                cand_key = f"{cand_key}-2"
            quote_start = min([start, *(ftext.rfind(a, 0, start) for a in aliases if ftext.rfind(a, 0, start) >= 0)])
            if operator is not None and start - operator.start <= 80:
                quote_start = min(quote_start, operator.start)
            self.entities[cand_key] = EntityCandidate(
                key=cand_key, kind="Facility", name=name, name_ja=None if is_latin else name,
                aliases=[a for a in aliases if a and a != name], fields=fields,
                evidence=self.evidence(sentence, quote_start, max(end, m_end(ftext, end))), rule=rule,
                confidence=0.55 + 0.1 * (operator is not None) + 0.1 * rule.startswith("pattern"), notes=notes)
            self.gazetteer.setdefault(key, (cand_key, "Facility", False))

    def nation_of(self, ref: str) -> str | None:
        """The nation of a party: itself for a nation, else the known entity's or the candidate's nation."""
        if (known := self.known.get(ref)) is not None:
            return known.id if known.kind == "Nation" else known.nation
        cand = self.entities.get(ref)
        return cand.fields.get("nation") if cand is not None else None

    def _merge_cosigners(self, agreements: list[RelationCandidate]) -> list[RelationCandidate]:
        """One act, two candidates: 「カナダ政府とは…協力覚書（MOC）の締結」 between two governments, and a footnote
        or a later sentence 「経済産業省とカナダ革新・科学・産業省との…協力覚書に署名」 naming the bodies that signed it
        for them. The second is merged into the first (its parties are co-signers of one agreement) when:
        the same agreement kind; the first's parties are all nations, the second's are none, and the second's
        parties' nations are exactly the first's parties; both in the same section (or the second is a footnote
        whose marker stands in the first's sentence); the two quotes share a phrase of six characters or more
        beside the party names; and the dates do not contradict each other (equal, one a prefix of the other, or
        one only the year of the passage). The merged candidate keeps the more precise written date and cites both
        quotes."""
        gone: set[int] = set()
        for i, gov in enumerate(agreements):
            if i in gone or not all(self.nation_of(r) == r for r in gov.party_refs):
                continue
            nations = set(gov.party_refs)
            for j, body in enumerate(agreements):
                if j == i or j in gone or body.fields["kind"] != gov.fields["kind"]:
                    continue
                if any(self.nation_of(r) in (r, None) for r in body.party_refs):
                    continue
                if {self.nation_of(r) for r in body.party_refs} != nations:
                    continue
                s_gov = self.seg.sentences[gov.evidence.sentence]
                s_body = self.seg.sentences[body.evidence.sentence]
                linked = s_gov.section == s_body.section or \
                    (s_body.footnote is not None and s_body.footnote in s_gov.markers)
                if not linked or _longest_common(_without_names(gov, self), _without_names(body, self)) < 6:
                    continue
                date = _merged_date(gov, body)
                if date is False:
                    continue
                if date:
                    gov.fields["date"] = date
                gov.party_refs = [*gov.party_refs, *(r for r in body.party_refs if r not in gov.party_refs)]
                gov.fields["parties"] = list(gov.party_refs)
                gov.more_evidence.append(body.evidence)
                gov.rule += "+cosigners"
                gov.confidence = round(max(gov.confidence, body.confidence), 2)
                where = f"footnote {s_body.footnote}" if s_body.footnote is not None else "a later sentence"
                gov.notes.append(f"parties: {', '.join(body.party_refs)} signed for "
                                 f"{', '.join(sorted(nations))} ({where})")
                for key in ("domains", "framework", "status"):
                    if key not in gov.fields and key in body.fields:
                        gov.fields[key] = body.fields[key]
                gone.add(j)
        return [a for k, a in enumerate(agreements) if k not in gone]

    @staticmethod
    def _dedupe(agreements: list[RelationCandidate]) -> list[RelationCandidate]:
        seen: dict[tuple, RelationCandidate] = {}
        for a in agreements:
            key = (a.fields["kind"], tuple(sorted(a.fields["parties"])), a.fields.get("date"), a.evidence.end)
            if key not in seen or a.confidence > seen[key].confidence:
                seen[key] = a
        return list(seen.values())


#: what makes the NER model read a sentence (scope "relations"): an act word, where parties must be found
_RELATION_WORDS = re.compile("|".join(p for p, _ in ACT_KINDS), re.I)


def _has_relation_words(text: str) -> bool:
    return bool(_RELATION_WORDS.search(fold(text)))


def m_is_en(pattern: str) -> bool:
    return bool(re.search(r"[a-z]{3}", pattern))


_DASH_FOLD = dict.fromkeys(map(ord, "‐‑‒–—―−﹘﹣－"), "-")


def _folded_map(text: str) -> tuple[str, list[int]]:
    """The text folded character by character as ``qgraph.text.normalise`` folds names (NFKC, dashes, case), and
    for each folded character the offset of the original one it came from."""
    parts: list[str] = []
    index: list[int] = []
    for i, c in enumerate(text):
        f = " " if c.isspace() else unicodedata.normalize("NFKC", c).translate(_DASH_FOLD).casefold()
        for ch in f:
            parts.append(ch)
            index.append(i)
    index.append(len(text))
    return "".join(parts), index


def _find_all(folded: str, surface: str, folded_chars: list[str] | None, text: str) -> Iterable[int]:
    if folded_chars is None:
        start = folded.find(surface)
        while start != -1:
            yield start
            start = folded.find(surface, start + 1)
        return
    # lengths differ (NFKC expanded or folded something): compare per original position
    n = len(text)
    first = surface[0]
    for i in range(n):
        if folded_chars[i][:1] != first:
            continue
        built, j = "", i
        while j < n and len(built) < len(surface):
            built += folded_chars[j]
            j += 1
        if built == surface:
            yield i


def _span_length(text: str, start: int, surface: str) -> int:
    built, j = "", start
    while j < len(text) and len(built) < len(surface):
        built += normalise(text[j]) or " "
        j += 1
    return j - start


def _bounded(text: str, start: int, end: int) -> bool:
    """A Latin name must not be part of a longer word ("IBM" in "IBMQ" is not IBM)."""
    before = text[start - 1:start]
    after = text[end:end + 1]
    if re.match(r"[A-Za-z0-9]", text[start:start + 1]) and re.match(r"[A-Za-z0-9]", before):
        return False
    if re.match(r"[A-Za-z0-9]", text[end - 1:end]) and re.match(r"[A-Za-z0-9]", after):
        return False
    return True


def dash_members(text: str) -> list[tuple[int, int]]:
    """Members of dash-joined lists (東大－シカゴ大－IBM): non-hiragana runs around full-width or plain dashes."""
    out: list[tuple[int, int]] = []
    for m in re.finditer(rf"[^\sぁ-ゖ、。，「」（）(){_DASH}]+(?:\s?[{_DASH}]\s?[^\sぁ-ゖ、。，「」（）(){_DASH}]+)+", text):
        if re.search(r"\d\s?[－—–‐-]\s?\d", m.group()):
            continue  # a range of numbers
        if not re.search(r"[－—–‐]|[^\x00-\x7f]-|-[^\x00-\x7f]", m.group()):
            continue  # a plain hyphen between Latin letters is part of a name (Q-STAR), not a list
        members = [(mm.start() + m.start(), mm.end() + m.start())
                   for mm in re.finditer(rf"[^{_DASH}\s]+(?:\s[^{_DASH}\s]+)*", m.group())]
        if len(members) >= 2 and all(len(text[s:e].strip()) >= 2 for s, e in members):
            first_s, first_e = members[0]
            # the first member starts after a date/topic prefix (「2023年5月には東大」 → 東大): cut at a digit run + 月/年
            piece = text[first_s:first_e]
            cut = max((mm.end() for mm in re.finditer(r"[0-9０-９]+\s*[年月日]|には|では", piece)), default=0)
            members[0] = (first_s + cut, first_e)
            out.extend(members)
    return out


def split_alternatives(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """「IBM／Google」 names two members."""
    parts, pos = [], start
    for m in re.finditer(r"[／/]", text[start:end]):
        parts.append((pos, start + m.start()))
        pos = start + m.end()
    parts.append((pos, end))
    return [(s, e) for s, e in parts if e - s >= 2]


def _alternatives(text: str, group: list[Mention]) -> list[list[str]]:
    """A party group with 「A－B－C／D」: one party set per alternative (A, B, C) and (A, B, D)."""
    slash_pairs = [(a, b) for a, b in zip(group, group[1:]) if re.fullmatch(r"\s*[／/]\s*", text[a.end:b.start])]
    if not slash_pairs:
        return []
    base = [m.ref for m in group]
    sets = []
    a, b = slash_pairs[0]
    sets.append(list(dict.fromkeys(r for r in base if r != b.ref)))
    sets.append(list(dict.fromkeys(r for r in base if r != a.ref)))
    return sets


def _joined_by_to(text: str, mention: Mention, topic_at: int, mentions: list[Mention]) -> bool:
    """The mention is part of the topic 「AとBとは」: only と, 及び, 政府 and brackets between it and とは."""
    between = text[mention.end:topic_at]
    between = re.sub(r"[(（][^)）]*[)）]", "", between)
    return bool(re.fullmatch(r"(?:\s|政府|と|及び|並びに|、|[{}])*".format(SUPERSCRIPTS), between)) or \
        all(re.fullmatch(r"(?:\s|政府|と|及び|並びに|、)*", text[x.end:y.start]) for x, y in
            zip([mention] + [m for m in mentions if mention.end <= m.start and m.end <= topic_at],
                [m for m in mentions if mention.end <= m.start and m.end <= topic_at]))


def _party_groups(text: str, parties: list[Mention], span_start: int, act_start: int) -> list[list[Mention]]:
    """「AとB及びAとC」: groups split at 及び/並びに/and when each side names two or more parties."""
    if len(parties) < 4:
        return [parties]
    groups: list[list[Mention]] = [[]]
    for prev, cur in zip([None, *parties], parties):
        if prev is not None and re.search(r"及び|並びに|\band\b", text[prev.end:cur.start]) and len(groups[-1]) >= 2:
            groups.append([])
        groups[-1].append(cur)
    if all(len({m.ref for m in g}) >= 2 for g in groups):
        return groups
    return [parties]


def _partner_list(text: str, parties: list[Mention], act_start: int, act_end: int) -> list[Mention]:
    """The partners of an intention: the list of names right before 「と(も)連携…」 (joined by 、 と 及び や ・ only),
    or the names after "with" in "will cooperate with X and Y"; not every name of the clause (「日米韓の…枠組…、ASEAN
    とも連携を進めていく」 is a plan with ASEAN)."""
    after = [m for m in parties if m.start >= act_start]
    if after:  # English: the partners follow the verb, the subject precedes it
        subject = [m for m in parties if m.end <= act_start and m.role == "party"]
        return subject[-1:] + after
    before = [m for m in parties if m.end <= act_start]
    if not before or not re.fullmatch(rf"\s*(?:[(（][^)）]*[)）])?[{SUPERSCRIPTS}]*\s*(?:政府)?と(?:も|の)?\s*",
                                      text[before[-1].end:act_start]):
        return []
    chain = [before[-1]]
    for prev in reversed(before[:-1]):
        if not re.fullmatch(r"\s*(?:、|,|と|及び|並びに|や|・)\s*", text[prev.end:chain[0].start]):
            break
        chain.insert(0, prev)
    return chain


def _bracket_dates(text: str, dates: list[DateFound]) -> list[DateFound]:
    """Dates in one bracket after the act: （5月、12月） is two dates."""
    if not dates:
        return []
    first = dates[0]
    close = text.find("）", first.start)
    if close == -1:
        close = text.find(")", first.start)
    if close == -1:
        return [first]
    return [d for d in dates if d.start < close]


def _quote_start(text: str, span_start: int, act_start: int, group: list[Mention]) -> int:
    first = min((m.start for m in group if m.end > 0 and m.start >= span_start), default=span_start)
    # include a date or topic that leads the clause ("2023年5月には …")
    lead = re.search(r"[^、。）)]*$", text[span_start:first])
    return span_start + (lead.start() if lead else 0) if first - span_start < 60 else first


def _short_name(quote: str) -> str:
    return quote if len(quote) <= 120 else quote[-120:]


def _without_names(cand: RelationCandidate, ex: Extractor) -> str:
    """The candidate's quote, folded, with the names of its parties blanked out (a shared name is no shared act)."""
    text = fold(cand.evidence.quote)
    surfaces = [k for k, (ref, _, _) in ex.gazetteer.items() if ref in cand.party_refs]
    folded = normalise(text)
    for surface in sorted(surfaces, key=len, reverse=True):
        folded = folded.replace(surface, "\0")
    return folded


def _merge_restatements(agreements: list[RelationCandidate]) -> list[RelationCandidate]:
    """One act told twice — a headline 「東芝とKIST、…連携協定を締結」 and the body's sentence with its date — is one
    candidate: the same kind and the same parties, one of them with a date written near it and the other without
    (only the passage's year, or none). The dated one stays and cites the other's quote too. Two acts of the same
    parties that both carry a written date stay two (two workshops in May and December)."""
    gone: set[int] = set()
    for i, undated in enumerate(agreements):
        if undated.date_basis == "written" or i in gone:
            continue
        key = (undated.fields["kind"], frozenset(undated.party_refs))
        same = [j for j, a in enumerate(agreements) if j != i and j not in gone and a.date_basis == "written"
                and (a.fields["kind"], frozenset(a.party_refs)) == key
                and (not undated.fields.get("date") or str(a.fields.get("date", "")).startswith(undated.fields["date"]))]
        if len(same) != 1:
            continue  # none, or several dated acts it could be: the reviewer decides
        kept = agreements[same[0]]
        kept.more_evidence.append(undated.evidence)
        kept.rule += "+restated"
        kept.notes.append("the same act is also told without its date elsewhere in the document (cited too)")
        gone.add(i)
    return [a for k, a in enumerate(agreements) if k not in gone]


def _merged_date(a: RelationCandidate, b: RelationCandidate) -> str | None | bool:
    """The date of two candidates for one act: the more precise written one; False when they contradict."""
    da, db = a.fields.get("date"), b.fields.get("date")
    written = [d for d, c in ((da, a), (db, b)) if d and c.date_basis == "written"]
    if len(written) == 2:
        short, long_ = sorted(written, key=len)
        return long_ if long_.startswith(short) else False
    if written:
        return written[0]
    return da or db


def _longest_common(a: str, b: str) -> int:
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, min(len(a), i + 60) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best
