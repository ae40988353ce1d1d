// wkpup pages: compare (after app.js: its helpers). Plain JS over the REST API, nothing fetched from elsewhere.
"use strict";
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
PAGES.compare = comparePage;
