// wkpup job page: the waveform viewer (after app.js and job.js). It draws the measured vectors
// of a point's kept rawfile (/api/jobs/{id}/points/{seq}/waves, docs/web.md "Waveforms") and
// overlays a second point or corner (dashed). Plain JS over the REST API and Plotly's offline bundle.
"use strict";
const WAVES = {job: null, points: [], cache: new Map(), selected: null};

// points with kept rawfiles; called by loadResults() with /api/jobs/{id}/points/files
function initWaves(job, files) {
  WAVES.job = job;
  WAVES.points = files.filter((f) => f.waves && f.waves.length);
  const box = $("#waves");
  if (!box) return;
  box.hidden = !WAVES.points.length;
  if (!WAVES.points.length) return;
  const runs = WAVES.points.flatMap((f) => f.waves.map((w) => ({seq: f.seq, k: w.k, label: f.label + (w.k ? ` (alter ${w.k})` : "")})));
  const opts = runs.map((r) => `<option value="${r.seq}:${r.k}">${esc(r.label)}</option>`).join("");
  $("#w-point").innerHTML = '<option value="">choose a point…</option>' + opts;
  $("#w-plot").hidden = true;
  $("#w-note").textContent = `${runs.length} kept rawfile(s)`;
  $("#w-overlay").innerHTML = '<option value="">none</option>' + opts;
  $("#w-point").onchange = () => drawWaves();
  $("#w-overlay").onchange = () => drawWaves();
}

// open the viewer on a point (from the points table or a click on a plot)
function showWaves(seq, k) {
  const sel = $("#w-point");
  if (!sel) return;
  sel.value = `${seq}:${k || 0}`;
  $("#waves").hidden = false;
  $("#waves").scrollIntoView();
  drawWaves();
}

async function waveData(key) {
  if (!WAVES.cache.has(key)) {
    const [seq, k] = key.split(":");
    WAVES.cache.set(key, api(`/api/jobs/${WAVES.job}/points/${seq}/waves?k=${k}`));
  }
  return WAVES.cache.get(key);
}

// the vector checkboxes: every vector of the first plot, all ticked at first
function vectorChoices(plot) {
  const names = plot.vectors.map((v) => v.name);
  if (WAVES.selected === null || !names.some((n) => WAVES.selected.has(n))) WAVES.selected = new Set(names);
  $("#w-vectors").innerHTML = names.map((n) => `<label><input type="checkbox" value="${esc(n)}"${WAVES.selected.has(n) ? " checked" : ""}> ${esc(n)}</label>`).join(" ");
  $$("#w-vectors input").forEach((box) => box.addEventListener("change", () => { box.checked ? WAVES.selected.add(box.value) : WAVES.selected.delete(box.value); drawWaves(); }));
}

// a vector keeps its colour in both points: the overlay differs by its dash only
const WAVE_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
function waveTraces(view, plot, dash, axisOf) {
  const colour = (name) => WAVE_COLOURS[Math.max(0, plot.vectors.findIndex((v) => v.name === name)) % WAVE_COLOURS.length];
  return plot.vectors.filter((v) => WAVES.selected.has(v.name)).map((v) => ({
    type: "scatter", mode: "lines", name: `${v.name} — ${view.point}${view.k ? ` a${view.k}` : ""}`,
    legendgroup: view.point, x: plot.scale.values, y: v.values, yaxis: axisOf(v.unit),
    line: {dash, width: 1.5, color: colour(v.name)}, hovertemplate: `${esc(v.name)} %{y:.4s}${esc(v.unit)} at %{x:.4s}${esc(plot.scale.unit)}<extra>${esc(view.point)}</extra>`,
  }));
}

async function drawWaves() {
  const key = $("#w-point").value, over = $("#w-overlay").value;
  if (!key) { $("#w-plot").hidden = true; $("#w-vectors").innerHTML = ""; return; }
  $("#w-note").textContent = "loading…";
  let main, other = null;
  try {
    main = await waveData(key);
    if (over && over !== key) other = await waveData(over);
  } catch (e) { $("#w-note").textContent = e.message; return; }
  const plot = main.plots[0];
  vectorChoices(plot);
  const chosen = plot.vectors.filter((v) => WAVES.selected.has(v.name));
  const units = [...new Set(chosen.map((v) => v.unit))];
  const axisTitle = (unit) => { const v = chosen.find((x) => x.unit === unit); return v ? `${v.kind} (${unit || "-"})` : ""; };
  const axisOf = (unit) => (units.indexOf(unit) === 1 ? "y2" : "y");
  const data = waveTraces(main, plot, "solid", axisOf);
  if (other) data.push(...waveTraces(other, other.plots[0], "dash", axisOf));
  const layout = {
    title: {text: `${plot.plotname}: ${main.point}${other ? " vs " + other.point : ""}`}, font: {family: "sans-serif", size: 12}, height: 460,
    xaxis: {title: {text: `${plot.scale.name} (${plot.scale.unit})`}, exponentformat: "SI"},
    yaxis: {title: {text: axisTitle(units[0])}, exponentformat: "SI"},
    legend: {orientation: "h", x: 0, y: -0.22, yanchor: "top", font: {size: 10}}, margin: {l: 70, r: 70, t: 50, b: 110},
  };
  if (units.length > 1) layout.yaxis2 = {title: {text: axisTitle(units[1])}, overlaying: "y", side: "right", exponentformat: "SI", showgrid: false};
  $("#w-plot").hidden = false;
  Plotly.react($("#w-plot"), data, layout, {displaylogo: false, responsive: true});
  const thinned = main.plots[0].step > 1 ? ` (every ${main.plots[0].step}th of ${main.plots[0].samples} samples)` : ` (${main.plots[0].samples} samples)`;
  $("#w-note").textContent = `${main.file}${thinned}` + (other ? ` · overlay ${other.file} dashed` : "");
  $("#w-plot").dataset.traces = String(data.length);
}
