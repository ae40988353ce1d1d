// wkpup pages: health (after app.js: its helpers). Plain JS over the REST API, nothing fetched from elsewhere.
"use strict";
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
PAGES.health = healthPage;
