/* qgraph partnership map: reads the JSON data island, draws it with vis-network and wires the controls.
 *
 * Invariants: text from the data reaches the page only through textContent (never innerHTML), and tooltips are
 * DOM elements built here, so a name such as <img src=x onerror=...> shows as text. No request leaves the page.
 * window.qgraph exposes the network and a few actions for tests and for the benchmark (stable, stableAt).
 */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("qgraph-data").textContent);
  var byId = function (id) { return document.getElementById(id); };
  var qgraph = window.qgraph = { stable: false, stableAt: null, focused: null, path: null };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function setStatus(text) { byId("status").textContent = text || ""; }

  // The page's words in its language (qgraph.viz.i18n, embedded as data.ui); {name} fields filled from values.
  function t(key, values) {
    var text = (data.ui || {})[key];
    if (text === undefined) return key;
    return text.replace(/\{(\w+)\}/g, function (m, k) { return values && k in values ? String(values[k]) : m; });
  }

  // ------------------------------------------------------------------ tooltips (built on first hover)

  function tipElement(tip) {
    var box = el("div", "tip");
    box.appendChild(el("div", "tip-title", tip.title));
    if (tip.alt) box.appendChild(el("div", "tip-alt", tip.alt));
    if (tip.sub) box.appendChild(el("div", "tip-sub", tip.sub));
    if (tip.aliases && tip.aliases.length) box.appendChild(el("div", "tip-aliases", t("also", { names: tip.aliases.join(", ") })));
    if (tip.text) box.appendChild(el("div", "tip-text", tip.text));
    (tip.facts || []).forEach(function (f) { box.appendChild(el("div", "tip-fact", f)); });
    if (tip.agreements && tip.agreements.length) {
      var list = el("ol", "tip-agreements");
      tip.agreements.forEach(function (a) {
        var li = el("li");
        li.appendChild(el("div", "tip-a-name", a.name));
        if (a.alt) li.appendChild(el("div", "tip-alt", a.alt));
        li.appendChild(el("div", "tip-a-meta", [a.kind_label, a.date || t("undated"), a.status].filter(Boolean).join(" · ")));
        if (a.parties && a.parties.length) li.appendChild(el("div", "tip-a-parties", t("parties", { names: a.parties.join(", ") })));
        if (a.framework) li.appendChild(el("div", "tip-a-parties", t("under", { name: a.framework })));
        (a.cites || []).forEach(function (c) { li.appendChild(citeElement(c)); });
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    if (tip.more) box.appendChild(el("div", "tip-fact", tip.more));
    (tip.cites || []).forEach(function (c) { box.appendChild(citeElement(c)); });
    return box;
  }

  function citeElement(c) {
    var d = el("div", "tip-cite");
    d.appendChild(el("span", "tip-where", t("source", { where: c.where })));
    if (c.quote) d.appendChild(el("q", null, c.quote));
    return d;
  }

  // ------------------------------------------------------------------ the network

  var tips = { node: {}, edge: {} };
  var nodeList = data.nodes.map(function (n) {
    tips.node[n.id] = n.tip;
    var copy = Object.assign({}, n);
    delete copy.tip;
    return copy;
  });
  var edgeList = data.edges.map(function (e) {
    tips.edge[e.id] = e.tip;
    var copy = Object.assign({}, e);
    delete copy.tip;
    return copy;
  });
  var nodes = new vis.DataSet(nodeList);
  var edges = new vis.DataSet(edgeList);
  var network = new vis.Network(byId("map"), { nodes: nodes, edges: edges }, data.options);
  qgraph.network = network; qgraph.nodes = nodes; qgraph.edges = edges;

  network.on("hoverNode", function (p) {
    var n = nodes.get(p.node);
    if (n && !n.title && tips.node[p.node]) nodes.update({ id: p.node, title: tipElement(tips.node[p.node]) });
  });
  network.on("hoverEdge", function (p) {
    var e = edges.get(p.edge);
    if (e && !e.title && tips.edge[p.edge]) edges.update({ id: p.edge, title: tipElement(tips.edge[p.edge]) });
  });
  qgraph.tipFor = function (kind, id) { return tipElement(tips[kind][id]); };

  function markStable() {
    if (qgraph.stable) return;
    qgraph.stable = true;
    qgraph.stableAt = performance.now();
    document.body.setAttribute("data-stable", "true");
  }
  if (data.options.physics && data.options.physics.enabled) {
    network.once("stabilized", markStable);
    // a network that keeps trembling after its settling iterations is stopped: the layout it has is good enough
    network.once("stabilizationIterationsDone", function () {
      setTimeout(function () { if (!qgraph.stable) { network.stopSimulation(); markStable(); } }, 2500);
    });
  } else network.once("afterDrawing", markStable);

  // ------------------------------------------------------------------ search (names and aliases, both languages)

  var DASHES = /[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE58\uFE63\uFF0D]/g;
  function norm(s) { return String(s).normalize("NFKC").replace(DASHES, "-").toLowerCase().replace(/\s+/g, " ").trim(); }

  function find(query, limit) {
    var k = norm(query), k2 = k.replace(/ /g, "");
    if (!k) return [];
    var hits = [];
    data.nodes.forEach(function (n) {
      var best = 0;
      (n.search || []).forEach(function (s) {
        var score = (s === k || s === k2) ? 3 : (s.indexOf(k) === 0 || s.indexOf(k2) === 0) ? 2 :
          (s.indexOf(k) >= 0 || s.indexOf(k2) >= 0) ? 1 : 0;
        if (score > best) best = score;
      });
      if (best) hits.push([best, n]);
    });
    hits.sort(function (a, b) { return b[0] - a[0] || a[1].label.localeCompare(b[1].label); });
    return hits.slice(0, limit || 8).map(function (h) { return h[1]; });
  }
  qgraph.find = find;

  function focusNode(id) {
    var n = nodes.get(id);
    if (!n) return false;
    if (n.hidden) setStatus(t("hidden", { name: n.label }));
    else setStatus(t("focused", { name: n.label }));
    network.selectNodes([id]);
    network.focus(id, { scale: Math.max(1.1, network.getScale()), animation: { duration: 450, easingFunction: "easeInOutQuad" } });
    qgraph.focused = id;
    return true;
  }
  qgraph.focusNode = focusNode;

  var results = byId("search-results");
  function showResults() {
    results.replaceChildren();
    var hits = find(byId("search").value);
    hits.forEach(function (n) {
      var b = el("button", "hit", n.label);
      b.type = "button";
      b.setAttribute("data-id", n.id);
      b.addEventListener("click", function () { focusNode(n.id); });
      results.appendChild(b);
    });
    return hits;
  }
  byId("search").addEventListener("input", showResults);
  byId("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var hits = showResults();
    if (hits.length) focusNode(hits[0].id); else setStatus(t("nomatch", { q: byId("search").value }));
  });

  // ------------------------------------------------------------------ filters: kinds, agreement kinds, dates

  function span(text) {
    var m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(String(text).trim());
    if (!m) return null;
    if (!m[2]) return [m[1] + "-01-01", m[1] + "-12-31"];
    if (!m[3]) {
      var last = new Date(Date.UTC(+m[1], +m[2], 0)).getUTCDate();
      return [m[1] + "-" + m[2] + "-01", m[1] + "-" + m[2] + "-" + String(last).padStart(2, "0")];
    }
    var d = m[1] + "-" + m[2] + "-" + m[3];
    return [d, d];
  }

  var state = { kindOff: {}, akindOff: {}, since: null, until: null, pathNodes: null, pathEdges: null };

  function readFilters() {
    document.querySelectorAll("input[data-filter-kind]").forEach(function (c) { state.kindOff[c.getAttribute("data-filter-kind")] = !c.checked; });
    document.querySelectorAll("input[data-filter-akind]").forEach(function (c) { state.akindOff[c.getAttribute("data-filter-akind")] = !c.checked; });
    ["since", "until"].forEach(function (which, i) {
      var input = byId("date-" + which), text = input.value.trim(), s = text ? span(text) : null;
      input.classList.toggle("invalid", !!text && !s);
      state[which] = s ? s[i] : null;
    });
  }

  function itemPasses(it) {
    if (state.akindOff[it.kind]) return false;
    if (state.since && !(it.to && it.to >= state.since)) return false;
    if (state.until && !(it.from && it.from <= state.until)) return false;
    return true;
  }

  function hiddenNode(n, ignorePath) {
    if (state.kindOff[n.kind]) return true;
    if (n.agreement_kind && !itemPasses({ kind: n.agreement_kind, from: n.date_from, to: n.date_to })) return true;
    return !ignorePath && state.pathNodes !== null && !state.pathNodes[n.id];
  }

  function hiddenEdge(e, hiddenNodes, ignorePath) {
    if (hiddenNodes[e.from] || hiddenNodes[e.to]) return true;
    if (e.items && e.items.length && !e.items.some(itemPasses)) return true;
    return !ignorePath && state.pathEdges !== null && !state.pathEdges[e.id];
  }

  function apply() {
    readFilters();
    var hidden = {}, nodeChanges = [], edgeChanges = [], shown = 0;
    nodes.forEach(function (n) {
      var h = hiddenNode(n, false);
      hidden[n.id] = h;
      if (!h) shown++;
      if (!!n.hidden !== h) nodeChanges.push({ id: n.id, hidden: h });
    });
    edges.forEach(function (e) {
      var h = hiddenEdge(e, hidden, false);
      if (!!e.hidden !== h) edgeChanges.push({ id: e.id, hidden: h });
    });
    if (nodeChanges.length) nodes.update(nodeChanges);
    if (edgeChanges.length) edges.update(edgeChanges);
    qgraph.visibleNodes = shown;
    byId("counts").textContent = t("counts", { shown: shown, total: nodes.length });
  }
  qgraph.apply = apply;
  document.querySelectorAll("input[data-filter-kind], input[data-filter-akind]").forEach(function (c) { c.addEventListener("change", apply); });
  ["date-since", "date-until"].forEach(function (id) { byId(id).addEventListener("input", apply); });
  byId("reset-filters").addEventListener("click", function () {
    document.querySelectorAll("input[data-filter-kind], input[data-filter-akind]").forEach(function (c) { c.checked = true; });
    byId("date-since").value = ""; byId("date-until").value = "";
    apply();
  });

  // ------------------------------------------------------------------ legend: a click selects the group

  function selectGroup(kind, akind) {
    var ns = [], es = [];
    nodes.forEach(function (n) {
      if (n.hidden) return;
      if ((kind && n.kind === kind) || (akind && n.agreement_kind === akind)) ns.push(n.id);
    });
    if (akind) edges.forEach(function (e) {
      if (!e.hidden && e.items && e.items.some(function (it) { return it.kind === akind; })) es.push(e.id);
    });
    network.setSelection({ nodes: ns, edges: es }, { unselectAll: true, highlightEdges: false });
    qgraph.selected = { nodes: ns, edges: es };
    setStatus(akind ? t("selected.lines", { n: ns.length, lines: es.length }) : t("selected", { n: ns.length }));
  }
  document.querySelectorAll("button[data-select-kind]").forEach(function (b) {
    b.addEventListener("click", function () { selectGroup(b.getAttribute("data-select-kind"), null); });
  });
  document.querySelectorAll("button[data-select-akind]").forEach(function (b) {
    b.addEventListener("click", function () { selectGroup(null, b.getAttribute("data-select-akind")); });
  });

  // ------------------------------------------------------------------ show only the path between A and B

  function shortestPathSubgraph(a, b) {
    var hidden = {}, adj = {};
    nodes.forEach(function (n) { hidden[n.id] = hiddenNode(n, true); });
    edges.forEach(function (e) {
      if (e.rel === "context" || hiddenEdge(e, hidden, true)) return;
      (adj[e.from] = adj[e.from] || []).push([e.to, e.id]);
      (adj[e.to] = adj[e.to] || []).push([e.from, e.id]);
    });
    function bfs(start) {
      var dist = {}, queue = [start];
      dist[start] = 0;
      for (var i = 0; i < queue.length; i++) {
        (adj[queue[i]] || []).forEach(function (pair) {
          if (!(pair[0] in dist)) { dist[pair[0]] = dist[queue[i]] + 1; queue.push(pair[0]); }
        });
      }
      return dist;
    }
    var da = bfs(a), db = bfs(b), d = da[b];
    if (d === undefined) return null;
    var ns = {}, es = {};
    Object.keys(da).forEach(function (v) { if (v in db && da[v] + db[v] === d) ns[v] = true; });
    Object.keys(ns).forEach(function (u) {
      (adj[u] || []).forEach(function (pair) {
        var v = pair[0];
        if (ns[v] && ((da[u] + 1 + db[v] === d) || (da[v] + 1 + db[u] === d))) es[pair[1]] = true;
      });
    });
    return { nodes: ns, edges: es, length: d };
  }

  function resolve(text) {
    var exact = nodes.get(String(text).trim());
    if (exact) return exact;
    var hits = find(text, 1);
    return hits.length ? hits[0] : null;
  }

  function showPath(aText, bText) {
    var a = resolve(aText), b = resolve(bText);
    if (!a || !b) { byId("path-status").textContent = t("unknown", { q: !a ? aText : bText }); return false; }
    var sub = shortestPathSubgraph(a.id, b.id);
    if (!sub) {
      byId("path-status").textContent = t("nopath", { a: a.label, b: b.label });
      return false;
    }
    state.pathNodes = sub.nodes; state.pathEdges = sub.edges;
    apply();
    qgraph.path = { from: a.id, to: b.id, nodes: Object.keys(sub.nodes), edges: Object.keys(sub.edges) };
    byId("path-status").textContent = t("path", { a: a.label, b: b.label, lines: sub.length,
                                                  nodes: Object.keys(sub.nodes).length });
    network.fit({ nodes: Object.keys(sub.nodes), animation: { duration: 450 } });
    return true;
  }
  function clearPath() {
    state.pathNodes = null; state.pathEdges = null; qgraph.path = null;
    byId("path-status").textContent = "";
    apply();
    network.fit({ animation: { duration: 300 } });
  }
  qgraph.showPath = showPath; qgraph.clearPath = clearPath;
  byId("path-form").addEventListener("submit", function (ev) { ev.preventDefault(); showPath(byId("path-a").value, byId("path-b").value); });
  byId("path-clear").addEventListener("click", clearPath);

  // ------------------------------------------------------------------ display

  byId("physics").addEventListener("change", function (ev) {
    network.setOptions({ physics: { enabled: ev.target.checked } });
  });
  byId("fit").addEventListener("click", function () { network.fit({ animation: { duration: 300 } }); });

  apply();
})();
