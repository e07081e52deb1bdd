"""The HTML map's own words, in English and Japanese: the page's headings and controls, its script's messages, and
what the drawing writes into tooltips, notices and subtitles. A map drawn with ``MapOptions(lang="ja")`` says all of
it in Japanese.

One entry per key, ``(English, Japanese)``, so a key cannot exist in one language only (the explorer page has its own
table, ``static/explorer/i18n.js``, with the same rule). Labels of node kinds, enum members and edge types are not
here: they are the schema declaration's (``qgraph/schema.yaml``). Keys starting ``js.`` are the script's
(``static/map.js``): the page embeds them, in its language, in its JSON data island (``ui``).
"""

from __future__ import annotations

from typing import Any

WORDS: dict[str, tuple[str, str]] = {
    # ---- tooltips and groups (viz.drawing)
    "external": ("external: general knowledge, not in the source document", "外部情報：出典文書にない一般知識"),
    "undated": ("undated", "日付なし"),
    "lines": ("{n} agreements {dates}", "協定 {n} 件 {dates}"),
    "more": ("… and {n} more agreement(s) in this view", "… この表示にほか {n} 件の協定"),
    "more_short": ("… and {n} more", "… ほか {n} 件"),
    "more_cites": ("… and {n} more citation(s)", "… ほか出典 {n} 件"),
    "no_source": ("Not in the source document (general knowledge)", "出典文書になし（一般知識）"),
    "relation": ("{a} {words} {b}", "{a} → {b}（{words}）"),
    "group": ("{name} — {n} entities", "{name} — {n} 件"),
    "group1": ("{name} — 1 entity", "{name} — 1 件"),
    "no_nation": (" (no nation)", "（国・地域なし）"),
    "members": ("Members: ", "構成："),
    "members_more": (" … and {n} more", " … ほか {n} 件"),
    "inside": ("agreements among members: {n}", "構成間の協定：{n} 件"),
    "between": ("{n} agreement(s), {dates}", "協定 {n} 件、{dates}"),
    # ---- notices and subtitles (viz.drawing.build)
    "notice.external": ("External (general knowledge, not in the source document): {names}{more}. Their tooltips say "
                        "what they rest on.",
                        "外部情報（出典文書にない一般知識）：{names}{more}。根拠は各ツールチップにあります。"),
    "notice.external_more": (" and {n} more", " ほか {n} 件"),
    "notice.truncated": ("This view was cut short at the node limit: some entities or agreements are missing. Narrow "
                         "the query (filters, depth) to see all of it.",
                         "この表示はノード数の上限で打ち切られ、一部のエンティティや協定が欠けています。すべて見るには"
                         "条件（絞り込み・深さ）を狭めてください。"),
    "notice.aggregated": ("Aggregated by {by}: {count} entities and agreements are drawn as {groups} groups; a line "
                          "counts the agreements between two groups. Context relations are not drawn. Export GEXF or "
                          "CSV, or narrow the query, to see single entities.",
                          "{by}ごとに集約：エンティティと協定 {count} 件を {groups} グループで描いています。線は 2 グループ"
                          "間の協定の数です。所在などの関係は描きません。個々のエンティティは GEXF・CSV に書き出すか、"
                          "条件を狭めて見てください。"),
    "by.nation": ("nation", "国・地域"),
    "by.kind": ("kind", "種類"),
    "notice.static": ("{n} nodes: drawn with a precomputed layout and physics off (switch it on under Display if you "
                      "want the nodes to move).",
                      "ノード {n} 件：あらかじめ計算した配置で描き、物理演算は切っています（ノードを動かすには「表示」で"
                      "オンにしてください）。"),
    "subtitle.query": ("Query: {query} · filters: {filters}", "照会：{query} · 絞り込み：{filters}"),
    "subtitle.version": ("As of data version {version} · generated {stamp} · {nodes} nodes, {edges} edges in the "
                         "subgraph",
                         "データ版 {version} 時点 · {stamp} 作成 · 部分グラフのノード {nodes} 件、エッジ {edges} 件"),
    "unknown": ("unknown", "不明"),
    "query.ego": ("ego network of {id}, depth {depth}", "{id} を中心とするネットワーク（深さ {depth}）"),
    "query.path": ("shortest paths {source} → {target} (k={k}, ≤{hops} hops)",
                   "最短経路 {source} → {target}（k={k}、{hops} ホップ以内）"),
    "query.nation": ("international partnerships of {code}", "{code} の国際連携"),
    "query.all": ("the whole graph", "グラフ全体"),
    "query.agreements": ("agreements matching the filters", "絞り込み条件に合う協定"),
    "filters.none": ("no filters", "絞り込みなし"),
    # ---- the page (templates/map.html.j2)
    "page.find": ("Find", "検索"),
    "page.search.placeholder": ("Name or alias (EN / 日本語)", "名称・別名（日本語 / EN）"),
    "page.search.label": ("Find a node by name or alias", "名称・別名でノードを探す"),
    "page.entities": ("Entities", "エンティティ"),
    "page.show": ("Show {label}", "{label}を表示"),
    "page.select": ("Select every {label}", "{label}をすべて選択"),
    "page.agreements": ("Agreements", "協定"),
    "page.mixed": ("several kinds on one line", "複数の種類を含む線"),
    "page.context": ("context (located in, hosted by, member of …)", "関係（所在・設置・加盟など）"),
    "page.lines.hint": ("A line between two parties stands for their agreements; hover it for names, dates and sources. "
                        "A click on a legend entry selects that group; the box shows or hides it.",
                        "2 当事者間の線はその協定を表します。線にカーソルを重ねると名称・日付・出典が出ます。凡例の項目を"
                        "クリックするとその群を選択し、チェックボックスで表示・非表示を切り替えます。"),
    "page.new": ("New since {since}", "{since} 以降の新規"),
    "page.new.count": ("{n} new item(s), highlighted", "新規 {n} 件（強調表示）"),
    "page.dates": ("Date range", "期間"),
    "page.since.placeholder": ("from: 2020, 2023-05 …", "開始：2020、2023-05 など"),
    "page.since.label": ("Agreements dated on or after", "この日付以降の協定"),
    "page.until.placeholder": ("until", "終了"),
    "page.until.label": ("Agreements dated on or before", "この日付以前の協定"),
    "page.reset": ("Reset filters", "絞り込みを解除"),
    "page.path": ("Path between two entities", "2 つのエンティティ間の経路"),
    "page.path.from.placeholder": ("from (name or alias)", "起点（名称・別名）"),
    "page.path.from.label": ("Path from", "経路の起点"),
    "page.path.to.placeholder": ("to", "終点"),
    "page.path.to.label": ("Path to", "経路の終点"),
    "page.path.show": ("Show only the path", "経路のみ表示"),
    "page.path.all": ("Show all", "すべて表示"),
    "page.display": ("Display", "表示"),
    "page.physics": ("Physics (nodes move to settle)", "物理演算（ノードが動いて落ち着く）"),
    "page.fit": ("Fit to window", "全体表示"),
    "page.size.brokerage": ("Node size: brokerage (betweenness).", "ノードの大きさ：仲介性（媒介中心性）。"),
    "page.size.degree": ("Node size: number of agreements and relations.", "ノードの大きさ：協定・関係の数。"),
    "page.labels": ("Labels: English.", "ラベル：日本語。"),
    # ---- the page's script (static/map.js)
    "js.also": ("Also: {names}", "別名：{names}"),
    "js.parties": ("Parties: {names}", "当事者：{names}"),
    "js.under": ("Under: {name}", "枠組み：{name}"),
    "js.source": ("Source: {where}", "出典：{where}"),
    "js.undated": ("undated", "日付なし"),
    "js.hidden": ("{name} is hidden by the current filters; reset them to see it.",
                  "{name} は現在の絞り込みで非表示です。見るには絞り込みを解除してください。"),
    "js.focused": ("Focused: {name}", "表示中：{name}"),
    "js.nomatch": ("No match for “{q}”", "「{q}」に一致するものはありません"),
    "js.counts": ("{shown} of {total} nodes shown", "ノード {shown} / {total} 件を表示"),
    "js.selected": ("Selected {n} node(s)", "ノード {n} 件を選択"),
    "js.selected.lines": ("Selected {n} node(s) and {lines} line(s)", "ノード {n} 件・線 {lines} 本を選択"),
    "js.unknown": ("Unknown: {q}", "不明：{q}"),
    "js.nopath": ("No partnership path between {a} and {b} in this view.",
                  "この表示には {a} と {b} の間の連携経路がありません。"),
    "js.path": ("Showing the shortest path(s) {a} → {b}: {lines} line(s), {nodes} node(s).",
                "最短経路 {a} → {b} を表示：線 {lines} 本、ノード {nodes} 件。"),
}


def words(lang: str, key: str, **values: Any) -> str:
    """The entry in ``lang`` ("ja", anything else: English), with ``{name}`` fields filled in."""
    text = WORDS[key][1 if lang == "ja" else 0]
    return text.format(**values) if values else text


def script_words(lang: str) -> dict[str, str]:
    """The script's entries in ``lang``, unfilled: what the page embeds for ``map.js``."""
    i = 1 if lang == "ja" else 0
    return {k[3:]: v[i] for k, v in WORDS.items() if k.startswith("js.")}
