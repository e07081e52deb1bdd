/* The JSON API as the explorer uses it. Every call resolves to parsed JSON or throws an ApiError whose `outage` says
 * whether the store (503) or the server (no answer) is down, so the page shows a banner, never raw JSON.
 * Names are turned into ids with /resolve where the server has it, else with /search (the best hit). */

export class ApiError extends Error {
  constructor(status, detail, outage) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.outage = outage;
  }
}

function detailText(body, status) {
  if (!body) return "HTTP " + status;
  const d = body.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) return d.map((x) => (x && x.msg ? (x.loc ? x.loc.join(".") + ": " : "") + x.msg : String(x))).join("; ");
  return body.error || "HTTP " + status;
}

let inflight = 0;
function busy(delta) {
  inflight += delta;
  document.body.setAttribute("data-busy", String(inflight));  // tests wait for 0 before they navigate away
}

async function call(url, options) {
  busy(1);
  try { return await send(url, options); } finally { busy(-1); }
}

async function send(url, options) {
  let resp;
  try {
    resp = await fetch(url, Object.assign({ headers: { Accept: "application/json" } }, options || {}));
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, String(err && err.message || err), true);
  }
  if (resp.ok) return options && options.raw ? resp : resp.json();
  let body = null;
  try { body = await resp.json(); } catch (_) { /* not JSON: keep the status */ }
  throw new ApiError(resp.status, detailText(body, resp.status), resp.status === 503 || resp.status === 502);
}

export function get(path, params, signal) {
  const qs = new URLSearchParams();
  Object.entries(params || {}).forEach(([k, v]) => {
    if (v === undefined || v === null || v === "") return;
    (Array.isArray(v) ? v : [v]).forEach((x) => qs.append(k, x));
  });
  const q = qs.toString();
  return call(path + (q ? "?" + q : ""), { signal });
}

export function post(path, body, raw) {
  return call(path, { method: "POST", raw, body: JSON.stringify(body),
                      headers: { "Content-Type": "application/json", Accept: raw ? "*/*" : "application/json" } });
}

/** A write: POST with the editor's bearer token (held by the page in memory only, never in the URL or storage). */
export function postAs(path, body, token) {
  return call(path, { method: "POST", body: JSON.stringify(body || {}),
                      headers: { "Content-Type": "application/json", Accept: "application/json",
                                 Authorization: "Bearer " + token } });
}

// ---------------------------------------------------------------- suggestions and names

const flag = (name) => (document.body.getAttribute("data-" + name) === "true" ? null : false);
let suggestAvailable = flag("suggest");  // false: this server has none (the page says so), null: not tried yet

/** Up to `limit` suggestions [{id, kind, name, name_ja, nation, matched, external}] for what was typed. */
export async function suggest(q, limit, signal) {
  if (suggestAvailable !== false) {
    try {
      const r = await get("/suggest", { q, limit }, signal);
      suggestAvailable = true;
      return r.suggestions;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404 || suggestAvailable === true) throw err;
      suggestAvailable = false;  // an older server: fall back to /search
    }
  }
  const r = await get("/search", { q, limit }, signal);
  return r.hits.map((h) => Object.assign({}, h.entity, {
    matched: h.aliases.find((a) => a.normalize("NFKC").toLowerCase().includes(q.normalize("NFKC").toLowerCase().trim())) || null,
    external: !!h.entity.external,
  }));
}

let resolveAvailable = flag("resolve");

/** An id for a name, id or alias: {match: ref} or {match: null, candidates: [ref]} (ambiguous or unknown). */
export async function resolve(text) {
  const q = String(text || "").trim();
  if (!q) return { match: null, candidates: [] };
  if (resolveAvailable !== false) {
    try {
      const r = await get("/resolve", { q });
      resolveAvailable = true;
      if (r.verdict === "match" && r.match) return { match: r.match, candidates: [] };
      return { match: null, candidates: (r.candidates || []).map((c) => c.entity), ambiguous: r.verdict === "ambiguous" };
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404 || resolveAvailable === true) throw err;
      resolveAvailable = false;
    }
  }
  if (/^[a-z0-9][a-z0-9-]*$/.test(q)) {
    try {
      const d = await get("/entities/" + encodeURIComponent(q));
      return { match: d.entity, candidates: [] };
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
    }
  }
  let hits = [];
  try { hits = (await get("/search", { q, limit: 5 })).hits; } catch (err) { if (!(err instanceof ApiError) || err.status !== 422) throw err; }
  if (hits.length) return { match: hits[0].entity, candidates: [] };
  // nothing: suggestions for the first word or the first characters, so the page can offer something
  const shorter = q.split(/\s+/)[0].slice(0, Math.max(2, Math.ceil(q.length / 2)));
  let near = [];
  try { near = shorter.length >= 2 ? (await get("/search", { q: shorter, limit: 5 })).hits.map((h) => h.entity) : []; } catch (_) { near = []; }
  return { match: null, candidates: near };
}
