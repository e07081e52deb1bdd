/* The qgraph explorer: one canvas driven by the JSON API.
 *
 * Invariants:
 * - text from the data reaches the page only through textContent or attribute values set with setAttribute, never
 *   innerHTML; tooltips are DOM elements built here. A name such as <img src=x onerror=...> shows as text.
 * - the canvas is a function of the state (entities, expansions already folded in, filters, path, language,
 *   selection); the state lives in the URL (pushState on canvas changes, replaceState on filter moves), so a link
 *   reproduces the view and the back button works. `/?focus=X` and `/?source=A&target=B` are entry points.
 * - every request goes to this origin (the page's Content-Security-Policy allows nothing else).
 * window.qgraph exposes the network, the data sets and a few actions for tests and the benchmark.
 */
import { ApiError, get, post, postAs, resolve, suggest } from "./api.js";
import { applyI18n, fieldLabel, getLang, label, schema, setLang, t, valueLabel } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const qgraph = window.qgraph = { stable: false, stableAt: null, ready: false };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// ------------------------------------------------------------------------------------------------ state and URL

const state = {
  entities: [],          // ids on the canvas, in the order they came
  sel: null,             // selected node id
  path: null,            // {source, target} when paths are shown
  lang: "en",
  off: { kind: new Set(), akind: new Set(), domain: new Set(), framework: new Set(), nation: new Set() },
  since: null, until: null,   // "YYYY-MM"
  cluster: false,
};
const OFF_PARAMS = { kind: "xk", akind: "xa", domain: "xd", framework: "xf", nation: "xn" };

function toQuery() {
  const p = new URLSearchParams();
  if (state.entities.length) p.set("e", state.entities.join(","));
  if (state.sel) p.set("sel", state.sel);
  if (state.path) { p.set("from", state.path.source); p.set("to", state.path.target); }
  if (state.lang !== "en") p.set("lang", state.lang);
  Object.entries(OFF_PARAMS).forEach(([k, name]) => { if (state.off[k].size) p.set(name, [...state.off[k]].sort().join(",")); });
  if (state.since) p.set("since", state.since);
  if (state.until) p.set("until", state.until);
  if (state.cluster) p.set("cluster", "nation");
  return p.toString();
}

function fromQuery(search) {
  const p = new URLSearchParams(search);
  const list = (name) => (p.get(name) || "").split(",").map((s) => s.trim()).filter(Boolean);
  state.entities = list("e");
  state.sel = p.get("sel") || null;
  state.path = p.get("from") && p.get("to") ? { source: p.get("from"), target: p.get("to") } : null;
  state.lang = p.get("lang") === "ja" ? "ja" : "en";
  Object.entries(OFF_PARAMS).forEach(([k, name]) => { state.off[k] = new Set(list(name)); });
  const month = (v) => (/^\d{4}-\d{2}$/.test(v || "") ? v : null);
  state.since = month(p.get("since"));
  state.until = month(p.get("until"));
  state.cluster = p.get("cluster") === "nation";
  return { focus: p.get("focus"), source: p.get("source"), target: p.get("target") };
}

function saveUrl(push) {
  const url = location.pathname + (toQuery() ? "?" + toQuery() : "");
  if (url === location.pathname + location.search) return;
  if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
}

// ------------------------------------------------------------------------------------------------ messages

function banner(text) {
  const b = $("banner");
  b.textContent = text || "";
  b.hidden = !text;
}

function report(err) {
  if (err && err.name === "AbortError") return;
  if (err instanceof ApiError && err.outage) banner(err.status ? t("error.store", { detail: err.detail }) : t("error.network"));
  else banner(t("error.request", { detail: err instanceof ApiError ? err.detail : String(err) }));
}

// ------------------------------------------------------------------------------------------------ network

let network = null;
const nodes = new vis.DataSet();
const edges = new vis.DataSet();
let drawn = { agreements: {}, tips: { node: {}, edge: {} }, legend: null, original: {} };
const undoStack = [];

function tipElement(tip) {
  const box = el("div", "tip");
  box.appendChild(el("div", "tip-title", tip.title));
  if (tip.alt) box.appendChild(el("div", "tip-alt", tip.alt));
  if (tip.sub) box.appendChild(el("div", "tip-sub", tip.sub));
  (tip.agreements || []).slice(0, 4).forEach((a) => {
    box.appendChild(el("div", "tip-fact", [a.name, label("AgreementKind", a.kind), a.date || "—"].join(" · ")));
  });
  return box;
}

function markStable() {
  if (qgraph.stable) return;
  qgraph.stable = true;
  qgraph.stableAt = performance.now();
  document.body.setAttribute("data-stable", "true");
}

function unstable() {
  qgraph.stable = false;
  document.body.setAttribute("data-stable", "false");
}

function createNetwork(options) {
  network = new vis.Network($("canvas"), { nodes, edges }, options);
  qgraph.network = network;
  network.on("click", (p) => {
    if (p.nodes.length) {
      const id = p.nodes[0];
      if (network.isCluster(id)) return;
      select(id, true);
    } else if (p.edges.length) {
      showLine(p.edges[0]);
    }
  });
  network.on("doubleClick", (p) => {
    if (!p.nodes.length) return;
    const id = p.nodes[0];
    if (network.isCluster(id)) { network.openCluster(id); return; }
    expand(id);
  });
  // vis-network hit-tests every node and every line on each mousemove to find what is hovered, during a pan too (on
  // 5,570 nodes and 17,604 lines about 5 ms a move, and a fast pan sends more than one move a frame). While a button
  // is held, the move is kept from that handler (the pan follows pointer events, not this one), unless a tooltip is
  // showing: the handler moves it along with the pointer, or hides it.
  $("canvas").addEventListener("mousemove", (e) => { if (e.buttons && !tooltipShown()) e.stopPropagation(); }, true);
  network.on("hoverNode", (p) => fillTip("node", p.node));
  network.on("hoverEdge", (p) => fillTip("edge", p.edge));
  // vis-network picks the popup's item by its own hit test, which for crossing lines may name another one
  network.on("showPopup", (id) => { if (tipFor.kind && id !== tipFor.id) fillTip(tipFor.kind, id); });
}

/* One tooltip element for the whole canvas, filled with the tip of whatever the pointer is over. Giving each item its
 * own element meant a DataSet update per newly hovered item, which vis-network answers by re-indexing the whole
 * canvas and, with physics off, drawing it again at once ("startSimulation" redraws synchronously): on a canvas of
 * 5,000 nodes every node or line newly under the pointer cost a second drawing of the canvas. */
const sharedTip = el("div", "tip");
const tipFor = { kind: null, id: null };

function fillTip(kind, id) {
  const tip = drawn.tips[kind][id];
  if (!tip) return;
  sharedTip.replaceChildren(...tipElement(tip).childNodes);
  tipFor.kind = kind;
  tipFor.id = id;
}

function tooltipShown() {
  const popup = $("canvas").querySelector(".vis-tooltip");
  return !!popup && popup.style.visibility === "visible";
}

