// wkpup pages: a job's Monte Carlo samples on the job page (after app.js: its helpers; job.js
// calls loadMc when the results load). /api/jobs/<id>/mc: the yield table and a histogram per
// measurement and PVT point (report/mcplots.py, the same figures as the HTML export).
"use strict";
function mcLimits(s) {
  if (s.lo != null && s.hi != null) return `${eng(s.lo, s.unit)} … ${eng(s.hi, s.unit)}`;
  if (s.lo != null) return `≥ ${eng(s.lo, s.unit)}`;
  if (s.hi != null) return `≤ ${eng(s.hi, s.unit)}`;
  return "-";
}
function mcWorst(s) {
  const w = s.worst; if (!w) return "-";
  return `#${w.index} seed ${w.seed}: ${w.value == null ? "failed" : eng(w.value, s.unit)}`;
}
function mcRow(s) {
  const c = s.cells, n = (v) => `<td class="num">${esc(eng(v, s.unit))}</td>`;
  const low = s.yield != null && s.yield < 1 ? " fail" : "";
  return `<tr data-measurement="${esc(s.measurement)}"><td>${esc(s.measurement)}</td><td>${esc(s.point)}</td><td class="num">${s.n}</td><td class="num">${s.n_failed}</td>` +
    n(s.mean) + n(s.sigma) + n(s.min) + n(s.max) + `<td>${esc(mcLimits(s))}</td><td class="num mc-yield${low}">${esc(c.yield)}</td><td class="num">${esc(c.interval)}</td>` +
    `<td class="num">${esc(c["σ to min"])}</td><td class="num">${esc(c["σ to max"])}</td><td class="num">${esc(c.Cpk)}</td>` +
    `<td class="mc-worst">${esc(mcWorst(s))}${s.worst ? `<br><code class="mc-rerun">${esc(s.worst.rerun)}</code>` : ""}</td></tr>`;
}
async function loadMc(id) {
  const box = $("#mc");
  let mc;
  try { mc = await api(`/api/jobs/${id}/mc`); } catch (e) { box.hidden = true; if (e.status !== 404) $("#message").textContent = "Monte Carlo: " + e.message; return; }
  box.hidden = false;
  $("#mc-summary").textContent = `${mc.samples} samples: ${mc.samples_per_point} per point at ${mc.points} PVT point(s), kind ${mc.kind}, seed ${mc.seed}, at ${mc.at}`;
  $("#mc-table tbody").innerHTML = mc.stats.map(mcRow).join("") || '<tr><td colspan="15" class="muted">no measurement</td></tr>';
  const failed = mc.stats.filter((s) => s.failed.length).map((s) => `${s.measurement} at ${s.point}: ${s.n_failed} sample(s) without a value (failing): ${s.failed.map((i) => "#" + i).join(", ")}`);
  $("#mc-legend").textContent = `yield: samples inside the limits / N, a failed sample fails; ${mc.legend}` + (failed.length ? ". " + failed.join("; ") : "");
  const plots = $("#mc-plots"); plots.innerHTML = "";
  for (const f of mc.figures) {
    const div = document.createElement("div");
    div.className = "plot mc-histogram"; div.id = `mc-plot-${f.id}`;
    plots.appendChild(div);
    Plotly.newPlot(div, f.figure.data, f.figure.layout, {displaylogo: false, responsive: true});
  }
}
