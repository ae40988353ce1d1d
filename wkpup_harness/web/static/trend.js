// wkpup pages: trend (after app.js: its helpers). Plain JS over the REST API, nothing fetched from elsewhere.
"use strict";
// --- trend: a job's measurements across its runs ------------------------------------------------
const limitScale = (r) => (r.lo != null && r.hi != null && r.hi > r.lo ? r.hi - r.lo : Math.abs(r.lo != null ? r.lo : r.hi));
function measurementRow(m) {
  const last = m.runs[m.runs.length - 1], u = m.unit;
  const limited = m.runs.filter((r) => r.margin != null);
  const change = limited.length > 1 ? limited[limited.length - 1].margin - limited[limited.length - 2].margin : null;
  const limits = last.lo == null && last.hi == null ? "-" : `${last.lo != null ? eng(last.lo, u) : ""} .. ${last.hi != null ? eng(last.hi, u) : ""}`;
  const latest = last.worst != null ? eng(last.worst, u) : `${eng(last.min, u)} .. ${eng(last.max, u)}`;
  return {name: m.name, limits, latest_worst: last.worst, latest, verdict: last.verdict || "", worst_margin: m.worst_margin, latest_margin: m.latest_margin, change, warn: m.warnings.join("; "), unit: u};
}
function drawMatrix(t) {  // measurement x run: the worst margin, coloured by the run's verdict
  const limited = t.measurements.filter((m) => m.latest_margin != null);
  $("#matrix").hidden = $("#matrix-title").hidden = !limited.length;
  $("#matrix thead").innerHTML = "<tr><th>measurement</th>" + t.runs.map((r) => `<th title="${esc(when(r.date))}"><a href="/jobs/${r.id}">job ${r.id}</a></th>`).join("") + "</tr>";
  $("#matrix tbody").innerHTML = limited.map((m) => {
    const byJob = Object.fromEntries(m.runs.map((r) => [r.job, r]));
    return `<tr><td>${esc(m.name)}</td>` + t.runs.map((run) => { const r = byJob[run.id]; return r && r.margin != null ? `<td class="num ${esc(r.verdict || "")}">${eng(r.margin, m.unit)}</td>` : '<td class="num">-</td>'; }).join("") + "</tr>";
  }).join("");
}
function plotMargins(t) {
  const box = $("#trend-plot"), limited = t.measurements.filter((m) => m.latest_margin != null);
  if (!window.Plotly || !limited.length) { box.hidden = true; return; }
  box.hidden = false;
  const runDate = Object.fromEntries(t.runs.map((r) => [r.id, new Date(r.date * 1000)]));
  const traces = limited.map((m) => {
    const pts = m.runs.filter((r) => r.margin != null);
    return {type: "scatter", mode: "lines+markers", name: m.name, x: pts.map((r) => runDate[r.job]), y: pts.map((r) => 100 * r.margin / limitScale(r)),
            text: pts.map((r) => `job ${r.job}: margin ${eng(r.margin, m.unit)}`), hovertemplate: "%{text}<br>%{y:.3g} % of the limit<extra>%{fullData.name}</extra>"};
  });
  const near = 100 * t.near_margin;
  Plotly.newPlot(box, traces, {title: {text: "margin over time, % of the limit (near band dashed)"}, margin: {t: 40, r: 10, l: 55, b: 40}, autosize: true,
    yaxis: {title: {text: "margin (% of limit)"}, zeroline: true}, legend: {orientation: "h", y: -0.2},
    shapes: [{type: "line", xref: "paper", x0: 0, x1: 1, y0: near, y1: near, line: {dash: "dash", color: "#a66a00"}}]}, {responsive: true, displaylogo: false});
}
async function trendPage() {
  const q = new URLSearchParams(location.search);
  $("#job").value = q.get("job") || "";
  api("/api/trend/jobs").then((names) => { $("#job-names").innerHTML = names.map((n) => `<option value="${esc(n.job)}">${n.runs} run(s)</option>`).join(""); }).catch(() => {});
  let runs = [], rows = [];
  const drawRuns = () => { $("#runs tbody").innerHTML = runs.map((r) => `<tr><td><a href="/jobs/${r.id}">${r.id}</a></td><td>${when(r.date)}</td><td>${stateCell(r.status)}</td><td class="${esc(r.spec_verdict || "")}">${esc(r.spec_verdict || "-")}</td><td>${esc(r.golden || "-")}</td><td>${esc(r.simulator || "-")}</td><td><code>${esc(r.core || "-")}</code></td></tr>`).join(""); };
  const drawRows = () => { $("#measurements tbody").innerHTML = rows.map((m) => `<tr${m.warn ? ' class="warn"' : ""}><td>${esc(m.name)}</td><td class="num">${esc(m.limits)}</td><td class="num">${esc(m.latest)}</td><td class="${esc(m.verdict)}">${esc(m.verdict || "-")}</td><td class="num">${eng(m.worst_margin, m.unit)}</td><td class="num">${eng(m.latest_margin, m.unit)}</td><td class="num">${m.change == null ? "-" : eng(m.change, m.unit)}</td><td>${m.warn ? '<span class="near">worse</span>' : ""}</td></tr>`).join(""); };
  sortableHeaders($("#runs"), (k, d) => { runs.sort(byKey(k, d)); drawRuns(); });
  sortableHeaders($("#measurements"), (k, d) => { rows.sort(byKey(k, d)); drawRows(); });
  async function run() {
    const slot = $('.err[data-field="job"]'); slot.textContent = "";
    let t;
    try { t = await api("/api/trend?job=" + encodeURIComponent($("#job").value.trim())); } catch (e) { slot.textContent = e.message; return; }
    $("#near-text").textContent = fmt(100 * t.near_margin) + " %";
    const first = t.runs[0], last = t.runs[t.runs.length - 1];
    $("#answer").innerHTML = `<p><b>${esc(t.job.text)}</b>: ${t.runs.length} run(s), ${when(first.date)} to ${when(last.date)}</p>`;
    $("#warnings").innerHTML = t.warnings.length
      ? `<div class="warnbox" id="warning-list"><b class="near">A margin got worse:</b><ul>${t.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>`
      : `<p class="ok" id="no-warning">No margin got worse run over run${t.runs.length < 2 ? " (one run: nothing to compare yet)" : ""}.</p>`;
    runs = t.runs.slice(); rows = t.measurements.map(measurementRow);
    for (const id of ["#runs", "#measurements", "#runs-title", "#meas-title"]) $(id).hidden = false;
    drawRuns(); drawRows(); drawMatrix(t); plotMargins(t);
  }
  $("#trend-form").addEventListener("submit", (e) => { e.preventDefault(); history.replaceState(null, "", "/trend?job=" + encodeURIComponent($("#job").value.trim())); run(); });
  if ($("#job").value) run();
}
PAGES.trend = trendPage;