/* vis-network 9.1.2 draws every node's fill and border between ctx.save() and ctx.restore() (two pairs per node), which
 * only shadows and dashed borders need; our nodes have neither. On a canvas of 5,570 nodes those 11,000 pairs cost
 * more than the fills themselves (a CPU profile of pan frames at 100k entities: save() alone 17 % of the renderer's
 * time, most of it the save() that follows a fill). This replaces the one method of vis's node base class that does
 * it with one that fills and strokes the same path with the same colours and widths and leaves the context as the
 * original does (initContextForDraw has already set fillStyle to the node's colour); a node with a shadow or a dashed
 * border still goes through the original. Applied once, only if the method is the one we expect (`qgraph.fastFill`
 * says whether it was; a test compares the pixels both draw). */
function fastFill() {
  const any = network && Object.values(network.body.nodes)[0];
  if (qgraph.fastFill || !any) return;
  let base = Object.getPrototypeOf(any.shape);
  while (base && !Object.prototype.hasOwnProperty.call(base, "performFill")) base = Object.getPrototypeOf(base);
  const fill = base && base.performFill, stroke = base && base.performStroke;
  if (!fill || !stroke || !/save\(\).*enableShadow.*restore\(\).*performStroke/.test(String(fill))
      || !/save\(\).*enableBorderDashes.*stroke\(\).*restore\(\)/.test(String(stroke))) {
    qgraph.fastFill = false;
    return;
  }
  base.performFill = Object.assign(function (ctx, values) {
    if (values.shadow || values.borderDashes !== false) { fill.call(this, ctx, values); return; }
    ctx.fillStyle = values.color;
    ctx.fill();
    if (values.borderWidth / this.body.view.scale > 0) ctx.stroke();
  }, { original: fill });  // for the test that compares their pixels
  qgraph.fastFill = true;
}

/** Ask the server for the canvas of these entities (plus expansions) and draw it, keeping positions. */
async function draw(expandIds, anchor) {
  unstable();
  if (!state.entities.length && !(expandIds || []).length) {
    nodes.clear(); edges.clear();
    drawn = { agreements: {}, tips: { node: {}, edge: {} }, legend: null, original: {} };
    $("canvas-help").hidden = false;
    buildLegend();
    apply();
    markStable();
    return;
  }
  const resp = await post("/explorer/graph", {
    entities: state.entities, expand: expandIds || [], lang: state.lang, filters: expandFilters(),
  });
  banner("");
  state.entities = resp.entities;
  qgraph.last = { title: resp.title, truncated: resp.truncated, physics: resp.physics };
  const old = network ? network.getPositions() : {};
  const at = anchor && old[anchor];
  const tips = { node: {}, edge: {} };
  const original = {};
  const nodeList = resp.data.nodes.map((n) => {
    tips.node[n.id] = n.tip;
    const copy = Object.assign({}, n);
    delete copy.tip;
    if (n.tip) copy.title = sharedTip;
    original[n.id] = { color: n.color, font: null };
    if (old[n.id] && resp.physics) { copy.x = old[n.id].x; copy.y = old[n.id].y; }
    else if (at && resp.physics) { copy.x = at.x + (Math.random() - 0.5) * 80; copy.y = at.y + (Math.random() - 0.5) * 80; }
    return copy;
  });
  const edgeList = resp.data.edges.map((e) => {
    tips.edge[e.id] = e.tip;
    const copy = Object.assign({}, e);
    delete copy.tip;
    if (e.tip) copy.title = sharedTip;
    // a large canvas (physics off) draws thin lines: a wide line costs more to stroke on every pan and zoom frame
    if (!resp.physics && copy.width > 2) copy.width = 2;
    original["edge:" + e.id] = { color: e.color };
    return copy;
  });
  drawn = { agreements: resp.agreements, tips, legend: resp.legend, original, notices: resp.notices, names: resp.names };
  const base = resp.data.options;
  const options = Object.assign({}, base, {
    // past the physics limit, labels without their white halo: stroking every label doubles the text cost per frame
    nodes: resp.physics ? base.nodes : Object.assign({}, base.nodes, { font: Object.assign({}, base.nodes.font, { strokeWidth: 0 }) }),
    interaction: Object.assign({}, resp.data.options.interaction, { keyboard: { enabled: true, bindToWindow: false }, multiselect: false }),
  });
  if (!network) createNetwork(options); else network.setOptions(options);
  const keep = new Set(nodeList.map((n) => n.id));
  nodes.remove(nodes.getIds().filter((id) => !keep.has(id)));
  edges.clear();
  nodes.update(nodeList);
  edges.add(edgeList);
  fastFill();
  $("canvas-help").hidden = nodeList.length > 0;
  $("notices").textContent = [resp.truncated ? t("notice.truncated") : "", ...(resp.notices || [])].filter(Boolean).join(" ");
  buildLegend();
  apply();
  if (resp.physics && nodeList.length) {
    network.stabilize(120);
    network.fit();
  } else if (!Object.keys(old).length || !at) network.fit();
  if (state.cluster) clusterByNation(true);
  network.redraw();
  markStable();
}

function expandFilters() {
  const f = {};
  if (state.since) f.since = state.since;
  if (state.until) f.until = state.until;
  const kinds = allKinds().filter((k) => !state.off.akind.has(k));
  if (state.off.akind.size && kinds.length) f.kind = kinds;
  return f;
}

/** Every agreement kind the schema declares (the page's filters and the server's know the same ones). */
function allKinds() { return Object.keys(schema().enums.AgreementKind || {}); }

// ------------------------------------------------------------------------------------------------ canvas changes

function snapshot() { return { entities: state.entities.slice(), path: state.path, sel: state.sel }; }

async function change(mutate, expandIds, anchor) {
  undoStack.push(snapshot());
  if (undoStack.length > 50) undoStack.shift();
  $("undo").disabled = false;
  mutate();
  saveUrl(true);
  try {
    await draw(expandIds, anchor);
    saveUrl(false);  // the server may have added partners: the URL names them all
    if (state.path) await showPaths(false);
  } catch (err) { report(err); markStable(); }
}

async function undo() {
  const prev = undoStack.pop();
  $("undo").disabled = !undoStack.length;
  if (!prev) return;
  state.entities = prev.entities; state.path = prev.path; state.sel = prev.sel;
  saveUrl(true);
  try { await draw(); await afterDraw(); } catch (err) { report(err); }
}

async function afterDraw() {
  if (state.path) await showPaths(false); else clearHighlight();
  if (state.sel && nodes.get(state.sel)) await showDetails(state.sel); else hideDetails();
}

async function add(id) {
  if (state.entities.includes(id)) { await select(id, true); focusOn(id); return; }
  await change(() => { state.entities = state.entities.concat([id]); state.sel = id; });
  await select(id, false);
  focusOn(id);
}

async function expand(id) {
  await change(() => { if (!state.entities.includes(id)) state.entities.push(id); state.sel = id; }, [id], id);
  await select(id, false);
}

async function hide(id) {
  await change(() => {
    state.entities = state.entities.filter((x) => x !== id);
    if (state.sel === id) state.sel = null;
  });
  if (!state.sel) hideDetails();
}

function focusOn(id) {
  if (!network || !nodes.get(id)) return;
  network.selectNodes([id]);
  network.focus(id, { scale: Math.max(1.0, network.getScale()), animation: { duration: 300, easingFunction: "easeInOutQuad" } });
}

