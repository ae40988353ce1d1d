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

function follow(id, onProgress, onEnd) {  // server-sent events of one job
  const es = new EventSource(`/api/jobs/${id}/events`);
  es.addEventListener("progress", (e) => onProgress(JSON.parse(e.data)));
  es.addEventListener("end", (e) => { es.close(); onEnd && onEnd(JSON.parse(e.data)); });
  es.onerror = () => {};
  return es;
}

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

// --- index: submit, active jobs, history ------------------------------------------------------
async function indexPage() {
  const opts = await api("/api/options");
  const scen = $("#scenario"), dom = $("#domain");
  scen.innerHTML = opts.scenarios.map((s) => `<option value="${esc(s.id)}">${esc(s.id)} (${s.points} points)</option>`).join("");
  dom.innerHTML = opts.domains.map((d) => `<option value="${esc(d.name)}">${esc(d.name)}</option>`).join("");
  $("#f-domain").innerHTML += opts.domains.map((d) => `<option>${esc(d.name)}</option>`).join("");
  const byName = Object.fromEntries(opts.domains.map((d) => [d.name, d]));
  const drawDomain = () => {
    const d = byName[dom.value]; if (!d || !d.config) return;
    $("#config-keys").innerHTML = Object.entries(d.config).map(([k, c]) => {
      const field = c.allowed
        ? `<select data-key="${esc(k)}">${c.allowed.map((v) => `<option${v === c.value ? " selected" : ""}>${esc(v)}</option>`).join("")}</select>`
        : `<input data-key="${esc(k)}" value="${esc(c.value)}" size="10">`;
      return `<div class="row"><label class="k">${esc(k)}</label>${field}<span class="err" data-field="config.${esc(k)}"></span></div>`;
    }).join("");
    drawCorners(d.corners);
    $("#temperatures").innerHTML = opts.temperatures.map((t) => `<label><input type="checkbox" name="temp" value="${esc(t)}"> ${esc(t)}</label> `).join("");
    $$("#config-keys [data-key]").forEach((el) => el.addEventListener("change", () => validate(false)));
  };
  const drawCorners = (corners) => {
    const was = new Set($$("input[name=corner]:checked").map((e) => e.value));
    $("#corners").innerHTML = corners.map((c) => `<label><input type="checkbox" name="corner" value="${esc(c)}"${was.has(c) ? " checked" : ""}> ${esc(c)}</label> `).join("");
  };
  const mode = () => $("input[name=mode]:checked").value;
  $$("input[name=mode]").forEach((r) => r.addEventListener("change", () => { $("#domain-fields").disabled = mode() !== "domain"; }));
  dom.addEventListener("change", drawDomain);
  drawDomain();

  const body = () => {
    if (mode() === "scenario") return {scenario: scen.value};
    const d = byName[dom.value], config = {};
    $$("#config-keys [data-key]").forEach((el) => { if (d.config[el.dataset.key].value !== el.value) config[el.dataset.key] = el.value; });
    const corners = $$("input[name=corner]:checked").map((e) => e.value);
    const temps = $$("input[name=temp]:checked").map((e) => e.value);
    const b = {domain: dom.value, config};
    if (corners.length) b.corners = corners;
    if (temps.length) b.temperatures = temps;
    if ($("#name").value.trim()) b.name = $("#name").value.trim();
    return b;
  };
  const showError = (e) => {
    $$(".err").forEach((s) => (s.textContent = ""));
    const slot = e.field && ($(`.err[data-field="${CSS.escape(e.field)}"]`) || $(`.err[data-field="${CSS.escape(e.field.split(".")[0])}"]`));
    (slot || $("#message")).textContent = e.message;
    if (!slot) $("#message").className = "bad";
  };
  async function validate(say) {
    $$(".err").forEach((s) => (s.textContent = "")); $("#message").textContent = "";
    try {
      const v = await api("/api/validate", {method: "POST", body: body()});
      if (mode() === "domain") drawCorners(v.corners_allowed);
      if (say) { $("#message").className = "ok"; $("#message").textContent = `OK: ${v.points} PVT points (${v.name})`; }
      return v;
    } catch (e) { showError(e); return null; }
  }
  $("#validate").addEventListener("click", () => validate(true));
  $("#submit-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $$(".err").forEach((s) => (s.textContent = ""));
    try {
      const r = await api("/api/jobs", {method: "POST", body: body()});
      $("#message").className = "ok";
      $("#message").innerHTML = `queued <a href="/jobs/${r.id}">job ${r.id}</a> (${r.points} points)`;
      loadActive(); loadHistory();
    } catch (e) { showError(e); }
  });

  const followed = {};
  async function loadActive() {
    const rows = (await api("/api/jobs?status=running")).concat(await api("/api/jobs?status=queued"));
    const box = $("#active");
    if (!rows.length && !Object.keys(followed).length) { box.innerHTML = '<p class="muted">none</p>'; return; }
    for (const r of rows) {
      if (followed[r.id]) continue;
      const div = document.createElement("div");
      div.className = "active-job"; div.id = `active-${r.id}`;
      div.innerHTML = `<a href="/jobs/${r.id}">job ${r.id}</a> ${esc(r.domain)} ${esc(r.name || "")} <span class="bar"><span style="width:0%"></span></span> <span class="ptext"></span>`;
      if ($("p.muted", box)) box.innerHTML = "";
      box.appendChild(div);
      let lastStatus = r.status;
      followed[r.id] = follow(r.id, (p) => {
        if (p.status !== lastStatus) { lastStatus = p.status; loadHistory(); }  // queued -> running
        $(".bar>span", div).style.width = progressPct(p) + "%";
        $(".ptext", div).innerHTML = stateCell(p.state) + " " + esc(progressText(p).replace(p.state, ""));
      }, () => loadHistory());
    }
  }
  async function loadHistory() {
    const q = new URLSearchParams();
    for (const [k, id] of [["domain", "#f-domain"], ["status", "#f-status"], ["user", "#f-user"], ["since", "#f-since"], ["scenario", "#f-scenario"]]) if ($(id).value) q.set(k, $(id).value);
    const slot = $('.err[data-field="history"]'); slot.textContent = "";
    let rows;
    try { rows = await api("/api/jobs?" + q); } catch (e) { slot.textContent = e.message; return; }
    $("#history tbody").innerHTML = rows.map((r) => `<tr><td><a href="/jobs/${r.id}">${r.id}</a></td><td>${stateCell(r.state)}</td><td>${when(r.submitted_at)}</td><td>${took(r.elapsed_s)}</td><td>${esc(r.user)}</td><td>${esc(r.face)}</td><td>${esc(r.domain)}</td><td>${esc(r.scenario)}</td><td>${esc(r.name)}</td><td class="num">${r.n_points ?? r.points_total ?? ""}</td><td class="num">${r.n_failed_points ?? ""}</td><td>${esc(r.golden || (r.status === "completed" ? "none" : "-"))}</td><td class="${esc(r.spec_verdict || "")}">${esc(r.spec_verdict || (r.status === "completed" ? "none" : "-"))}</td></tr>`).join("");
  }
  $("#f-apply").addEventListener("click", loadHistory);
  loadActive(); loadHistory();
  setInterval(loadActive, 3000);  // jobs started elsewhere (CLI, pytest) show up too
}

