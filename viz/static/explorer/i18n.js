/* Every UI string of the explorer in English and Japanese, and the labels of what the schema declares.
 *
 * UI strings: one entry per key, [English, Japanese], so a key cannot exist in one language only. Elements carry
 * data-i18n (textContent), data-i18n-placeholder, data-i18n-title or data-i18n-label (aria-label) keys; code asks t(key, values). A key missing
 * here shows the key (a test would see it).
 * Labels of node kinds, enum members (agreement kinds, domains, statuses …) and edge types are not here: they are the
 * schema declaration's (qgraph/schema.yaml), which the page embeds as JSON (#qgraph-schema, from
 * qgraph.schema.Schema.client_view) at render time, so the page always shows what the server declares. */

const STRINGS = {
  "app": ["qgraph explorer", "qgraph エクスプローラー"],
  "skip": ["Skip to search", "検索へ移動"],
  "search.label": ["Search entities", "エンティティを検索"],
  "search.placeholder": ["Name or alias, English or 日本語 (産総研, AIST …)", "名称・別名（日本語 / English：産総研、AIST など）"],
  "search.none": ["No entity matches “{q}”.", "「{q}」に一致するエンティティはありません。"],
  "undo": ["Undo", "元に戻す"],
  "fit": ["Fit", "全体表示"],
  "cluster": ["Group by nation", "国ごとにまとめる"],
  "uncluster": ["Ungroup", "まとめを解除"],
  "clear": ["Clear", "消去"],
  "export": ["Export this view", "この表示を書き出す"],
  "export.html": ["HTML map", "HTML 地図"],
  "export.csv": ["CSV (zip)", "CSV（zip）"],
  "export.empty": ["Nothing to export: the canvas shows no entity.", "書き出すものがありません（キャンバスが空です）。"],
  "export.done": ["Exported {file}.", "{file} を書き出しました。"],
  "lang.label": ["Language", "言語"],
  "filters": ["Legend and filters", "凡例と絞り込み"],
  "filters.hint": ["Untick to hide; the canvas follows at once.", "チェックを外すと非表示になり、すぐに反映されます。"],
  "filters.reset": ["Show everything", "すべて表示"],
  "legend.entities": ["Entities", "エンティティ"],
  "legend.agreements": ["Agreement kinds", "協定の種類"],
  "legend.domains": ["Domains", "分野"],
  "legend.frameworks": ["Frameworks", "枠組み"],
  "legend.nations": ["Nations", "国・地域"],
  "legend.none": ["(none)", "（なし）"],
  "legend.mixed": ["Several kinds on one line", "複数の種類を含む線"],
  "legend.context": ["Located in, hosted by … (dashed)", "所在・設置など（破線）"],
  "dates": ["Dates", "日付"],
  "since": ["From", "開始"],
  "until": ["To", "終了"],
  "play": ["Play", "再生"],
  "pause": ["Pause", "一時停止"],
  "dates.reset": ["All dates", "全期間"],
  "dates.undated": ["no dated agreement", "日付のある協定がありません"],
  "canvas": ["Canvas", "キャンバス"],
  "canvas.empty": ["Search for an entity to put it on the canvas. Click a node for its details, double-click to add its partners.", "エンティティを検索してキャンバスに追加します。ノードをクリックすると詳細、ダブルクリックで連携先を追加します。"],
  "counts": ["{shown} of {total} nodes shown · {lines} of {alllines} agreements", "ノード {shown} / {total} 件を表示・協定 {lines} / {alllines} 件"],
  "act.expand": ["Expand", "連携先を展開"],
  "act.hide": ["Hide", "隠す"],
  "act.focus": ["Focus", "中心に表示"],
  "act.paths": ["Paths to…", "経路を探す…"],
  "paths": ["Paths", "経路"],
  "paths.from": ["From", "起点"],
  "paths.to": ["To", "終点"],
  "paths.find": ["Find paths", "経路を探す"],
  "paths.clear": ["Clear paths", "経路を消去"],
  "paths.none": ["No partnership path between {a} and {b} within {hops} agreements for these filters.", "{a} と {b} の間に、この条件で協定 {hops} 件以内の経路はありません。"],
  "paths.found": ["{n} shortest path(s) from {a} to {b}, {hops} agreement(s) each.", "{a} から {b} への最短経路 {n} 件（各 {hops} 協定）。"],
  "paths.copy": ["Copy the briefing", "説明文をコピー"],
  "paths.copied": ["Copied.", "コピーしました。"],
  "paths.briefing": ["Briefing", "説明文（英語）"],
  "unknown": ["No entity called “{q}”.", "「{q}」という名前のエンティティはありません。"],
  "didyoumean": ["Did you mean:", "候補："],
  "ambiguous": ["“{q}” could be:", "「{q}」の候補："],
  "details.kind": ["Kind", "種類"],
  "details.nation": ["Nation", "国・地域"],
  "details.properties": ["Properties", "属性"],
  "details.aliases": ["Also known as", "別名"],
  "details.sources": ["Citations", "出典"],
  "details.agreements": ["Agreements", "協定"],
  "details.parties": ["Parties", "当事者"],
  "details.under": ["Under", "枠組み"],
  "details.relations": ["Relations", "関係"],
  "details.none": ["No agreement on record.", "記録された協定はありません。"],
  "details.more": ["… and {n} more", "… ほか {n} 件"],
  "external": ["external: general knowledge, not in the source document", "外部情報：出典文書にない一般知識"],
  "source": ["Source", "出典"],
  "error.store": ["The graph store cannot be reached right now; the page will work again when it is back. ({detail})", "現在グラフストアに接続できません。復旧すると再び使えます。（{detail}）"],
  "error.request": ["The request failed: {detail}", "リクエストが失敗しました：{detail}"],
  "error.network": ["The server cannot be reached.", "サーバーに接続できません。"],
  "loading": ["Loading…", "読み込み中…"],
  "selected": ["Selected: {name}", "選択中：{name}"],
  "notice.truncated": ["The canvas was cut at its node limit; some partners are missing.", "ノード数の上限に達したため、一部の連携先は表示されていません。"],
  "details.record": ["Open its record", "記録を開く"],
  "history": ["History", "変更履歴"],
  "history.none": ["No recorded change touches it.", "この記録に関わる変更はありません。"],
  "history.undo": ["Undo", "取り消す"],
  "history.undone": ["Undone as changeset {n}.", "変更 {n} として取り消しました。"],
  "edit": ["Edit this record", "この記録を編集"],
  "edit.token": ["Editor token", "編集用トークン"],
  "edit.action": ["Change", "変更の種類"],
  "edit.set": ["Correct a field", "項目を訂正"],
  "edit.add_alias": ["Add an alias", "別名を追加"],
  "edit.add_party": ["Add a party to an agreement", "協定に当事者を追加"],
  "edit.remove_party": ["Remove a party from an agreement", "協定から当事者を削除"],
  "edit.add_agreement": ["Add an agreement with an entity on the canvas", "キャンバス上のエンティティとの協定を追加"],
  "edit.field": ["Field", "項目"],
  "edit.value": ["New value", "新しい値"],
  "edit.alias": ["Alias", "別名"],
  "edit.agreement": ["Agreement", "協定"],
  "edit.party": ["Party (name or id)", "当事者（名称または ID）"],
  "edit.with": ["With", "相手"],
  "edit.kind": ["Kind", "種類"],
  "edit.date": ["Date (YYYY, YYYY-MM or YYYY-MM-DD)", "日付（YYYY、YYYY-MM、YYYY-MM-DD）"],
  "edit.name": ["Name (optional)", "名称（任意）"],
  "edit.citation": ["What it rests on (required)", "根拠（必須）"],
  "edit.cite.doc": ["A passage of a source document", "出典文書の一節"],
  "edit.cite.general": ["General knowledge (marks the record external)", "一般知識（記録を外部情報として示します）"],
  "edit.doc": ["Document id", "文書 ID"],
  "edit.section": ["Section", "節"],
  "edit.quote": ["Verbatim quote", "引用（原文のまま）"],
  "edit.note": ["What general knowledge", "どのような一般知識か"],
  "edit.message": ["Message for the history (optional)", "履歴に残すメッセージ（任意）"],
  "edit.save": ["Save as one changeset", "一つの変更として保存"],
  "edit.saved": ["Saved as changeset {n}.", "変更 {n} として保存しました。"],
  "edit.unchanged": ["Nothing changed: nothing was recorded.", "変更がないため記録されませんでした。"],
  "edit.notoken": ["An editor token is needed to edit.", "編集には編集用トークンが必要です。"],
  "edit.nochoice": ["(nothing to choose on the canvas)", "（キャンバス上に候補がありません）"],
  "edit.refused": ["Not saved: {detail}", "保存されませんでした：{detail}"],
};
const INDEX = { en: 0, ja: 1 };