qgraph.add = add; qgraph.expand = expand; qgraph.hide = hide; qgraph.undo = undo;
qgraph.load = async (ids) => { await change(() => { state.entities = ids.slice(); }); };

// ------------------------------------------------------------------------------------------------ filters

function span(month, end) {
  if (!month) return null;
  if (!end) return month + "-01";
  const [y, m] = month.split("-").map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return month + "-" + String(last).padStart(2, "0");
}

function agreementPasses(id) {
  const a = drawn.agreements[id];
  if (!a) return true;
  if (state.off.akind.has(a.kind)) return false;
  if (state.off.domain.size && a.domains.length && a.domains.every((d) => state.off.domain.has(d))) return false;
  if (state.off.framework.has(a.framework ? a.framework.id : "none")) return false;
  const since = span(state.since, false), until = span(state.until, true);
  if (since && !(a.to && a.to >= since)) return false;
  if (until && !(a.from && a.from <= until)) return false;
  return true;
}

function nodeHidden(n) {
  if (state.off.kind.has(n.kind)) return true;
  if (n.kind !== "Nation" && n.nation && state.off.nation.has(n.nation)) return true;
  if (n.kind === "Nation" && state.off.nation.has(n.id)) return true;
  if (n.kind === "Agreement" && !agreementPasses(n.id)) return true;
  return false;
}

/** Which agreement ids a line stands for that pass the filters. */
function passingItems(e) { return (e.items || []).filter((it) => agreementPasses(it.id)); }

function apply() {
  const hidden = {}, nodeChanges = [], edgeChanges = [];
  let shown = 0;
  nodes.forEach((n) => {
    const h = nodeHidden(n);
    hidden[n.id] = h;
    if (!h) shown++;
    if (!!n.hidden !== h) nodeChanges.push({ id: n.id, hidden: h });
  });
  const visibleAgreements = new Set();
  edges.forEach((e) => {
    let h = hidden[e.from] || hidden[e.to];
    if (!h && e.items && e.items.length) {
      const pass = passingItems(e);
      h = pass.length === 0;
      if (!h) pass.forEach((it) => visibleAgreements.add(it.id));
    }
    if (!!e.hidden !== h) edgeChanges.push({ id: e.id, hidden: h });
  });
  if (nodeChanges.length) nodes.update(nodeChanges);
  if (edgeChanges.length) edges.update(edgeChanges);
  qgraph.visibleNodes = shown;
  qgraph.visibleAgreements = [...visibleAgreements].sort();
  $("counts").textContent = t("counts", { shown, total: nodes.length, lines: visibleAgreements.size,
                                           alllines: Object.keys(drawn.agreements).length });
  syncDates();
}
qgraph.apply = apply;

function swatch(shape, colour) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", "14"); svg.setAttribute("height", "14"); svg.setAttribute("viewBox", "-8 -8 16 16");
  svg.setAttribute("aria-hidden", "true");
  const pts = {
    diamond: "0,-7 7,0 0,7 -7,0", triangle: "0,-7 6.5,5.5 -6.5,5.5", triangleDown: "0,7 6.5,-5.5 -6.5,-5.5",
    hexagon: "7,0 3.5,6 -3.5,6 -7,0 -3.5,-6 3.5,-6",
    star: "0,-7 1.8,-2.4 6.7,-2.2 2.9,0.9 4.2,5.7 0,3 -4.2,5.7 -2.9,0.9 -6.7,-2.2 -1.8,-2.4",
  };
  let shapeEl;
  if (shape === "line" || shape === "dashed") {
    shapeEl = document.createElementNS(NS, "line");
    [["x1", "-7"], ["y1", "0"], ["x2", "7"], ["y2", "0"], ["stroke", colour], ["stroke-width", shape === "line" ? "3.2" : "1.6"]]
      .forEach(([k, v]) => shapeEl.setAttribute(k, v));
    if (shape === "dashed") shapeEl.setAttribute("stroke-dasharray", "3 2");
  } else if (shape === "square") {
    shapeEl = document.createElementNS(NS, "rect");
    [["x", "-5.5"], ["y", "-5.5"], ["width", "11"], ["height", "11"]].forEach(([k, v]) => shapeEl.setAttribute(k, v));
  } else if (pts[shape]) {
    shapeEl = document.createElementNS(NS, "polygon");
    shapeEl.setAttribute("points", pts[shape]);
  } else {
    shapeEl = document.createElementNS(NS, "circle");
    shapeEl.setAttribute("r", "6");
  }
  if (shape !== "line" && shape !== "dashed") {
    shapeEl.setAttribute("fill", colour); shapeEl.setAttribute("stroke", "#333"); shapeEl.setAttribute("stroke-width", ".8");
  }
  svg.appendChild(shapeEl);
  return svg;
}

function legendItem(group, value, text, count, shape, colour) {
  const li = el("li");
  const id = "f-" + group + "-" + String(value).replace(/[^A-Za-z0-9_-]/g, "_");
  const box = el("input");
  box.type = "checkbox";
  box.id = id;
  box.checked = !state.off[group].has(value);
  box.setAttribute("data-filter", group);
  box.setAttribute("data-value", value);
  box.addEventListener("change", () => {
    if (box.checked) state.off[group].delete(value); else state.off[group].add(value);
    saveUrl(false);
    apply();
    refreshPaths();
  });
  const lab = el("label");
  lab.htmlFor = id;
  if (shape) lab.appendChild(swatch(shape, colour));
  lab.appendChild(el("span", "name", text));
  if (count !== undefined) lab.appendChild(el("span", "count", count));
  li.append(box, lab);
  return li;
}

function buildLegend() {
  const lg = drawn.legend || { entities: [], agreements: [] };
  const ents = $("legend-entities"), aks = $("legend-agreements");
  ents.replaceChildren(...lg.entities.map((k) => legendItem("kind", k.kind, label("legend", k.kind), k.count, k.shape, k.colour)));
  aks.replaceChildren(...lg.agreements.map((k) => legendItem("akind", k.kind, label("AgreementKind", k.kind), k.count, "line", k.colour)));
  [[lg.mixed, "line", "legend.mixed"], [lg.context, "dashed", "legend.context"]].forEach(([colour, shape, key]) => {
    if (!colour) return;
    const li = el("li", "legend-note");
    li.append(swatch(shape, colour), el("span", "name", t(key)));
    aks.appendChild(li);
  });
  const list = Object.values(drawn.agreements);
  const domains = {}, frameworks = {}, nations = {};
  list.forEach((a) => {
    a.domains.forEach((d) => { domains[d] = (domains[d] || 0) + 1; });
    const f = a.framework ? a.framework.id : "none";
    frameworks[f] = frameworks[f] || { n: 0, ref: a.framework };
    frameworks[f].n++;
  });
  nodes.forEach((n) => {
    const code = n.kind === "Nation" ? n.id : n.nation;
    if (code) nations[code] = (nations[code] || 0) + 1;
  });
  $("legend-domains").replaceChildren(...Object.keys(domains).sort().map((d) => legendItem("domain", d, label("Domain", d), domains[d])));
  $("legend-frameworks").replaceChildren(...Object.keys(frameworks).sort().map((f) => {
    const ref = frameworks[f].ref;
    const name = ref ? (state.lang === "ja" && ref.name_ja ? ref.name_ja : ref.name) : t("legend.none");
    return legendItem("framework", f, name, frameworks[f].n);
  }));
  $("legend-nations").replaceChildren(...Object.keys(nations).sort().map((c) => legendItem("nation", c, c.toUpperCase(), nations[c])));
  buildDates();
}