// --- job page ----------------------------------------------------------------------------------
async function jobPage() {
  const id = Number(location.pathname.split("/").pop());
  let job = await api(`/api/jobs/${id}`);
  const draw = (j) => {
    $("#title").innerHTML = `job ${j.id}: ${esc(j.domain)} ${esc(j.name || "")} — ${stateCell(j.state)}`;
    document.title = `wkpup — job ${j.id}`;
    $("#summary").innerHTML = `<table><tr><th>scenario</th><td>${esc(j.scenario)}</td><th>face</th><td>${esc(j.face)}</td><th>user</th><td>${esc(j.user)}</td></tr>
      <tr><th>submitted</th><td>${when(j.submitted_at)}</td><th>finished</th><td>${when(j.finished_at)}</td><th>elapsed</th><td>${took(j.elapsed_s)}</td></tr>
      <tr><th>simulator</th><td>${esc(j.simulator)} ${esc(j.simulator_version || "")}</td><th>golden</th><td>${esc(j.golden || (j.status === "completed" ? "none" : "-"))} · spec <span class="${esc(j.spec_verdict || "")}">${esc(j.spec_verdict || (j.status === "completed" ? "none" : "-"))}</span></td><th>resumes</th><td>${j.resumes}</td></tr>
      ${j.error ? `<tr><th>error</th><td colspan="5" class="fail">${esc(j.error_stage || "")}: ${esc(j.error)}</td></tr>` : ""}</table>`;
    $("#stages tbody").innerHTML = j.stages.map((s) => `<tr><td>${esc(s.stage)}</td><td>${stateCell(s.status)}</td><td>${s.exit_code ?? ""}</td><td>${s.started_at && s.finished_at ? took(s.finished_at - s.started_at) : ""}</td><td>${s.log_path && j.links.logs ? `<a href="${j.links.logs}${esc(s.log_path.split("/").pop())}">${esc(s.log_path.split("/").pop())}</a>` : ""}</td></tr>`).join("");
    $("#links").innerHTML = Object.keys(j.links).length ? "<h2>Files</h2>" + Object.entries(j.links).map(([k, v]) => `<a href="${esc(v)}">${esc(k)}</a>`).join(" · ") : "";
    $("#config").textContent = j.config_text || "";
    $("#cancel").hidden = !["queued", "running"].includes(j.status);
    $("#resume").hidden = !j.resumable;
    const cg = $("#compare-golden");
    cg.hidden = !(j.scenario && !["cli", "web"].includes(j.scenario) && j.n_points != null);
    cg.href = `/compare?a=${j.id}&b=golden`;
  };
  const setProgress = (p) => {
    $("#bar").style.width = progressPct(p) + "%";
    $("#progress-text").textContent = progressText(p);
  };
  draw(job); setProgress(job.progress);
  if (!["completed", "failed", "cancelled"].includes(job.status)) {
    follow(id, async (p) => {
      setProgress(p);
      job = await api(`/api/jobs/${id}`); draw(job);
    }, async () => { job = await api(`/api/jobs/${id}`); draw(job); setProgress(job.progress); loadResults(); });
  }
  $("#cancel").addEventListener("click", async () => {
    $("#message").textContent = "cancelling…";
    try { const r = await api(`/api/jobs/${id}/cancel`, {method: "POST"}); $("#message").textContent = `job ${id}: ${r.state}`; }
    catch (e) { $("#message").textContent = e.message; }
    job = await api(`/api/jobs/${id}`); draw(job); setProgress(job.progress);
  });
  $("#resume").addEventListener("click", async () => {
    try { await api(`/api/jobs/${id}/resume`, {method: "POST"}); $("#message").textContent = "resuming…"; setTimeout(() => location.reload(), 1500); }
    catch (e) { $("#message").textContent = e.message; }
  });
  loadResults();

  async function loadResults() {
    const res = await api(`/api/jobs/${id}/results`);
    if (!res.points.length) return;
    $("#results").hidden = false;
    const u = (n) => (res.units[n] ? ` (${res.units[n]})` : "");
    $("#near-note").textContent = `near = within ${(100 * res.near_margin).toFixed(0)} % of the limit span (or value)`;
    $("#specs tbody").innerHTML = res.specs.map((s) => `<tr><td>${esc(s.name)}</td><td>[${s.lo == null ? "-inf" : fmt(s.lo)}, ${s.hi == null ? "+inf" : fmt(s.hi)}] ${esc(s.unit)}</td><td class="${esc(s.verdict)}">${esc(s.verdict.toUpperCase())}</td><td class="num">${s.n_fail}/${s.n_points}</td><td class="num">${s.n_near}</td><td class="num">${fmt(s.worst_value)} ${esc(s.unit)}</td><td class="num">${fmt(s.margin)} ${esc(s.unit)}</td><td>${esc(s.margin_point || "")}</td></tr>`).join("") || '<tr><td colspan="8" class="muted">no spec limits for this job</td></tr>';
    $("#worst tbody").innerHTML = res.worst.map((w) => `<tr><td>${esc(w.name)}</td><td>${esc(w.unit)}</td><td class="num">${fmt(w.min)}</td><td>${esc(w.min_point)}</td><td class="num">${fmt(w.max)}</td><td>${esc(w.max_point)}</td><td>${w.failed || ""}</td></tr>`).join("");
    // points table: sortable, filterable
    const volts = (p) => [p.v1, p.v2, p.v3].filter((x) => x != null).join("/") + (p.swp ? " " + p.swp : "");
    const cols = [["corner", (p) => p.corner], ["extraction", (p) => p.extraction], ["temp (°C)", (p) => p.temperature], ["voltages", volts]]
      .concat(res.names.map((n) => [n + u(n), (p) => (p.cells[n] ? p.cells[n].value : null), n]));
    $("#points thead").innerHTML = "<tr>" + cols.map((c, i) => `<th class="sortable" data-col="${i}">${esc(c[0])}</th>`).join("") + "</tr>";
    for (const [sel, f] of [["#p-corner", (p) => p.corner], ["#p-extraction", (p) => p.extraction], ["#p-temperature", (p) => p.temperature], ["#p-volts", volts]]) {
      const vals = [...new Set(res.points.map(f))];
      $(sel).innerHTML = '<option value="">all</option>' + vals.map((v) => `<option>${esc(v)}</option>`).join("");
      $(sel).onchange = drawPoints;
    }
    let sortCol = null, sortDir = 1;
    $$("#points th.sortable").forEach((th) => th.addEventListener("click", () => { const c = Number(th.dataset.col); sortDir = sortCol === c ? -sortDir : 1; sortCol = c; drawPoints(); }));
    function drawPoints() {
      const want = {corner: $("#p-corner").value, extraction: $("#p-extraction").value, temperature: $("#p-temperature").value, volts: $("#p-volts").value};
      let rows = res.points.filter((p) => (!want.corner || p.corner === want.corner) && (!want.extraction || p.extraction === want.extraction) && (!want.temperature || String(p.temperature) === want.temperature) && (!want.volts || volts(p) === want.volts));
      if (sortCol != null) { const f = cols[sortCol][1]; rows = rows.slice().sort((a, b) => { const x = f(a), y = f(b); return (x == null) - (y == null) || (x < y ? -1 : x > y ? 1 : 0) * sortDir; }); }
      $("#p-count").textContent = `${rows.length} of ${res.points.length} points`;
      $("#points tbody").innerHTML = rows.map((p) => "<tr>" + `<td>${esc(p.corner)}</td><td>${esc(p.extraction)}</td><td class="num">${p.temperature}</td><td>${esc(volts(p))}</td>` +
        res.names.map((n) => { const c = p.cells[n]; if (!c) return "<td></td>"; const cls = c.verdict ? ` ${c.verdict}` : ""; const title = c.verdict ? ` title="${c.verdict}, margin ${fmt(c.margin)}${esc(res.units[n] || "")}"` : ""; const shown = c.value == null ? esc(c.raw) : fmt(c.value); const exact = c.value == null ? "" : ` data-raw="${esc(c.raw)}"`; return `<td class="num${cls}"${title}${exact}>${shown}</td>`; }).join("") + "</tr>").join("");
    }
    drawPoints();
    // plots: the same Plotly figures as the HTML export
    const figs = (await api(`/api/jobs/${id}/plots`)).figures;
    const box = $("#plots"); box.innerHTML = "";
    for (const f of figs) {
      const div = document.createElement("div");
      div.className = "plot"; div.id = `plot-${f.id}`;
      if (f.kind === "heatmap") { const h = $("#heatmap"); h.hidden = false; Plotly.newPlot(h, f.figure.data, f.figure.layout, {displaylogo: false, responsive: true}); continue; }
      box.appendChild(div);
      Plotly.newPlot(div, f.figure.data, f.figure.layout, {displaylogo: false, responsive: true});
    }
  }
}

