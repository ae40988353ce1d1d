// wkpup pages: compare (after app.js: its helpers). Plain JS over the REST API, nothing fetched from elsewhere.
"use strict";
// --- compare -------------------------------------------------------------------------------
function jobLine(j) {
  const named = ["domain", "scenario", "name"].map((k) => j[k]).filter(Boolean).map(esc).join(" · ");
  const link = j.id ? `<a href="/jobs/${j.id}">${esc(j.label)}</a>` : esc(j.label);
  const extra = [j.submitted_at ? when(j.submitted_at) : "", [j.simulator, j.simulator_version].filter(Boolean).join(" "), j.spec_verdict ? "spec " + j.spec_verdict : "", j.golden ? "golden " + j.golden : ""].filter(Boolean).map(esc).join(", ");
  return `${link} ${named}${extra ? ` <span class="muted">(${extra})</span>` : ""}`;
}
function onlyList(points, side) {
  if (!points.length) return "";
  return `<h2>${points.length} point${points.length > 1 ? "s" : ""} only in ${side}</h2><ul class="only" id="only-${side.toLowerCase()}">${points.map((p) => `<li>${esc(p.point)}</li>`).join("")}</ul>`;
}
async function comparePage() {
  const q = new URLSearchParams(location.search);
  for (const k of ["a", "b", "rel", "abs"]) $("#" + k).value = q.get(k) || "";
  const COMPARE_PAGE = Math.max(1, Number(q.get("limit")) || 50);  // rows per page
  let offset = Number(q.get("offset") || 0), rows = [];
  const draw = () => {
    $("#diffs").hidden = !rows.length;  // no changed cell: no empty table under the verdict
    $("#diffs tbody").innerHTML = rows.map((d) => `<tr><td>${esc(d.point)}</td><td>${esc(d.name)}</td><td class="num" title="${esc(d.a_raw ?? "")}">${d.a == null ? esc(d.a_raw ?? "-") : eng(d.a, d.unit)}</td><td class="num" title="${esc(d.b_raw ?? "")}">${d.b == null ? esc(d.b_raw ?? "-") : eng(d.b, d.unit)}</td><td class="num">${eng(d.delta, d.unit)}</td><td class="num">${d.rel == null ? "-" : fmt(100 * d.rel) + " %"}</td></tr>`).join("");
  };
  sortableHeaders($("#diffs"), (key, dir) => { rows.sort(byKey(key, dir)); draw(); });
  const params = () => {
    const p = new URLSearchParams({a: $("#a").value, b: $("#b").value});
    if ($("#rel").value.trim()) p.set("rel", $("#rel").value.trim());
    if ($("#abs").value.trim()) p.set("abs", $("#abs").value.trim());
    return p;
  };
  async function run() {
    const slot = $('.err[data-field="compare"]'); slot.textContent = "";
    const p = params(); p.set("offset", offset); p.set("limit", COMPARE_PAGE);
    let r;
    try { r = await api("/api/compare?" + p); } catch (e) { slot.textContent = e.message; return; }
    if (!$("#rel").value.trim()) $("#rel").placeholder = String(r.tolerance.rel);
    if (!$("#abs").value.trim()) $("#abs").placeholder = Object.entries(r.tolerance.abs).map(([u, v]) => `${u === "Ω" ? "ohm" : u}=${v}`).join(",");
    $("#jobs").innerHTML = `<p><b>A</b> ${jobLine(r.a)}<br><b>B</b> ${jobLine(r.b)}</p>`;
    const cls = r.verdict === "identical" || r.verdict === "identical within tolerance" ? "ok" : "bad";
    const apart = [[r.only_a.length, "A"], [r.only_b.length, "B"]].filter(([n]) => n).map(([n, s]) => `${n} point${n > 1 ? "s" : ""} only in ${s}`);
    const counts = [`${r.cells} cells compared: ${r.identical_cells} identical, ${r.within_tolerance} within tolerance, ${r.differences} beyond`, ...apart].join("; ");
    $("#verdict").innerHTML = `<span class="${cls}" id="verdict-text">${esc(r.verdict)}</span> <span class="muted">(${esc(counts)}; rel ${fmt(r.tolerance.rel)})</span>`;
    $("#config").innerHTML = r.config.length ? `<h2>Config differences</h2><div class="scroll"><table id="config-diff"><thead><tr><th>key</th><th>A</th><th>B</th></tr></thead><tbody>${r.config.map((c) => `<tr><td>${esc(c.key)}</td><td>${esc(c.a ?? "-")}</td><td>${esc(c.b ?? "-")}</td></tr>`).join("")}</tbody></table></div>` : "";
    $("#only").innerHTML = onlyList(r.only_a, "A") + onlyList(r.only_b, "B");
    rows = r.rows; draw();
    $("#changed-title").hidden = !r.differences;
    const last = Math.min(r.offset + r.rows.length, r.differences);
    $("#pager").innerHTML = r.differences > COMPARE_PAGE
      ? `<button type="button" id="prev"${r.offset ? "" : " disabled"}>previous</button><span id="page-text">rows ${r.offset + 1}–${last} of ${r.differences}</span> <button type="button" id="next"${last < r.differences ? "" : " disabled"}>next</button>`
      : r.differences ? `<span id="page-text">rows 1–${r.differences} of ${r.differences}</span>` : "";
    if ($("#prev")) $("#prev").addEventListener("click", () => { offset = Math.max(0, offset - COMPARE_PAGE); go(); });
    if ($("#next")) $("#next").addEventListener("click", () => { offset += COMPARE_PAGE; go(); });
  }
  const go = () => { const p = params(); if (offset) p.set("offset", offset); if (q.get("limit")) p.set("limit", COMPARE_PAGE); history.replaceState(null, "", "/compare?" + p); return run(); };
  $("#compare-form").addEventListener("submit", (e) => { e.preventDefault(); offset = 0; go(); });
  if ($("#a").value && $("#b").value) run();
}
PAGES.compare = comparePage;