// ------------------------------------------------------------------------------------------------ dates and timeline

let months = [];
function monthOf(iso) { return iso ? iso.slice(0, 7) : null; }
function nextMonth(m) {
  let [y, mo] = m.split("-").map(Number);
  mo += 1; if (mo > 12) { mo = 1; y += 1; }
  return y + "-" + String(mo).padStart(2, "0");
}

function buildDates() {
  const dated = Object.values(drawn.agreements).flatMap((a) => [monthOf(a.from), monthOf(a.to)]).filter(Boolean).sort();
  months = [];
  if (dated.length) {
    for (let m = dated[0]; m <= dated[dated.length - 1]; m = nextMonth(m)) months.push(m);
  }
  [["since", 0], ["until", Math.max(0, months.length - 1)]].forEach(([which]) => {
    const input = $(which);
    input.max = String(Math.max(0, months.length - 1));
    input.disabled = months.length === 0;
  });
  syncDates();
}

function syncDates() {
  const since = $("since"), until = $("until");
  if (!months.length) {
    $("since-out").textContent = state.since || t("dates.undated");
    $("until-out").textContent = state.until || "";
    return;
  }
  const idx = (m, dflt) => {
    if (!m) return dflt;
    let i = months.indexOf(m);
    if (i < 0) i = m < months[0] ? 0 : months.length - 1;
    return i;
  };
  since.value = String(idx(state.since, 0));
  until.value = String(idx(state.until, months.length - 1));
  $("since-out").textContent = months[+since.value];
  $("until-out").textContent = months[+until.value];
  since.setAttribute("aria-valuetext", months[+since.value]);
  until.setAttribute("aria-valuetext", months[+until.value]);
}

function onRange(which) {
  const i = +$(which).value;
  const m = months[i] || null;
  if (which === "since") state.since = i === 0 ? null : m;
  else state.until = i === months.length - 1 ? null : m;
  if (state.since && state.until && state.since > state.until) {
    if (which === "since") state.until = state.since; else state.since = state.until;
  }
  saveUrl(false);
  apply();
  refreshPaths();
}

qgraph.months = () => months.slice();

/** Set the date range by months ("2024-01"); null for open ends. For tests and the URL alike. */
qgraph.setDates = (since, until) => { state.since = since; state.until = until; saveUrl(false); apply(); };

let playing = null;
function play() {
  if (playing) { stopPlay(); return; }
  if (!months.length) return;
  const button = $("play");
  button.setAttribute("aria-pressed", "true");
  button.textContent = t("pause");
  let i = state.until ? Math.max(0, months.indexOf(state.until)) : 0;
  if (i >= months.length - 1) i = 0;
  state.until = months[i];
  apply();
  playing = setInterval(() => {
    i += 1;
    const last = i >= months.length - 1;
    state.until = last ? null : months[i];
    if (last) stopPlay();  // the whole range is shown: stop there
    saveUrl(false);
    apply();
  }, 400);
}
function stopPlay() {
  clearInterval(playing);
  playing = null;
  $("play").setAttribute("aria-pressed", "false");
  $("play").textContent = t("play");
}

// ------------------------------------------------------------------------------------------------ details panel

let detailsToken = 0;

function hideDetails() {
  $("details").hidden = true;
}

async function select(id, push) {
  if (push && state.sel !== id) { state.sel = id; saveUrl(true); } else state.sel = id;
  if (network && nodes.get(id)) network.selectNodes([id]);
  await showDetails(id);
}

function nameOf(ref) {
  if (!ref) return "";
  return state.lang === "ja" && ref.name_ja ? ref.name_ja : ref.name;
}
function otherName(ref) {
  if (!ref) return null;
  const other = state.lang === "ja" ? ref.name : ref.name_ja;
  return other && other !== nameOf(ref) ? other : null;
}

/** A party: a reference ({id, name, name_ja}) from the API, or an id named by the canvas (drawn.names). */
function partyName(p) {
  if (p && typeof p === "object") return nameOf(p);
  const n = drawn.names && drawn.names[p];
  return n ? nameOf({ name: n[0], name_ja: n[1] }) : String(p);
}

function citation(c) {
  const box = el("blockquote", "cite");
  const where = [c.document, c.section, c.footnote ? "footnote " + c.footnote : null].filter(Boolean).join(", ");
  box.appendChild(el("p", "quote", c.quote));
  box.appendChild(el("footer", "where", t("source") + ": " + where));
  return box;
}

function externalBadge(note) {
  const b = el("p", "external", "⚠ " + t("external") + (note ? " — " + note : ""));
  b.setAttribute("data-external", "true");
  return b;
}

function agreementBlock(a, shownId) {
  const li = el("li", "agreement");
  li.setAttribute("data-agreement", a.id);
  li.appendChild(el("div", "a-name", state.lang === "ja" && a.name_ja ? a.name_ja : a.name));
  if (a.id !== shownId) {
    // the agreement's own record: its properties, history and edit form (a two-party agreement is a line, no node)
    const open = el("button", "open-record", t("details.record"));
    open.type = "button";
    open.addEventListener("click", () => showDetails(a.id));
    li.appendChild(open);
  }
  li.appendChild(el("div", "a-meta", [label("AgreementKind", a.kind), a.date || "—", a.status ? label("AgreementStatus", a.status) : null].filter(Boolean).join(" · ")));
  if (a.parties && a.parties.length) li.appendChild(el("div", "a-parties", t("details.parties") + ": " + a.parties.map(partyName).join(", ")));
  if (a.framework) li.appendChild(el("div", "a-parties", t("details.under") + ": " + nameOf(a.framework)));
  if (a.external || !(a.sources || []).length) li.appendChild(externalBadge(a.external_note));
  (a.sources || []).forEach((c) => li.appendChild(citation(c)));
  return li;
}