/** The schema's client view (nodes, enums, edges with {en, ja} labels), read once from the page. */
const SCHEMA = (() => {
  const data = document.getElementById("qgraph-schema");
  return data ? JSON.parse(data.textContent) : { nodes: {}, enums: {}, edges: {} };
})();

let lang = "en";

export function setLang(value) { lang = value === "ja" ? "ja" : "en"; document.documentElement.lang = lang; }
export function getLang() { return lang; }
export function schema() { return SCHEMA; }

/** The string for a key in the current language, with {name} placeholders filled in. */
export function t(key, values) {
  const entry = STRINGS[key];
  if (entry === undefined) return key;
  let s = entry[INDEX[lang]];
  if (values) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  return s;
}

/** The declared label of a node kind ("kind"), its legend entry ("legend"), an edge type ("edge") or a member of
 * the enum named (label("AgreementKind", "mou")), in the current language; the value itself when none is declared. */
export function label(group, value) {
  let names;
  if (group === "kind" || group === "legend") names = (SCHEMA.nodes[value] || {})[group === "kind" ? "label" : "legend"];
  else if (group === "edge") names = (SCHEMA.edges[value] || {}).label;
  else names = ((SCHEMA.enums[group] || {})[value] || {}).label;
  return names ? names[lang] || names.en : String(value);
}

/** What the declaration calls a kind's field ("Founded" / "設立"); the field's name, spaced, when it declares none. */
export function fieldLabel(kind, field) {
  const names = (((SCHEMA.nodes[kind] || {}).fields) || {})[field];
  return names ? names[lang] || names.en : String(field).replace(/_/g, " ");
}

/** The label of a record's field value when the field holds enum members (an institution's type), else null. */
export function valueLabel(kind, field, value) {
  const enumName = ((SCHEMA.nodes[kind] || {}).enums || {})[field];
  if (!enumName) return null;
  return Array.isArray(value) ? value.map((v) => label(enumName, v)).join(", ") : label(enumName, value);
}

/** Put the current language's strings into every marked element under root. */
export function applyI18n(root) {
  root.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.getAttribute("data-i18n")); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((e) => {
    e.setAttribute("placeholder", t(e.getAttribute("data-i18n-placeholder")));
  });
  root.querySelectorAll("[data-i18n-title]").forEach((e) => { e.setAttribute("title", t(e.getAttribute("data-i18n-title"))); });
  root.querySelectorAll("[data-i18n-label]").forEach((e) => { e.setAttribute("aria-label", t(e.getAttribute("data-i18n-label"))); });
}

export const KEYS = Object.keys(STRINGS);
