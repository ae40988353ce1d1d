// wkpup pages: one job (after app.js: its helpers). Plain JS over the REST API, nothing fetched from elsewhere.
"use strict";
// --- job page ----------------------------------------------------------------------------------
async function jobPage() {
  const id = Number(location.pathname.split("/").pop());
  let job = await api(`/api/jobs/${id}`);
  // a cancelled job is no error: its note is neutral (cancel is something a person asked for)
  const endNote = (j) => {
    if (!j.error) return "";
    if (j.status === "cancelled") return `<tr class="cancel-note"><th>cancelled</th><td colspan="5" class="muted">${j.error_stage ? "during stage " + esc(j.error_stage) + "; " : ""}resumable: only unfinished points run again</td></tr>`;
    return `<tr><th>error</th><td colspan="5" class="fail">${esc(j.error_stage || "")}: ${esc(j.error)}</td></tr>`;
  };
  const stageTook = (s) => (s.status === "running" ? "running…" : s.started_at && s.finished_at ? took(s.finished_at - s.started_at) : "");
  const draw = (j) => {
    $("#title").innerHTML = `job ${j.id}: ${esc(j.domain)} ${esc(j.name || "")} — ${stateCell(j.state)}`;
    document.title = `wkpup — job ${j.id}`;
    $("#summary").innerHTML = `<table><tr><th>scenario</th><td>${esc(j.scenario)}</td><th>face</th><td>${esc(j.face)}</td><th>user</th><td>${esc(j.user)}</td></tr>
      <tr><th>submitted</th><td>${when(j.submitted_at)}</td><th>finished</th><td>${when(j.finished_at)}</td><th>elapsed</th><td id="elapsed">${took(elapsedOf(j.progress))}</td></tr>
      <tr><th>simulator</th><td>${esc(j.simulator)} ${esc(j.simulator_version || "")}</td><th>golden</th><td>${esc(j.golden || (j.status === "completed" ? "none" : "-"))} · spec <span class="${esc(j.spec_verdict || "")}">${esc(j.spec_verdict || (j.status === "completed" ? "none" : "-"))}</span></td><th>resumes</th><td>${j.resumes}</td></tr>
      ${endNote(j)}</table>`;
    $("#stages tbody").innerHTML = j.stages.map((s) => `<tr data-stage="${esc(s.stage)}"><td>${esc(s.stage)}</td><td>${stateCell(s.status)}</td><td>${s.exit_code ?? ""}</td><td>${stageTook(s)}</td><td>${s.log && j.links.logs ? `<a href="${j.links.logs}${esc(s.log)}">${esc(s.log)}</a>` : ""}</td></tr>`).join("");
    $("#links").innerHTML = Object.keys(j.links).length ? "<h2>Files</h2>" + Object.entries(j.links).map(([k, v]) => `<a href="${esc(v)}">${esc(k)}</a>`).join(" · ") : "";
    $("#config").textContent = j.config_text || "";
    $("#cancel").hidden = !["queued", "running"].includes(j.status);
    if ($("#cancel").hidden) $("#cancel-confirm").hidden = true;
    $("#resume").hidden = !j.resumable;
    const cg = $("#compare-golden");
    cg.hidden = !(j.scenario && !["cli", "web"].includes(j.scenario) && j.n_points != null);
    cg.href = `/compare?a=${j.id}&b=golden`;
    // its runs over time (trend.py names a scenario job SCENARIO::NAME, any other by its name)
    const tl = $("#trend-link"), label = j.scenario && !["cli", "web"].includes(j.scenario) ? `${j.scenario}::${j.name}` : j.name;
    tl.hidden = !(label && j.n_points != null);
    tl.href = `/trend?job=${encodeURIComponent(label || "")}`;
  };
  // live slots the page's HTML does not have: elapsed / ETA, the cancel confirmation, the partial label
  $("#progress-box").insertAdjacentHTML("beforeend", ' <span id="timing" class="muted"></span>');
  $("#cancel").insertAdjacentHTML("afterend", '<span id="cancel-confirm" hidden>Cancel this job? Finished points are kept and it can be resumed. <button id="cancel-yes" type="button">Yes, cancel</button><button id="cancel-no" type="button">Keep running</button></span>');
  $("#results").insertAdjacentHTML("beforebegin", '<p id="partial-note" class="partial" hidden></p>');
  let prog = job.progress;
  const setProgress = (p) => {
    prog = p;
    $("#bar").style.width = progressPct(p) + "%";
    $("#progress-text").textContent = progressText(p);
    $("#timing").textContent = timeText(p);
  };
  setInterval(() => { if (prog.status === "running") { $("#timing").textContent = timeText(prog); const e = $("#elapsed"); if (e) e.textContent = took(elapsedOf(prog)); } }, 1000);
  // results so far while the job runs: at most every RESULTS_EVERY_MS, never two at once
  const RESULTS_EVERY_MS = 4000;
  let loading = false, again = false, lastLoad = 0;
  async function refreshResults() {
    if (loading) { again = true; return; }
    loading = true; lastLoad = Date.now();
    try { await loadResults(); } finally { loading = false; }
    partialNote();
    if (again) { again = false; refreshResults(); }
  }
  function partialNote() {  // says what the results shown are: the points so far, of a job in this state
    const n = $("#partial-note");
    n.hidden = !(job.results_partial && !$("#results").hidden);
    if (!n.hidden) n.textContent = `Partial results: the ${job.progress.points_done} of ${job.progress.points_total ?? "?"} points finished so far (job ${job.state}); worst cases and verdicts are of these points only.`;
  }
  draw(job); setProgress(job.progress);
  let seen = job.progress;
  liveEvents(id, async (p) => {  // one stream for this job, through cancel, resume and the end
    const changed = p.status !== seen.status || p.stage !== seen.stage || p.resumes !== seen.resumes || JSON.stringify(p.stages) !== JSON.stringify(seen.stages);
    const morePoints = p.points_done !== seen.points_done;
    if (p.status !== seen.status) $("#message").textContent = "";  // "resume requested" and the like are done
    seen = p; setProgress(p);
    if (changed || morePoints) { job = await api(`/api/jobs/${id}`); draw(job); partialNote(); }
    if (changed) refreshResults();
    else if (morePoints && Date.now() - lastLoad > RESULTS_EVERY_MS) refreshResults();
  });
  $("#cancel").addEventListener("click", () => { $("#cancel-confirm").hidden = false; $("#cancel-yes").focus(); });
  $("#cancel-no").addEventListener("click", () => { $("#cancel-confirm").hidden = true; });
  $("#cancel-yes").addEventListener("click", async () => {
    $("#cancel-confirm").hidden = true;
    $("#message").textContent = "cancelling…";
    try { const r = await api(`/api/jobs/${id}/cancel`, {method: "POST"}); $("#message").textContent = `job ${id}: ${r.state}`; }
    catch (e) { $("#message").textContent = e.message; }
    job = await api(`/api/jobs/${id}`); draw(job); setProgress(job.progress); refreshResults();
  });
  $("#resume").addEventListener("click", async () => {
    try { await api(`/api/jobs/${id}/resume`, {method: "POST"}); $("#message").textContent = "resume requested: only unfinished points run again"; $("#resume").hidden = true; }
    catch (e) { $("#message").textContent = e.message; }
  });
  refreshResults();

  async function loadResults() {
    const res = await api(`/api/jobs/${id}/results`);
    if (!res.points.length) return;
    $("#results").hidden = false;
    // every number people read: engineering units (eng, app.js); the exact text stays in data-raw
    const un = (n) => res.units[n] || "";
    const u = (n) => (un(n) ? ` (${un(n)})` : "");
    const pct = (p) => (p == null ? "" : ` (${Number(p).toFixed(1)} %)`);
    const margin = (m, p, unit) => `${eng(m, unit)}${pct(p)}`;
    $("#near-note").textContent = `near = within ${(100 * res.near_margin).toFixed(0)} % of the limit span (or value); margin in % of the limit it is measured from`;
    $("#specs tbody").innerHTML = res.specs.map((s) => `<tr><td>${esc(s.name)}</td><td>[${s.lo == null ? "-inf" : esc(eng(s.lo, s.unit))}, ${s.hi == null ? "+inf" : esc(eng(s.hi, s.unit))}]</td><td class="${esc(s.verdict)}">${esc(s.verdict.toUpperCase())}</td><td class="num">${s.n_fail}/${s.n_points}</td><td class="num">${s.n_near}</td><td class="num">${esc(eng(s.worst_value, s.unit))}</td><td class="num">${esc(margin(s.margin, s.margin_pct, s.unit))}</td><td>${esc(s.margin_point || "")}</td></tr>`).join("") || '<tr><td colspan="8" class="muted">no spec limits for this job</td></tr>';
    $("#worst tbody").innerHTML = res.worst.map((w) => `<tr><td>${esc(w.name)}</td><td>${esc(w.unit)}</td><td class="num">${esc(eng(w.min, w.unit))}</td><td>${esc(w.min_point)}</td><td class="num">${esc(eng(w.max, w.unit))}</td><td>${esc(w.max_point)}</td><td>${w.failed || ""}</td></tr>`).join("");
    // each point's files: log, netlist, kept waveforms (waves.js draws them)
    let files = {};
    try { files = Object.fromEntries((await api(`/api/jobs/${id}/points/files`)).points.map((f) => [f.seq, f])); } catch (e) { files = {}; }
    // points table: sortable, filterable
    const volts = (p) => [p.v1, p.v2, p.v3].filter((x) => x != null).join("/") + (p.swp ? " " + p.swp : "");
    const supplies = (p) => Object.entries(p.supplies || {}).map(([k, v]) => `${k} ${typeof v === "number" ? eng(v, "V") : v}`).join(", ");
    const cols = [["corner", (p) => p.corner], ["extraction", (p) => p.extraction], ["temp (°C)", (p) => p.temperature], ["voltages", volts], ["supply volts", supplies]]
      .concat(res.names.map((n) => [n + u(n), (p) => (p.cells[n] ? p.cells[n].value : null), n]));
    $("#points thead").innerHTML = "<tr>" + cols.map((c, i) => `<th class="sortable" data-col="${i}">${esc(c[0])}</th>`).join("") + "<th>files</th></tr>";
    for (const [sel, f] of [["#p-corner", (p) => p.corner], ["#p-extraction", (p) => p.extraction], ["#p-temperature", (p) => p.temperature], ["#p-volts", volts]]) {
      const vals = [...new Set(res.points.map(f))];
      $(sel).innerHTML = '<option value="">all</option>' + vals.map((v) => `<option>${esc(v)}</option>`).join("");
      $(sel).onchange = drawPoints;
    }
    let sortCol = null, sortDir = 1;
    $$("#points th.sortable").forEach((th) => th.addEventListener("click", () => { const c = Number(th.dataset.col); sortDir = sortCol === c ? -sortDir : 1; sortCol = c; drawPoints(); }));
    const fileLinks = (p) => {
      const f = files[p.seq]; if (!f) return "";
      const out = [];
      if (f.log) out.push(`<a class="p-log" href="${esc(f.log)}">log</a>`);
      if (f.report) out.push(`<a class="p-report" href="${esc(f.report)}">report</a>`);
      if (f.netlist) out.push(`<a class="p-netlist" href="${esc(f.netlist)}">netlist</a>`);
      for (const w of f.waves) out.push(`<a class="p-wave" href="#waves" data-seq="${p.seq}" data-k="${w.k}">${w.k ? "wave a" + w.k : "wave"}</a>`);
      return out.join(" · ");
    };
    const cell = (p, n) => {
      const c = p.cells[n]; if (!c) return "<td></td>";
      const cls = c.verdict ? ` ${c.verdict}` : "";
      const title = c.verdict ? ` title="${esc(c.verdict)}, margin ${esc(margin(c.margin, c.margin_pct, un(n)))}"` : "";
      const shown = c.value == null ? esc(c.raw) : esc(eng(c.value, un(n)));
      const exact = c.value == null ? "" : ` data-raw="${esc(c.raw)}"`;
      return `<td class="num${cls}"${title}${exact}>${shown}</td>`;
    };
    function drawPoints() {
      const want = {corner: $("#p-corner").value, extraction: $("#p-extraction").value, temperature: $("#p-temperature").value, volts: $("#p-volts").value};
      let rows = res.points.filter((p) => (!want.corner || p.corner === want.corner) && (!want.extraction || p.extraction === want.extraction) && (!want.temperature || String(p.temperature) === want.temperature) && (!want.volts || volts(p) === want.volts));
      if (sortCol != null) { const f = cols[sortCol][1]; rows = rows.slice().sort((a, b) => { const x = f(a), y = f(b); return (x == null) - (y == null) || (x < y ? -1 : x > y ? 1 : 0) * sortDir; }); }
      $("#p-count").textContent = `${rows.length} of ${res.points.length} points`;
      $("#points tbody").innerHTML = rows.map((p) => `<tr data-seq="${p.seq}">` + `<td>${esc(p.corner)}</td><td>${esc(p.extraction)}</td><td class="num">${p.temperature}</td><td>${esc(volts(p))}</td><td class="supplies">${esc(supplies(p))}</td>` +
        res.names.map((n) => cell(p, n)).join("") + `<td class="files">${fileLinks(p)}</td></tr>`).join("");
    }
    drawPoints();
    $("#points tbody").onclick = (ev) => { const a = ev.target.closest("a.p-wave"); if (!a) return; ev.preventDefault(); if (typeof showWaves === "function") showWaves(Number(a.dataset.seq), Number(a.dataset.k)); };
    if (typeof initWaves === "function") initWaves(id, Object.values(files));
    // plots: the same Plotly figures as the HTML export; a click on a point opens its waveforms
    const figs = (await api(`/api/jobs/${id}/plots`)).figures;
    const box = $("#plots"); box.innerHTML = "";
    const onClick = (ev) => { const pt = ev.points && ev.points[0]; if (pt && pt.customdata != null && files[pt.customdata] && files[pt.customdata].waves.length) showWaves(pt.customdata, 0); };
    for (const f of figs) {
      const div = document.createElement("div");
      div.className = "plot"; div.id = `plot-${f.id}`;
      if (f.kind === "heatmap") { const h = $("#heatmap"); h.hidden = false; Plotly.newPlot(h, f.figure.data, f.figure.layout, {displaylogo: false, responsive: true}); continue; }
      box.appendChild(div);
      Plotly.newPlot(div, f.figure.data, f.figure.layout, {displaylogo: false, responsive: true});
      div.on("plotly_click", onClick);
    }
    if (typeof loadMc === "function") await loadMc(id);  // mc.js: the Monte Carlo section, if any
  }
}
PAGES.job = jobPage;