async function showDetails(id) {
  const token = ++detailsToken;
  const panel = $("details");
  let detail;
  try { detail = await get("/entities/" + encodeURIComponent(id)); } catch (err) { report(err); return; }
  let agreements = [];
  if (detail.entity.kind === "Agreement") {
    agreements = drawn.agreements[id] ? [drawn.agreements[id]] : [];
  } else {
    try {
      const partners = await get("/entities/" + encodeURIComponent(id) + "/partners");
      const seen = {};
      partners.partners.forEach((p) => p.agreements.forEach((a) => { if (!seen[a.id]) { seen[a.id] = true; agreements.push(a); } }));
      agreements.sort((x, y) => String(y.date || "").localeCompare(String(x.date || "")) || x.id.localeCompare(y.id));
      agreements = agreements.map((a) => Object.assign({}, a, drawn.agreements[a.id] ? { external: drawn.agreements[a.id].external,
                                                                                       external_note: drawn.agreements[a.id].external_note } : {}));
    } catch (err) { report(err); return; }
  }
  if (token !== detailsToken) return;
  const e = detail.entity, p = detail.properties;
  $("details-h").textContent = nameOf(e);
  $("details-alt").textContent = otherName(e) || "";
  $("details-sub").textContent = [label("kind", e.kind), e.nation ? e.nation.toUpperCase() : null, e.id].filter(Boolean).join(" · ");
  const body = $("details-body");
  body.replaceChildren();
  if (p.external) body.appendChild(externalBadge(p.external_note));
  const props = Object.entries(p).filter(([k, v]) => !["name", "name_ja", "aliases", "external", "external_note"].includes(k)
                                                     && v !== null && v !== "" && !(Array.isArray(v) && !v.length));
  if (props.length) {
    body.appendChild(el("h3", null, t("details.properties")));
    const dl = el("dl", "props");
    props.forEach(([k, v]) => {
      dl.appendChild(el("dt", null, fieldLabel(e.kind, k)));
      const shown = valueLabel(e.kind, k, v);  // an enum member in the current language (機関の種類 …)
      dl.appendChild(el("dd", null, shown !== null ? shown : Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : v));
    });
    body.appendChild(dl);
  }
  if (detail.aliases.length) {
    body.appendChild(el("h3", null, t("details.aliases")));
    body.appendChild(el("p", "aliases", detail.aliases.join(" · ")));
  }
  if (detail.sources.length) {
    body.appendChild(el("h3", null, t("details.sources")));
    detail.sources.forEach((c) => body.appendChild(citation(c)));
  }
  body.appendChild(el("h3", null, t("details.agreements")));
  if (!agreements.length) body.appendChild(el("p", "none", t("details.none")));
  else {
    const ol = el("ol", "agreements");
    agreements.slice(0, 50).forEach((a) => ol.appendChild(agreementBlock(a, id)));
    body.appendChild(ol);
    if (agreements.length > 50) body.appendChild(el("p", null, t("details.more", { n: agreements.length - 50 })));
  }
  const rel = detail.relations.filter((r) => r.type !== "PARTY_TO");
  if (rel.length) {
    body.appendChild(el("h3", null, t("details.relations")));
    const ul = el("ul", "relations");
    rel.slice(0, 30).forEach((r) => ul.appendChild(el("li", null, label("edge", r.type) + (r.direction === "out" ? " → " : " ← ") + nameOf(r.other))));
    body.appendChild(ul);
  }
  panel.hidden = false;
  panel.setAttribute("data-entity", id);
  $("act-expand").onclick = () => expand(id);
  $("act-hide").onclick = () => hide(id);
  $("act-focus").onclick = () => focusOn(id);
  $("act-paths").onclick = () => { $("path-a").value = nameOf(e); $("path-a").setAttribute("data-id", id); $("path-b").focus(); };
  $("details-record").hidden = false;
  prepareEdit(e, p, detail, agreements);
  await showHistory(id, token);
}

function showLine(edgeId) {
  const e = edges.get(edgeId);
  if (!e || !e.items || !e.items.length) return;
  const panel = $("details");
  const tip = drawn.tips.edge[edgeId] || {};
  $("details-h").textContent = tip.title || "";
  $("details-alt").textContent = "";
  $("details-sub").textContent = tip.sub || "";
  const ol = el("ol", "agreements");
  e.items.map((it) => drawn.agreements[it.id]).filter(Boolean).forEach((a) => ol.appendChild(agreementBlock(a)));
  $("details-body").replaceChildren(el("h3", null, t("details.agreements")), ol);
  $("details-record").hidden = true;  // a line is no record: no history, nothing to edit
  editing = null;
  panel.hidden = false;
  panel.removeAttribute("data-entity");
}

// ------------------------------------------------------------------------------------------------ history, edits

/** The changesets that touched the entity (newest first), each explorer edit with an Undo button. */
async function showHistory(id, token) {
  const ol = $("details-history");
  let h;
  try { h = await get("/entities/" + encodeURIComponent(id) + "/history"); } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) report(err);
    if (token === detailsToken) ol.replaceChildren();
    return;
  }
  if (token !== detailsToken) return;
  const items = h.changesets.map((it) => it.changeset).reverse();
  const undone = new Set(items.map((c) => c.reverts).filter((n) => n !== null && n !== undefined));
  ol.replaceChildren();
  if (!items.length) ol.appendChild(el("li", "none", t("history.none")));
  items.slice(0, 12).forEach((c) => {
    const li = el("li");
    li.setAttribute("data-changeset", String(c.number));
    li.appendChild(el("span", "h-msg", "#" + c.number + " " + c.message));
    li.appendChild(el("span", "h-meta", " — " + c.actor + ", " + c.time.replace("T", " ").slice(0, 16)));
    if (c.dataset === "explorer" && (c.reverts === null || c.reverts === undefined) && !undone.has(c.number)) {
      const b = el("button", "undo-edit", t("history.undo"));
      b.type = "button";
      b.setAttribute("data-undo", String(c.number));
      b.addEventListener("click", () => undoEdit(c.number));
      li.appendChild(b);
    }
    ol.appendChild(li);
  });
}

let editing = null;  // the record the edit form is for: {id, kind, props}
const FIXED_FIELDS = ["id", "sources", "external", "external_note"];  // they follow from the citation

function option(value, text) {
  const o = el("option", null, text);
  o.value = value;
  return o;
}

/** Fill the edit form for this record: its fields, its agreements, the canvas entities, the documents cited. */
function prepareEdit(e, props, detail, agreements) {
  editing = { id: e.id, kind: e.kind, props };
  const fields = (schema().nodes[e.kind] || {}).fields || {};
  const names = Object.keys(fields).filter((f) => !FIXED_FIELDS.includes(f));
  const keep = $("edit-field").value;
  $("edit-field").replaceChildren(...names.map((f) => option(f, fieldLabel(e.kind, f))));
  if (names.includes(keep)) $("edit-field").value = keep;
  onEditField();
  const own = e.kind === "Agreement" ? [{ id: e.id, name: e.name, name_ja: e.name_ja }] : agreements.slice(0, 50);
  $("edit-agreement").replaceChildren(...(own.length ? own.map((a) => option(a.id, nameOf(a))) : [option("", t("edit.nochoice"))]));
  const others = state.entities.filter((x) => x !== e.id);
  $("edit-with").replaceChildren(...(others.length ? others.map((x) => option(x, partyName(x))) : [option("", t("edit.nochoice"))]));
  const kinds = Object.keys(schema().enums.AgreementKind || {});
  $("edit-kind").replaceChildren(...kinds.map((k) => option(k, label("AgreementKind", k))));
  const docs = new Set();
  [...(detail.sources || []), ...agreements.flatMap((a) => a.sources || [])].forEach((c) => docs.add(c.document));
  $("edit-docs").replaceChildren(...[...docs].sort().map((d) => option(d, d)));
  if (!$("edit-doc").value && docs.size) $("edit-doc").value = [...docs].sort()[0];
  if (e.kind !== "Agreement" && !$("edit-party").value) $("edit-party").value = "";
}