// --- compare -------------------------------------------------------------------------------
async function comparePage() {
  const q = new URLSearchParams(location.search);
  $("#a").value = q.get("a") || ""; $("#b").value = q.get("b") || "";
  async function run() {
    const slot = $('.err[data-field="compare"]'); slot.textContent = "";
    let r;
    try { r = await api(`/api/compare?a=${encodeURIComponent($("#a").value)}&b=${encodeURIComponent($("#b").value)}&limit=500`); }
    catch (e) { slot.textContent = e.message; return; }
    $("#verdict").innerHTML = r.identical ? `<span class="ok">${esc(r.a)} and ${esc(r.b)}: identical, ${r.cells} cells</span>` : `<span class="bad">${esc(r.a)} vs ${esc(r.b)}: ${r.differences} of ${r.cells} cells differ</span> (largest relative change first)`;
    $("#diffs tbody").innerHTML = r.rows.map((d) => `<tr><td>${esc(d.point)}</td><td>${esc(d.name)}</td><td>${esc(d.unit)}</td><td class="num">${esc(d.a_raw ?? "-")}</td><td class="num">${esc(d.b_raw ?? "-")}</td><td class="num">${fmt(d.delta)}</td><td class="num">${d.rel == null ? "-" : fmt(100 * d.rel) + " %"}</td></tr>`).join("");
  }
  $("#compare-form").addEventListener("submit", (e) => { e.preventDefault(); history.replaceState(null, "", `/compare?a=${encodeURIComponent($("#a").value)}&b=${encodeURIComponent($("#b").value)}`); run(); });
  if ($("#a").value && $("#b").value) run();
}

