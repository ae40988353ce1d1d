// wkpup pages: plain JS over the REST API (/api), no framework, nothing fetched from elsewhere.
"use strict";
const $ = (sel, root) => (root || document).querySelector(sel);
const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
// fmt: the one number format, as report/units.py number() writes it (Python's "%.6g").
const fmt = (v) => { if (v == null) return "-"; const x = Number(v); if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "+inf" : "-inf"; const [m, e] = x.toExponential(5).split("e"); const exp = Number(e); if (exp < -4 || exp >= 6) return m.replace(/\.?0+$/, "") + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0"); const f = x.toFixed(5 - exp); return f.includes(".") ? f.replace(/\.?0+$/, "") : f; };
const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "-");
const took = (s) => (s == null ? "-" : s < 60 ? s.toFixed(1) + " s" : Math.floor(s / 60) + " min " + Math.round(s % 60) + " s");

async function api(path, opts) {
  opts = opts || {};
  const init = {method: opts.method || "GET", headers: {}, credentials: "same-origin"};
  if (init.method !== "GET") init.headers["X-Wkpup-Csrf"] = "1";  // the server's CSRF guard
  if (opts.body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(opts.body); }
  const r = await fetch(path, init);
  const data = (r.headers.get("content-type") || "").includes("json") ? await r.json() : await r.text();
  if (!r.ok) { const e = new Error((data && data.detail) || r.statusText); e.field = data && data.field; e.status = r.status; throw e; }
  return data;
}

function stateCell(state) { return `<span class="status-${esc(String(state).split(" ")[0])}">${esc(state)}</span>`; }

function progressText(p) {
  const stage = p.stage ? `stage ${p.stage}` : "";
  const pts = p.points_total != null ? `${p.points_done} / ${p.points_total} points` : "";
  const failed = p.points_failed ? `, ${p.points_failed} failed` : "";
  return [p.state, stage, pts + failed].filter(Boolean).join(" — ");
}
function progressPct(p) {
  if (["completed"].includes(p.status)) return 100;
  return p.points_total ? Math.round((100 * p.points_done) / p.points_total) : 0;
}
// eng: a number with an SI prefix and its unit, as report/units.py eng() writes it
// ("−336.9 µA", "9.517 mV", "2.448 kΩ"); fmt stays for unit-less numbers.
const ENG_UNITS = new Set(["A", "V", "Ω", "s", "F", "H", "W", "Hz"]);
const ENG_PREFIX = {"-15": "f", "-12": "p", "-9": "n", "-6": "µ", "-3": "m", "0": "", "3": "k", "6": "M", "9": "G", "12": "T"};
const eng = (v, unit) => { unit = unit || ""; const sfx = unit ? " " + unit : ""; if (v == null) return "-"; const x = Number(v); if (!Number.isFinite(x)) return (Number.isNaN(x) ? "nan" : x > 0 ? "+inf" : "-inf") + sfx; if (x === 0) return "0" + sfx; if (!ENG_UNITS.has(unit) || !(Math.abs(x) >= 1e-15 && Math.abs(x) < 1e15)) return fmt(x) + sfx; const mant = (e3) => Number((e3 < 0 ? x * 10 ** -e3 : x / 10 ** e3).toPrecision(4)); let e3 = 3 * Math.floor(Math.log10(Math.abs(x)) / 3), m = mant(e3); if (Math.abs(m) >= 1000 && e3 < 12) { e3 += 3; m = mant(e3); } else if (Math.abs(m) < 1 && e3 > -15) { e3 -= 3; m = mant(e3); } return String(m).replace("-", "\u2212") + " " + ENG_PREFIX[String(e3)] + unit; };

// Each page's script registers its entry here (index.js, job.js, compare.js, health.js).
const PAGES = {};
document.addEventListener("DOMContentLoaded", () => {
  const run = PAGES[document.body.dataset.page];
  if (run) run().catch((e) => { const m = $("#message") || document.body; m.textContent = "error: " + e.message; });
});

// --- live: the server's one event stream (/api/events; ?job=<id>: that job only) ---------------
// A progress event carries the server's clock (`now`): elapsed time and the ETA count on
// from it, so a page shows them right even when its own clock is off.
function liveEvents(job, onProgress) {
  const es = new EventSource("/api/events" + (job ? `?job=${job}` : ""));
  es.addEventListener("progress", (e) => { const p = JSON.parse(e.data); p.skew = p.now - Date.now() / 1000; onProgress(p); });
  es.onerror = () => {};  // EventSource reconnects by itself (the server says retry: 2 s)
  return es;
}
const serverNow = (p) => Date.now() / 1000 + (p.skew || 0);
function elapsedOf(p) {
  if (p.status === "running" && p.started_at != null) return Math.max(0, serverNow(p) - p.started_at);
  return p.elapsed_s;
}
// "elapsed 1 min 3 s · ETA ~42.0 s (estimate from 12 measured points)"
function timeText(p) {
  const parts = [], el = elapsedOf(p);
  if (el != null) parts.push(`elapsed ${took(el)}`);
  if (p.status === "running" && p.points_total && p.points_done < p.points_total) {
    if (p.eta_s == null) parts.push("ETA: estimating…");
    else parts.push(`ETA ~${took(Math.max(0, p.eta_s - (serverNow(p) - p.now)))} (estimate from ${p.eta_points} measured point${p.eta_points === 1 ? "" : "s"})`);
  }
  return parts.join(" · ");
}
const ENDED = ["completed", "failed", "cancelled"];
// sortableHeaders: every <th data-sort="key"> of `table` becomes a sort control: onSort(key,
// dir) re-draws the rows (dir 1 ascending, -1 descending; a second use of the same header
// reverses), aria-sort tells a screen reader the state. The keyboard comes from keyboardSort
// below, as for every th.sortable.
function sortableHeaders(table, onSort) {
  let current = null, dir = 1;
  $$("th[data-sort]", table).forEach((th) => {
    th.classList.add("sortable"); th.setAttribute("aria-sort", "none"); th.title = "sort by " + th.textContent.trim();
    th.addEventListener("click", () => {
      dir = current === th.dataset.sort ? -dir : 1; current = th.dataset.sort;
      $$("th[data-sort]", table).forEach((h) => h.setAttribute("aria-sort", h === th ? (dir > 0 ? "ascending" : "descending") : "none"));
      onSort(current, dir);
    });
  });
  keyboardSort(table);
}
// keyboardSort: every th.sortable (sortableHeaders' or a page's own, e.g. the job page's
// points table) is reachable by Tab and sorts on Enter or Space as on a click. Runs on every
// page and again whenever a table is (re)drawn.
function keyboardSort(root) {
  $$("th.sortable", root).forEach((th) => { if (!th.hasAttribute("tabindex")) { th.tabIndex = 0; th.setAttribute("role", "button"); } });
}
document.addEventListener("keydown", (e) => {
  const th = e.target.closest && e.target.closest("th.sortable");
  if (th && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); th.click(); }
});
new MutationObserver(() => keyboardSort(document)).observe(document.documentElement, {childList: true, subtree: true});
// byKey: a comparator for rows of objects, numbers as numbers, missing values last.
const byKey = (key, dir) => (x, y) => { const a = x[key], b = y[key]; if (a == null) return b == null ? 0 : 1; if (b == null) return -1; return (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b), undefined, {numeric: true})) * dir; };