/** The value input for the chosen field: a list of the enum's members, or text (lists as "a | b"). */
function onEditField() {
  if (!editing) return;
  const f = $("edit-field").value;
  const meta = ((schema().nodes[editing.kind] || {}).fields || {})[f] || {};
  const members = (schema().enums[meta.type]) ? Object.keys(schema().enums[meta.type]) : null;
  const current = editing.props[f];
  $("edit-choice").hidden = !members || meta.list;
  $("edit-value").hidden = !$("edit-choice").hidden;
  if (members && !meta.list) {
    $("edit-choice").replaceChildren(...members.map((m) => option(m, label(meta.type, m))));
    if (current) $("edit-choice").value = current;
  } else {
    $("edit-value").value = Array.isArray(current) ? current.join(" | ") : current === undefined || current === null ? "" : String(current);
  }
}

function onEditAction() {
  const action = $("edit-action").value;
  document.querySelectorAll("#edit-form .edit-part").forEach((d) => { d.hidden = !d.getAttribute("data-for").split(" ").includes(action); });
}

function onEditCite() {
  const general = $("edit-cite-general").checked;
  document.querySelectorAll("#edit-form .edit-cite").forEach((d) => { d.hidden = (d.getAttribute("data-cite") === "general") !== general; });
}

function editValue() {
  const f = $("edit-field").value;
  const meta = ((schema().nodes[editing.kind] || {}).fields || {})[f] || {};
  if (!$("edit-choice").hidden) return $("edit-choice").value;
  const raw = $("edit-value").value.trim();
  if (meta.list) return raw ? raw.split("|").map((x) => x.trim()).filter(Boolean) : [];
  if (meta.type === "number" && raw !== "" && !Number.isNaN(Number(raw))) return Number(raw);
  return raw === "" ? null : raw;
}

function editStatus(text, error) {
  const s = $("edit-status");
  s.textContent = text;
  s.classList.toggle("error", !!error);
}

function editToken() {
  const token = $("edit-token").value.trim();
  if (!token) { editStatus(t("edit.notoken"), true); $("edit-token").focus(); }
  return token;
}

async function submitEdit(ev) {
  ev.preventDefault();
  if (!editing) return;
  const token = editToken();
  if (!token) return;
  const action = $("edit-action").value;
  const citation = $("edit-cite-general").checked
    ? { general_knowledge: true, note: $("edit-note").value.trim() }
    : { document: $("edit-doc").value.trim() || null, section: $("edit-section").value.trim(), quote: $("edit-quote").value.trim() };
  const body = { action, citation, message: $("edit-message").value.trim() };
  if (action === "set") Object.assign(body, { entity: editing.id, field: $("edit-field").value, value: editValue() });
  else if (action === "add_alias") Object.assign(body, { entity: editing.id, value: $("edit-alias").value.trim() });
  else if (action === "add_party" || action === "remove_party") {
    const r = await resolve($("edit-party").value);
    if (!r.match) { editStatus(t("unknown", { q: $("edit-party").value }), true); return; }
    Object.assign(body, { entity: $("edit-agreement").value, value: r.match.id });
  } else {
    const agreement = { kind: $("edit-kind").value };
    if ($("edit-date").value.trim()) agreement.date = $("edit-date").value.trim();
    if ($("edit-name").value.trim()) agreement.name = $("edit-name").value.trim();
    Object.assign(body, { parties: [editing.id, $("edit-with").value], agreement });
  }
  let result;
  try { result = await postAs("/edits", body, token); } catch (err) {
    if (err instanceof ApiError && !err.outage) { editStatus(t("edit.refused", { detail: err.detail }), true); return; }
    report(err); return;
  }
  await redrawAfterWrite();
  ["edit-alias", "edit-message", "edit-name"].forEach((x) => { $(x).value = ""; });  // done: ready for the next one
  editStatus(result.changeset ? t("edit.saved", { n: result.changeset }) : t("edit.unchanged"), false);
  qgraph.lastEdit = result;
}

async function undoEdit(number) {
  const token = editToken();
  if (!token) { $("edit").open = true; return; }
  let result;
  try { result = await postAs("/edits/" + number + "/undo", {}, token); } catch (err) {
    if (err instanceof ApiError && !err.outage) { $("edit").open = true; editStatus(t("edit.refused", { detail: err.detail }), true); return; }
    report(err); return;
  }
  await redrawAfterWrite();
  editStatus(t("history.undone", { n: result.changeset }), false);
  qgraph.lastUndo = result;
}

/** A write changed the graph: draw the canvas and the panel again from the new version. */
async function redrawAfterWrite() {
  try { await draw(); await afterDraw(); } catch (err) { report(err); }
}

// ------------------------------------------------------------------------------------------------ paths

let pathResult = null;

async function nameToId(input) {
  const fixed = input.getAttribute("data-id");
  if (fixed && input.getAttribute("data-name") === input.value) return { match: { id: fixed } };
  return resolve(input.value);
}

function showUnknown(box, text, r) {
  box.appendChild(el("p", "error", r.ambiguous ? t("ambiguous", { q: text }) : t("unknown", { q: text })));
  if (r.candidates.length) {
    if (!r.ambiguous) box.appendChild(el("p", null, t("didyoumean")));
    const ul = el("ul", "candidates");
    r.candidates.slice(0, 6).forEach((c) => {
      const b = el("button", "candidate", nameOf(c) + (c.nation ? " (" + c.nation.toUpperCase() + ")" : ""));
      b.type = "button";
      b.addEventListener("click", () => add(c.id));
      const li = el("li");
      li.appendChild(b);
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }
}

async function findPaths(ev) {
  if (ev) ev.preventDefault();
  const box = $("path-result");
  box.replaceChildren(el("p", null, t("loading")));
  let a, b;
  try { [a, b] = await Promise.all([nameToId($("path-a")), nameToId($("path-b"))]); } catch (err) { report(err); box.replaceChildren(); return; }
  box.replaceChildren();
  if (!a.match) showUnknown(box, $("path-a").value, a);
  if (!b.match) showUnknown(box, $("path-b").value, b);
  if (!a.match || !b.match) return;
  await openPaths(a.match.id, b.match.id);
}

async function openPaths(source, target) {
  let result;
  try { result = await get("/paths", pathParams(source, target)); } catch (err) {
    if (err instanceof ApiError && !err.outage) { $("path-result").replaceChildren(el("p", "error", err.detail)); return; }
    report(err); return;
  }
  const ids = new Set(state.entities);
  result.paths.forEach((p) => p.entities.forEach((e) => ids.add(e.id)));
  ids.add(source); ids.add(target);
  await change(() => { state.entities = [...ids]; state.path = { source, target }; });
}

function pathParams(source, target) {
  const params = { source, target, k: 3 };
  if (state.since) params.since = state.since;
  if (state.until) params.until = state.until;
  const kinds = allKinds().filter((k) => !state.off.akind.has(k));
  if (state.off.akind.size && kinds.length) params.kind = kinds;
  return params;
}

async function showPaths() {
  const { source, target } = state.path;
  const box = $("path-result");
  let result;
  try { result = await get("/paths", pathParams(source, target)); } catch (err) {
    if (err instanceof ApiError && !err.outage) { box.replaceChildren(el("p", "error", err.detail)); return; }
    report(err); return;
  }
  pathResult = result;
  $("path-a").value = nameOf(result.source); $("path-a").setAttribute("data-id", source); $("path-a").setAttribute("data-name", nameOf(result.source));
  $("path-b").value = nameOf(result.target); $("path-b").setAttribute("data-id", target); $("path-b").setAttribute("data-name", nameOf(result.target));
  box.replaceChildren();
  if (!result.paths.length) {
    box.appendChild(el("p", "none", t("paths.none", { a: nameOf(result.source), b: nameOf(result.target), hops: result.max_hops })));
    clearHighlight();
    return;
  }
  box.appendChild(el("p", "found", t("paths.found", { n: result.paths.length, a: nameOf(result.source), b: nameOf(result.target),
                                                       hops: result.paths[0].hops })));
  const ol = el("ol", "path-list");
  result.paths.forEach((p) => ol.appendChild(el("li", null, p.entities.map(nameOf).join(" → "))));
  box.appendChild(ol);
  box.appendChild(el("h3", null, t("paths.briefing")));
  const text = result.paths.map((p) => p.summary).join("\n\n");
  const summary = el("p", "summary", text);
  summary.id = "path-summary";
  box.appendChild(summary);
  const copy = el("button", null, t("paths.copy"));
  copy.type = "button";
  copy.id = "path-copy";
  copy.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(text); copy.textContent = t("paths.copied"); }
    catch (_) { const r = document.createRange(); r.selectNodeContents(summary); getSelection().removeAllRanges(); getSelection().addRange(r); }
  });
  box.appendChild(copy);
  highlightPaths();
}