// --- health --------------------------------------------------------------------------------
async function healthPage() {
  const h = await api("/api/health");
  $("#overall").innerHTML = h.ok ? '<span class="ok">all checks pass</span>' : '<span class="bad">something needs attention</span>';
  const rows = [
    ["core manifest", h.core.ok, `${h.core.verdict}`],
    ["simulator", h.simulator.ok, `${h.simulator.name} ${h.simulator.version || ""} (${h.simulator.path || "not found"})`],
    ["SKY130 models", h.models.ok, h.models.path || h.models.error],
    ["store", h.store.ok, `${h.store.path} (${h.store.writable ? "writable" : "NOT writable"}); jobs: ${Object.entries(h.store.jobs).map(([k, v]) => `${k} ${v}`).join(", ")}`],
    ["CPU budget", h.budget.ok, `${h.budget.cpus} simulations at once, ${h.budget.busy} busy now (${h.budget.slot_dir})`],
    ["queue worker", h.worker.running, h.worker.job ? `running job ${h.worker.job}` : "idle"],
  ];
  $("#health tbody").innerHTML = rows.map(([k, ok, d]) => `<tr><td>${esc(k)}</td><td class="${ok ? "pass" : "fail"}">${ok ? "OK" : "FAIL"}</td><td>${esc(d)}</td></tr>`).join("");
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  const run = {index: indexPage, job: jobPage, compare: comparePage, health: healthPage}[page];
  if (run) run().catch((e) => { const m = $("#message") || document.body; m.textContent = "error: " + e.message; });
});
