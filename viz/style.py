"""How kinds look: one place for colours, shapes, short labels and fonts, shared by the HTML map and the picture.

Colours follow the Okabe–Ito palette for entity kinds (distinguishable with the common colour-vision deficiencies);
shapes differ too, so a map printed in grey still tells kinds apart. Every shape named here exists both in
vis-network (``SHAPE``) and in matplotlib (``MARKER``).
"""

from __future__ import annotations

from qgraph.model import AgreementKind, NodeKind

ENTITY_COLOUR: dict[str, str] = {
    NodeKind.NATION: "#0072B2",
    NodeKind.INSTITUTION: "#E69F00",
    NodeKind.HUB: "#009E73",
    NodeKind.FACILITY: "#56B4E9",
    NodeKind.STRATEGY: "#CC79A7",
    NodeKind.FRAMEWORK: "#D55E00",
    NodeKind.AGREEMENT: "#555555",
}
SHAPE: dict[str, str] = {
    NodeKind.NATION: "hexagon",
    NodeKind.INSTITUTION: "dot",
    NodeKind.HUB: "star",
    NodeKind.FACILITY: "square",
    NodeKind.STRATEGY: "triangle",
    NodeKind.FRAMEWORK: "triangleDown",
    NodeKind.AGREEMENT: "diamond",
}
MARKER = {"hexagon": "h", "dot": "o", "star": "*", "square": "s", "triangle": "^", "triangleDown": "v",
          "diamond": "D"}
ENTITY_LABEL: dict[str, str] = {
    NodeKind.NATION: "Nation", NodeKind.INSTITUTION: "Institution", NodeKind.HUB: "Innovation hub",
    NodeKind.FACILITY: "Facility", NodeKind.STRATEGY: "Strategy", NodeKind.FRAMEWORK: "Framework",
    NodeKind.AGREEMENT: "Agreement (3+ parties)",
}

AGREEMENT_COLOUR: dict[str, str] = {
    AgreementKind.MOU: "#1F77B4",
    AgreementKind.MOC: "#17BECF",
    AgreementKind.ALLIANCE: "#9467BD",
    AgreementKind.JOINT_STATEMENT: "#2CA02C",
    AgreementKind.COOPERATION_DOCUMENT: "#8C564B",
    AgreementKind.AGREEMENT: "#D62728",
    AgreementKind.LETTER_OF_INTENT: "#E377C2",
    AgreementKind.OTHER: "#7F7F7F",
}
AGREEMENT_LABEL: dict[str, str] = {
    AgreementKind.MOU: "MOU", AgreementKind.MOC: "MOC", AgreementKind.ALLIANCE: "Alliance",
    AgreementKind.JOINT_STATEMENT: "Joint statement", AgreementKind.COOPERATION_DOCUMENT: "Cooperation document",
    AgreementKind.AGREEMENT: "Agreement", AgreementKind.LETTER_OF_INTENT: "Letter of intent",
    AgreementKind.OTHER: "Other",
}
#: several agreements of different kinds on one line
MIXED_COLOUR = "#444444"
CONTEXT_COLOUR = "#B8B8B8"
GROUP_COLOUR = "#6B7B8C"

#: Latin first, then Japanese faces of each platform, then generic: labels in either language render without tofu.
FONT_STACK = ('"Noto Sans", "Segoe UI", "Helvetica Neue", Arial, "Noto Sans CJK JP", "Hiragino Sans", '
              '"Hiragino Kaku Gothic ProN", "Yu Gothic", Meiryo, sans-serif')
#: the same for matplotlib (a list: it falls back glyph by glyph from 3.6 on)
MPL_FONTS = ["DejaVu Sans", "Noto Sans CJK JP", "IPAexGothic", "IPAGothic", "TakaoGothic", "Hiragino Sans",
             "Yu Gothic", "Meiryo"]
#: Japanese font files registered with matplotlib by path before a picture is drawn: matplotlib finds fonts through a
#: cache built once, so a cache made before fonts-noto-cjk was installed knows no Japanese face and draws boxes.
#: Debian/Ubuntu (fonts-noto-cjk), Fedora, Arch, macOS, Windows; missing files are skipped.
CJK_FONT_FILES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc",
    "C:/Windows/Fonts/YuGothR.ttc", "C:/Windows/Fonts/meiryo.ttc",
]