let pathTimer = null;
/** The filters changed: ask for the paths again (they follow the filters, as /paths does), once the slider rests. */
function refreshPaths() {
  if (!state.path) return;
  clearTimeout(pathTimer);
  pathTimer = setTimeout(() => { showPaths(); }, 250);
}

function highlightPaths() {
  if (!pathResult || !state.path) return;
  const onPath = new Set(), agreementsOnPath = new Set();
  pathResult.paths.forEach((p) => {
    p.entities.forEach((e) => onPath.add(e.id));
    p.steps.forEach((s) => { agreementsOnPath.add(s.agreement.id); onPath.add(s.agreement.id); });
  });
  const nodeUpdates = [], edgeUpdates = [], pathEdges = [];
  nodes.forEach((n) => {
    const on = onPath.has(n.id);
    const orig = drawn.original[n.id] || {};
    nodeUpdates.push(on ? { id: n.id, color: orig.color, font: { color: "#1d2733" }, borderWidth: 3 }
      : { id: n.id, color: { background: "#e6e9ed", border: "#cfd4da" }, font: { color: "#aab1b9" }, borderWidth: 1 });
  });
  edges.forEach((e) => {
    const on = onPath.has(e.from) && onPath.has(e.to) && (e.items || []).some((it) => agreementsOnPath.has(it.id));
    const orig = drawn.original["edge:" + e.id] || {};
    if (on) pathEdges.push(e.id);
    edgeUpdates.push(on ? { id: e.id, color: orig.color, width: 5 } : { id: e.id, color: { color: "rgba(227,230,234,1)" }, width: 1 });
  });
  nodes.update(nodeUpdates);
  edges.update(edgeUpdates);
  qgraph.path = { source: state.path.source, target: state.path.target, nodes: [...onPath].filter((id) => nodes.get(id)).sort(),
                  edges: pathEdges.sort() };
  document.body.setAttribute("data-paths", "true");
}

function clearHighlight() {
  pathResult = null;
  qgraph.path = null;
  document.body.removeAttribute("data-paths");
  const nodeUpdates = [], edgeUpdates = [];
  nodes.forEach((n) => { const o = drawn.original[n.id]; if (o) nodeUpdates.push({ id: n.id, color: o.color, font: { color: "#1d2733" }, borderWidth: 1.2 }); });
  edges.forEach((e) => { const o = drawn.original["edge:" + e.id]; if (o) edgeUpdates.push({ id: e.id, color: o.color, width: e.width > 4 ? 2 : e.width }); });
  nodes.update(nodeUpdates);
  edges.update(edgeUpdates);
}

async function clearPaths() {
  if (!state.path) { $("path-result").replaceChildren(); return; }
  await change(() => { state.path = null; });
  $("path-result").replaceChildren();
  clearHighlight();
}

// ------------------------------------------------------------------------------------------------ clustering

function clusterByNation(on) {
  if (!network) return;
  if (on) {
    const codes = new Set();
    nodes.forEach((n) => { if (n.nation && !n.hidden) codes.add(n.nation); });
    codes.forEach((code) => {
      const members = nodes.get({ filter: (n) => n.nation === code && !n.hidden });
      if (members.length < 2) return;
      network.cluster({
        joinCondition: (n) => n.nation === code && !n.hidden,
        clusterNodeProperties: { id: "cluster:" + code, label: code.toUpperCase() + " (" + members.length + ")",
                                 shape: "hexagon", size: 18 + Math.sqrt(members.length) * 4,
                                 color: { background: "#0072B2", border: "#004f7c" }, font: { color: "#1d2733" }, nation: code },
      });
    });
  } else {
    Object.keys(network.body.nodes).filter((id) => network.isCluster(id)).forEach((id) => network.openCluster(id));
  }
  $("cluster").setAttribute("aria-pressed", on ? "true" : "false");
  $("cluster").textContent = on ? t("uncluster") : t("cluster");
}

// ------------------------------------------------------------------------------------------------ export

