// The review page: loads a stored review over the JSON API, shows the document with every candidate's quote
// highlighted beside the candidates, records the editor's decisions and applies them. Every string from the data
// enters the page through textContent (never innerHTML); requests go to this origin only.

const $ = (id) => document.getElementById(id);
const state = { review: null, items: [], current: 0, decisions: {} };

function headers() {
  return { "Authorization": `Bearer ${sessionStorage.getItem("qgraph-token") || ""}`, "Content-Type": "application/json" };
}

function say(text) { $("status").textContent = text; }

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "class") node.className = v;
    else node[k] = v;
  }
  for (const child of children) node.append(child);
  return node;
}

function label(record, section) {
  if (section === "agreements") return `${record.kind}: ${(record.parties || []).join(", ")} ${record.date || ""}`;
  return record.name_ja && record.name_ja !== record.name ? `${record.name} / ${record.name_ja}` : record.name;
}

function renderDocument() {
  const box = $("document");
  box.replaceChildren();
  const docs = Object.entries(state.review.texts);
  for (const [docId, text] of docs) {
    const spans = state.items.filter((it) => it.record.sources && it.record.sources[0] &&
      it.record.sources[0].document === docId && Number.isInteger(it.record.review.start))
      .map((it) => ({ start: it.record.review.start, end: it.record.review.end, index: it.index }))
      .sort((a, b) => a.start - b.start || b.end - a.end);
    let pos = 0;
    const part = el("div", { class: "doc", dataset: { doc: docId } });
    for (const s of spans) {
      if (s.start < pos) continue; // an overlapping quote: the first one is highlighted
      part.append(document.createTextNode(text.slice(pos, s.start)));
      part.append(el("mark", { id: `q-${s.index}`, dataset: { index: String(s.index) } }, text.slice(s.start, s.end)));
      pos = s.end;
    }
    part.append(document.createTextNode(text.slice(pos)));
    box.append(part);
  }
}

function renderList() {
  const list = $("list");
  list.replaceChildren();
  for (const it of state.items) {
    const r = it.record;
    const decision = state.decisions[it.key] || {};
    const status = decision.status || r.review.status || "proposed";
    const name = el("input", { value: (decision.fields && decision.fields.name) || r.name || "", title: "name",
                               className: "name" });
    const match = el("input", { value: decision.match || "", placeholder: "existing id", title: "same as", className: "match" });
    const item = el("li", { id: `c-${it.index}`, dataset: { status, key: it.key } },
      el("div", { class: "kind" }, `${it.section} · ${r.id}`),
      el("strong", {}, label(r, it.section)),
      el("p", { class: "quote" }, `「${(r.sources && r.sources[0] && r.sources[0].quote) || ""}」`),
      el("p", { class: "meta" }, `${r.review.rule || ""} · confidence ${r.review.confidence ?? ""}${r.review.note ? " · " + r.review.note : ""}`),
      el("div", { class: "actions" },
        el("button", { type: "button", className: "accept", onclick: () => decide(it, "accepted") }, "Accept"),
        el("button", { type: "button", className: "reject", onclick: () => decide(it, "rejected") }, "Reject"),
        name,
        el("button", { type: "button", className: "edit", onclick: () => decide(it, "edited", { name: name.value }) }, "Save edit"),
        match,
        el("button", { type: "button", className: "same", onclick: () => decide(it, "accepted", null, match.value) }, "Same as")));
    item.addEventListener("click", () => select(it.index));
    list.append(item);
  }
  select(state.current);
  $("apply").disabled = false;
}

function decide(it, status, fields = null, match = null) {
  const d = state.decisions[it.key] || {};
  d.status = status;
  if (fields) d.fields = { ...(d.fields || {}), ...fields };
  if (match) d.match = match;
  state.decisions[it.key] = d;
  const li = $(`c-${it.index}`);
  if (li) li.dataset.status = status;
  say(`${it.key}: ${status}${match ? " (same as " + match + ")" : ""}`);
}

function select(index) {
  if (!state.items.length) return;
  state.current = Math.max(0, Math.min(index, state.items.length - 1));
  for (const node of document.querySelectorAll(".current")) node.classList.remove("current");
  const li = $(`c-${state.current}`);
  const mark = $(`q-${state.current}`);
  if (li) { li.classList.add("current"); li.scrollIntoView({ block: "nearest" }); }
  if (mark) { mark.classList.add("current"); mark.scrollIntoView({ block: "center" }); }
}

async function open(event) {
  event.preventDefault();
  sessionStorage.setItem("qgraph-token", $("token").value);
  const id = $("review-id").value.trim();
  const answer = await fetch(`/review/${encodeURIComponent(id)}`, { headers: headers() });
  if (!answer.ok) { say(`could not open ${id}: ${answer.status}`); return; }
  state.review = await answer.json();
  state.items = [];
  for (const [section, records] of Object.entries(state.review.sections)) {
    if (section === "documents") continue;
    for (const record of records) {
      state.items.push({ index: state.items.length, section, record, key: `${section}/${record.id}` });
    }
  }
  state.current = 0;
  state.decisions = {};
  renderDocument();
  renderList();
  say(`${state.items.length} candidates in ${id}`);
}

async function apply() {
  const id = state.review.id;
  const answer = await fetch(`/review/${encodeURIComponent(id)}/apply`, {
    method: "POST", headers: headers(), body: JSON.stringify({ decisions: state.decisions }) });
  const body = await answer.json();
  if (!answer.ok) { say(`not applied: ${JSON.stringify(body.detail)}`); return; }
  say(body.changeset ? `applied: changeset ${body.changeset}: ${JSON.stringify(body.written)}`
                     : `applied: ${body.message}`);
}

document.addEventListener("keydown", (event) => {
  if (!state.items.length || event.target.tagName === "INPUT") {
    if (event.key === "Escape") event.target.blur();
    return;
  }
  const it = state.items[state.current];
  if (event.key === "j") select(state.current + 1);
  else if (event.key === "k") select(state.current - 1);
  else if (event.key === "a") { decide(it, "accepted"); select(state.current + 1); }
  else if (event.key === "r") { decide(it, "rejected"); select(state.current + 1); }
  else if (event.key === "e") { event.preventDefault(); $(`c-${state.current}`).querySelector("input.name").focus(); }
  else if (event.key === "m") { event.preventDefault(); $(`c-${state.current}`).querySelector("input.match").focus(); }
  else if (event.key === "Enter" && event.shiftKey) apply();
});

$("open").addEventListener("submit", open);
$("apply").addEventListener("click", apply);
const params = new URLSearchParams(location.search);
if (params.get("id")) $("review-id").value = params.get("id");
