"""How kinds look: colours, shapes, short labels and fonts, shared by the HTML map and the picture.

The colours, shapes and labels (in both languages) of node kinds and enum members are the schema declaration's
(``qgraph/schema.yaml``), read here into the tables and functions the renderers use; only the colours of what is not
a kind (mixed, context, group lines) and the fonts are set here. Colours follow the Okabe–Ito palette for entity
kinds (distinguishable with the common colour-vision deficiencies); shapes differ too, so a map printed in grey still tells kinds apart. Every shape named here exists both in
vis-network (``SHAPE``) and in matplotlib (``MARKER``).
"""

from __future__ import annotations

from qgraph.model import AgreementKind, NodeKind
from qgraph.schema import SCHEMA, SHAPES

#: node kind -> colour and shape, in the declaration's order (legends list kinds in it); labels: ``entity_label``
ENTITY_COLOUR: dict[str, str] = {NodeKind(k): n.colour for k, n in SCHEMA.nodes.items()}
SHAPE: dict[str, str] = {NodeKind(k): n.shape for k, n in SCHEMA.nodes.items()}
#: the matplotlib marker of every shape the declaration may name
MARKER = {"hexagon": "h", "dot": "o", "star": "*", "square": "s", "triangle": "^", "triangleDown": "v",
          "diamond": "D"}
assert set(MARKER) == SHAPES, "every shape qgraph.schema accepts needs a matplotlib marker here"

#: agreement kind -> colour of its lines and legend entry; labels: ``member_label("AgreementKind", kind, lang)``
AGREEMENT_COLOUR: dict[str, str] = {AgreementKind(m.value): m.get("colour")
                                    for m in SCHEMA.enum("AgreementKind").members}


def entity_label(kind: str, lang: str = "en", *, legend: bool = False) -> str:
    """A node kind's declared label (or legend entry: "Agreement (3+ parties)") in a language; the kind itself when
    it is not declared (a drawing's "Group")."""
    spec = SCHEMA.nodes.get(str(kind))
    if spec is None:
        return str(kind)
    names = spec.legend if legend else spec.label
    return names.ja if lang == "ja" else names.en


def member_label(enum: str, value: str, lang: str = "en") -> str:
    """An enum member's declared label in a language (an agreement kind, a status, a domain); the value when none."""
    try:
        names = SCHEMA.enum(enum)[str(value)].label
    except KeyError:
        return str(value)
    return names.ja if lang == "ja" else names.en


#: several agreements of different kinds on one line
MIXED_COLOUR = "#444444"
#: what is new since a briefing (``changes_since``): border and line colour
NEW_COLOUR = "#e6007e"
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
