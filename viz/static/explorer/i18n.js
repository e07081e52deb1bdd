/* Every UI string of the explorer in English and Japanese. Elements carry data-i18n (textContent),
 * data-i18n-placeholder or data-i18n-title keys; code asks t(key, values). A key missing in Japanese falls back to
 * English, a key missing in both shows the key (a test would see it). */

const STRINGS = {
  en: {
    "app": "qgraph explorer",
    "skip": "Skip to search",
    "search.label": "Search entities",
    "search.placeholder": "Name or alias, English or 日本語 (産総研, AIST …)",
    "search.none": "No entity matches “{q}”.",
    "undo": "Undo", "fit": "Fit", "cluster": "Group by nation", "uncluster": "Ungroup", "clear": "Clear",
    "export": "Export this view", "export.html": "HTML map", "export.csv": "CSV (zip)",
    "export.empty": "Nothing to export: the canvas shows no entity.",
    "export.done": "Exported {file}.",
    "lang.label": "Language",
    "filters": "Legend and filters", "filters.hint": "Untick to hide; the canvas follows at once.",
    "filters.reset": "Show everything",
    "legend.entities": "Entities", "legend.agreements": "Agreement kinds", "legend.domains": "Domains",
    "legend.frameworks": "Frameworks", "legend.nations": "Nations", "legend.none": "(none)",
    "legend.mixed": "Several kinds on one line", "legend.context": "Located in, hosted by … (dashed)",
    "dates": "Dates", "since": "From", "until": "To", "play": "Play", "pause": "Pause", "dates.reset": "All dates",
    "dates.undated": "no dated agreement",
    "canvas": "Canvas",
    "canvas.empty": "Search for an entity to put it on the canvas. Click a node for its details, double-click to add its partners.",
    "counts": "{shown} of {total} nodes shown · {lines} of {alllines} agreements",
    "act.expand": "Expand", "act.hide": "Hide", "act.focus": "Focus", "act.paths": "Paths to…",
    "paths": "Paths", "paths.from": "From", "paths.to": "To", "paths.find": "Find paths", "paths.clear": "Clear paths",
    "paths.none": "No partnership path between {a} and {b} within {hops} agreements for these filters.",
    "paths.found": "{n} shortest path(s) from {a} to {b}, {hops} agreement(s) each.",
    "paths.copy": "Copy the briefing", "paths.copied": "Copied.",
    "paths.briefing": "Briefing",
    "unknown": "No entity called “{q}”.", "didyoumean": "Did you mean:", "ambiguous": "“{q}” could be:",
    "details.kind": "Kind", "details.nation": "Nation", "details.properties": "Properties",
    "details.aliases": "Also known as", "details.sources": "Citations", "details.agreements": "Agreements",
    "details.parties": "Parties", "details.under": "Under", "details.relations": "Relations",
    "details.none": "No agreement on record.",
    "details.more": "… and {n} more",
    "external": "external: general knowledge, not in the source document",
    "source": "Source",
    "error.store": "The graph store cannot be reached right now; the page will work again when it is back. ({detail})",
    "error.request": "The request failed: {detail}",
    "error.network": "The server cannot be reached.",
    "loading": "Loading…",
    "selected": "Selected: {name}",
    "notice.truncated": "The canvas was cut at its node limit; some partners are missing.",
    "kind.Nation": "Nation", "kind.Institution": "Institution", "kind.Hub": "Innovation hub", "kind.Facility": "Facility",
    "kind.Strategy": "Strategy", "kind.Framework": "Framework", "kind.Agreement": "Agreement (3+ parties)",
    "akind.mou": "MOU", "akind.moc": "MOC", "akind.alliance": "Alliance", "akind.joint-statement": "Joint statement",
    "akind.cooperation-document": "Cooperation document", "akind.agreement": "Agreement",
    "akind.letter-of-intent": "Letter of intent", "akind.other": "Other",
    "domain.computing": "Computing", "domain.security-network": "Security and networks",
    "domain.sensing-materials": "Sensing and materials", "domain.education": "Education", "domain.industry": "Industry",
  },
  ja: {
    "app": "qgraph エクスプローラー",
    "skip": "検索へ移動",
    "search.label": "エンティティを検索",
    "search.placeholder": "名称・別名（日本語 / English：産総研、AIST など）",
    "search.none": "「{q}」に一致するエンティティはありません。",
    "undo": "元に戻す", "fit": "全体表示", "cluster": "国ごとにまとめる", "uncluster": "まとめを解除", "clear": "消去",
    "export": "この表示を書き出す", "export.html": "HTML 地図", "export.csv": "CSV（zip）",
    "export.empty": "書き出すものがありません（キャンバスが空です）。",
    "export.done": "{file} を書き出しました。",
    "lang.label": "言語",
    "filters": "凡例と絞り込み", "filters.hint": "チェックを外すと非表示になり、すぐに反映されます。",
    "filters.reset": "すべて表示",
    "legend.entities": "エンティティ", "legend.agreements": "協定の種類", "legend.domains": "分野",
    "legend.frameworks": "枠組み", "legend.nations": "国・地域", "legend.none": "（なし）",
    "legend.mixed": "複数の種類を含む線", "legend.context": "所在・設置など（破線）",
    "dates": "日付", "since": "開始", "until": "終了", "play": "再生", "pause": "一時停止", "dates.reset": "全期間",
    "dates.undated": "日付のある協定がありません",
    "canvas": "キャンバス",
    "canvas.empty": "エンティティを検索してキャンバスに追加します。ノードをクリックすると詳細、ダブルクリックで連携先を追加します。",
    "counts": "ノード {shown} / {total} 件を表示・協定 {lines} / {alllines} 件",
    "act.expand": "連携先を展開", "act.hide": "隠す", "act.focus": "中心に表示", "act.paths": "経路を探す…",
    "paths": "経路", "paths.from": "起点", "paths.to": "終点", "paths.find": "経路を探す", "paths.clear": "経路を消去",
    "paths.none": "{a} と {b} の間に、この条件で協定 {hops} 件以内の経路はありません。",
    "paths.found": "{a} から {b} への最短経路 {n} 件（各 {hops} 協定）。",
    "paths.copy": "説明文をコピー", "paths.copied": "コピーしました。",
    "paths.briefing": "説明文（英語）",
    "unknown": "「{q}」という名前のエンティティはありません。", "didyoumean": "候補：", "ambiguous": "「{q}」の候補：",
    "details.kind": "種類", "details.nation": "国・地域", "details.properties": "属性",
    "details.aliases": "別名", "details.sources": "出典", "details.agreements": "協定",
    "details.parties": "当事者", "details.under": "枠組み", "details.relations": "関係",
    "details.none": "記録された協定はありません。",
    "details.more": "… ほか {n} 件",
    "external": "外部情報：出典文書にない一般知識",
    "source": "出典",
    "error.store": "現在グラフストアに接続できません。復旧すると再び使えます。（{detail}）",
    "error.request": "リクエストが失敗しました：{detail}",
    "error.network": "サーバーに接続できません。",
    "loading": "読み込み中…",
    "selected": "選択中：{name}",
    "notice.truncated": "ノード数の上限に達したため、一部の連携先は表示されていません。",
    "kind.Nation": "国・地域", "kind.Institution": "機関", "kind.Hub": "量子技術イノベーション拠点", "kind.Facility": "施設",
    "kind.Strategy": "戦略", "kind.Framework": "枠組み", "kind.Agreement": "協定（3者以上）",
    "akind.mou": "覚書（MOU）", "akind.moc": "協力覚書（MOC）", "akind.alliance": "アライアンス",
    "akind.joint-statement": "共同声明", "akind.cooperation-document": "協力文書", "akind.agreement": "協定",
    "akind.letter-of-intent": "意向表明書", "akind.other": "その他",
    "domain.computing": "量子コンピュータ", "domain.security-network": "量子セキュリティ・ネットワーク",
    "domain.sensing-materials": "量子計測・センシング／量子マテリアル", "domain.education": "人材育成", "domain.industry": "産業化",
  },
};

let lang = "en";

export function setLang(value) { lang = value === "ja" ? "ja" : "en"; document.documentElement.lang = lang; }
export function getLang() { return lang; }

/** The string for a key in the current language, with {name} placeholders filled in. */
export function t(key, values) {
  let s = STRINGS[lang][key];
  if (s === undefined) s = STRINGS.en[key];
  if (s === undefined) return key;
  if (values) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  return s;
}

/** A kind, agreement kind or domain label, or the value itself when no label is known. */
export function label(prefix, value) {
  const key = prefix + "." + value;
  return STRINGS.en[key] === undefined ? String(value) : t(key);
}

/** Put the current language's strings into every marked element under root. */
export function applyI18n(root) {
  root.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.getAttribute("data-i18n")); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((e) => {
    e.setAttribute("placeholder", t(e.getAttribute("data-i18n-placeholder")));
  });
  root.querySelectorAll("[data-i18n-title]").forEach((e) => { e.setAttribute("title", t(e.getAttribute("data-i18n-title"))); });
}

export const KEYS = { en: Object.keys(STRINGS.en), ja: Object.keys(STRINGS.ja) };