async function exportView(fmt) {
  const ents = [], ags = new Set(qgraph.visibleAgreements || []);
  nodes.forEach((n) => {
    if (n.hidden) return;
    if (n.kind === "Agreement") ags.add(n.id); else ents.push(n.id);
  });
  if (state.path && qgraph.path) {
    const on = new Set(qgraph.path.nodes);
    ents.splice(0, ents.length, ...ents.filter((id) => on.has(id)));
    [...ags].forEach((a) => { if (!on.has(a)) ags.delete(a); });
  }
  if (!ents.length) { banner(t("export.empty")); return; }
  let resp;
  try {
    resp = await post("/export/" + fmt, { entities: ents, agreements: [...ags].sort(), lang: state.lang }, true);
  } catch (err) { report(err); return; }
  const blob = await resp.blob();
  const name = (/filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") || "") || [])[1] || "qgraph-view." + fmt;
  const a = el("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  $("export").open = false;
}
qgraph.exportView = exportView;

// ------------------------------------------------------------------------------------------------ search box

let suggestCtl = null;
let active = -1;
let lastHits = [];

function closeSuggestions() {
  $("suggestions").hidden = true;
  $("search").setAttribute("aria-expanded", "false");
  $("search").removeAttribute("aria-activedescendant");
  active = -1;
}

function renderSuggestions(hits, q) {
  const list = $("suggestions");
  list.replaceChildren();
  lastHits = hits;
  if (!hits.length) {
    const li = el("li", "none", t("search.none", { q }));
    li.setAttribute("role", "option");
    li.setAttribute("aria-disabled", "true");
    list.appendChild(li);
  }
  hits.forEach((h, i) => {
    const li = el("li", "suggestion");
    li.id = "sugg-" + i;
    li.setAttribute("role", "option");
    li.setAttribute("data-id", h.id);
    const look = schema().nodes[h.kind] || {};
    li.appendChild(swatch(look.shape || "dot", look.colour || "#6B7B8C"));
    li.appendChild(el("span", "s-name", nameOf(h)));
    const other = otherName(h);
    if (other) li.appendChild(el("span", "s-alt", other));
    li.appendChild(el("span", "s-meta", [label("kind", h.kind), h.nation ? h.nation.toUpperCase() : null].filter(Boolean).join(" · ")));
    if (h.matched && h.matched !== h.name && h.matched !== h.name_ja) li.appendChild(el("span", "s-matched", "“" + h.matched + "”"));
    if (h.external) li.appendChild(el("span", "s-external", "⚠"));
    li.addEventListener("mousedown", (ev) => { ev.preventDefault(); choose(i); });
    list.appendChild(li);
  });
  list.hidden = false;
  $("search").setAttribute("aria-expanded", "true");
  qgraph.suggestedAt = performance.now();
  document.body.setAttribute("data-suggestions", String(hits.length));
}

async function onType() {
  const q = $("search").value;
  if (suggestCtl) suggestCtl.abort();
  if (!q.trim()) { closeSuggestions(); return; }
  suggestCtl = new AbortController();
  try {
    const hits = await suggest(q, 8, suggestCtl.signal);
    if ($("search").value === q) renderSuggestions(hits, q);
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) renderSuggestions([], q);
    else report(err);
  }
}

function setActive(i) {
  const items = [...$("suggestions").querySelectorAll("li.suggestion")];
  if (!items.length) return;
  active = (i + items.length) % items.length;
  items.forEach((li, j) => li.setAttribute("aria-selected", j === active ? "true" : "false"));
  $("search").setAttribute("aria-activedescendant", items[active].id);
}

async function choose(i) {
  const hit = lastHits[i];
  if (!hit) return;
  closeSuggestions();
  $("search").value = "";
  await add(hit.id);
}

// ------------------------------------------------------------------------------------------------ language

async function switchLang(value, push) {
  state.lang = value;
  setLang(value);
  applyI18n(document);
  $("lang").value = value;
  $("cluster").textContent = state.cluster ? t("uncluster") : t("cluster");
  if (push) saveUrl(true);
  if (state.entities.length) {
    try { await draw(); await afterDraw(); } catch (err) { report(err); }
  } else apply();
}

// ------------------------------------------------------------------------------------------------ wiring

function wire() {
  $("search").addEventListener("input", onType);
  $("search").addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown") { ev.preventDefault(); setActive(active + 1); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); setActive(active - 1); }
    else if (ev.key === "Enter") { ev.preventDefault(); if (lastHits.length && !$("suggestions").hidden) choose(Math.max(0, active)); }
    else if (ev.key === "Escape") closeSuggestions();
  });
  $("search").addEventListener("blur", () => setTimeout(closeSuggestions, 150));
  $("undo").addEventListener("click", undo);
  $("fit").addEventListener("click", () => network && network.fit({ animation: { duration: 300 } }));
  $("clear").addEventListener("click", () => change(() => { state.entities = []; state.sel = null; state.path = null; }).then(() => { hideDetails(); clearHighlight(); $("path-result").replaceChildren(); }));
  $("cluster").addEventListener("click", () => { state.cluster = !state.cluster; clusterByNation(state.cluster); saveUrl(false); });
  document.querySelectorAll("button[data-export]").forEach((b) => b.addEventListener("click", () => exportView(b.getAttribute("data-export"))));
  $("lang").addEventListener("change", () => switchLang($("lang").value, true));
  $("since").addEventListener("input", () => onRange("since"));
  $("until").addEventListener("input", () => onRange("until"));
  $("play").addEventListener("click", play);
  $("reset-dates").addEventListener("click", () => { stopPlay(); state.since = null; state.until = null; saveUrl(false); apply(); refreshPaths(); });
  $("reset-filters").addEventListener("click", () => {
    Object.values(state.off).forEach((s) => s.clear());
    state.since = null; state.until = null;
    document.querySelectorAll("input[data-filter]").forEach((c) => { c.checked = true; });
    saveUrl(false); apply(); refreshPaths();
  });
  $("path-form").addEventListener("submit", findPaths);
  ["path-a", "path-b"].forEach((id) => $(id).addEventListener("input", () => $(id).removeAttribute("data-id")));
  $("path-clear").addEventListener("click", clearPaths);
  $("edit-form").addEventListener("submit", submitEdit);
  $("edit-action").addEventListener("change", onEditAction);
  $("edit-field").addEventListener("change", onEditField);
  $("edit-cite-doc").addEventListener("change", onEditCite);
  $("edit-cite-general").addEventListener("change", onEditCite);
  document.addEventListener("keydown", (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "z" && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) { ev.preventDefault(); undo(); }
  });
  window.addEventListener("popstate", async () => {
    fromQuery(location.search);
    setLang(state.lang); applyI18n(document); $("lang").value = state.lang;
    try { await draw(); await afterDraw(); } catch (err) { report(err); }
  });
}

async function start() {
  const entry = fromQuery(location.search);
  setLang(state.lang);
  applyI18n(document);
  $("lang").value = state.lang;
  wire();
  try {
    if (entry.focus) {
      const r = await resolve(entry.focus);
      if (r.match) {
        state.entities = [r.match.id]; state.sel = r.match.id;
        await draw([r.match.id], null);
        saveUrl(false);
      } else {
        const box = $("path-result");
        box.replaceChildren();
        showUnknown(box, entry.focus, r);
        await draw();
      }
    } else if (entry.source && entry.target) {
      const [a, b] = await Promise.all([resolve(entry.source), resolve(entry.target)]);
      const box = $("path-result");
      if (a.match && b.match) {
        const result = await get("/paths", pathParams(a.match.id, b.match.id));
        const ids = new Set([a.match.id, b.match.id]);
        result.paths.forEach((p) => p.entities.forEach((e) => ids.add(e.id)));
        state.entities = [...ids]; state.path = { source: a.match.id, target: b.match.id };
        await draw();
        saveUrl(false);
      } else {
        box.replaceChildren();
        if (!a.match) showUnknown(box, entry.source, a);
        if (!b.match) showUnknown(box, entry.target, b);
        await draw();
      }
    } else {
      await draw();
    }
    await afterDraw();
    if (state.sel) focusOn(state.sel);
  } catch (err) { report(err); markStable(); }
  qgraph.ready = true;
  document.body.setAttribute("data-ready", "true");
}

/** A node's (or a line's) tooltip as text, as hovering shows it (for tests). */
qgraph.tipText = (id, kind = "node") => (drawn.tips[kind][id] ? tipElement(drawn.tips[kind][id]).textContent : null);
qgraph.state = state;
qgraph.nodes = nodes;
qgraph.edges = edges;
qgraph.t = t;
qgraph.lang = getLang;
start();
