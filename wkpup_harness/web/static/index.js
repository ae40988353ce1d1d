// wkpup pages: the jobs page (after app.js: its helpers). Plain JS over the REST API, nothing fetched from elsewhere.
"use strict";
// --- index: submit, active jobs, history ------------------------------------------------------
async function indexPage() {
  const opts = await api("/api/options");
  const scen = $("#scenario"), dom = $("#domain");
  scen.innerHTML = opts.scenarios.map((s) => `<option value="${esc(s.id)}">${esc(s.id)} (${s.points} points)</option>`).join("");
  dom.innerHTML = opts.domains.map((d) => `<option value="${esc(d.name)}">${esc(d.name)}</option>`).join("");
  $("#f-domain").innerHTML += opts.domains.map((d) => `<option>${esc(d.name)}</option>`).join("");
  const byName = Object.fromEntries(opts.domains.map((d) => [d.name, d]));
  // "all" boxes: ticked = no subset sent (the whole list); ticking one item unticks "all",
  // unticking the last item ticks it again, ticking "all" clears the items.
  const allBox = (all, name) => {
    const items = () => $$(`input[name=${name}]`);
    all.onchange = () => { if (all.checked) items().forEach((e) => (e.checked = false)); else if (!items().some((e) => e.checked)) all.checked = true; };
    return () => items().forEach((e) => e.addEventListener("change", () => { all.checked = !items().some((x) => x.checked); }));
  };
  const wireCorners = allBox($("#all-corners"), "corner"), wireTemps = allBox($("#all-temps"), "temp");
  const choice = (name, v, checked) => `<label><input type="checkbox" name="${name}" value="${esc(v)}"${checked ? " checked" : ""}> ${esc(v)}</label> `;
  const drawDomain = () => {
    const d = byName[dom.value]; if (!d || !d.config) return;
    $("#config-keys").innerHTML = Object.entries(d.config).map(([k, c], i) => {
      const attrs = `id="cfg-${i}" data-key="${esc(k)}" aria-describedby="cfg-${i}-help"`;
      const field = c.allowed
        ? `<select ${attrs}>${c.allowed.map((v) => `<option${v === c.value ? " selected" : ""}>${esc(v)}</option>`).join("")}</select>`
        : `<input ${attrs} value="${esc(c.value)}" size="10">`;
      return `<div class="row"><label class="k" for="cfg-${i}">${esc(k)}</label>${field}<span class="err" data-field="config.${esc(k)}"></span><span class="help" id="cfg-${i}-help">${esc(c.help || "")}</span></div>`;
    }).join("");
    drawCorners(d.corners);
    $("#temperatures").innerHTML = opts.temperatures.map((t) => choice("temp", t, false)).join("");
    $("#all-temps").checked = true; wireTemps();
    $$("#config-keys [data-key]").forEach((el) => el.addEventListener("change", () => validate(false)));
  };
  const drawCorners = (corners) => {
    const was = new Set($$("input[name=corner]:checked").map((e) => e.value));
    $("#corners").innerHTML = corners.map((c) => choice("corner", c, was.has(c))).join("");
    $("#all-corners").checked = !$$("input[name=corner]:checked").length; wireCorners();
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
      loadHistory();
    } catch (e) { showError(e); }
  });

  // Queued and running: drawn from the server's one event stream (every face's jobs); a job
  // that ends shows its final state for FINISHED_SHOW_MS, then leaves (it is in the history).
  const FINISHED_SHOW_MS = 10000;
  const active = {};
  const box = $("#active");
  const noneShown = () => { if (!Object.keys(active).length) box.innerHTML = '<p class="muted">none</p>'; };
  function activeRow(p) {
    if ($("p.muted", box)) box.innerHTML = "";
    const div = document.createElement("div");
    div.className = "active-job"; div.id = `active-${p.id}`;
    div.innerHTML = `<a href="/jobs/${p.id}">job ${p.id}</a> ${esc(p.domain)} ${esc(p.name || "")} <span class="bar"><span style="width:0%"></span></span> <span class="ptext"></span> <span class="ttext muted"></span>`;
    box.appendChild(div);
    return {div, p: null, timer: null};
  }
  function showActive(p) {
    const a = active[p.id] || (active[p.id] = activeRow(p));
    if (!a.p || a.p.status !== p.status) loadHistory();  // queued -> running -> ended, resumed
    a.p = p;
    a.div.classList.toggle("ended", ENDED.includes(p.status));
    $(".bar>span", a.div).style.width = progressPct(p) + "%";
    $(".ptext", a.div).innerHTML = stateCell(p.state) + " " + esc(progressText(p).replace(p.state, ""));
    $(".ttext", a.div).textContent = timeText(p);
    clearTimeout(a.timer); a.timer = null;
    if (ENDED.includes(p.status)) a.timer = setTimeout(() => { a.div.remove(); delete active[p.id]; noneShown(); }, FINISHED_SHOW_MS);
  }
  liveEvents(null, showActive);
  setInterval(() => { for (const a of Object.values(active)) if (a.p && a.p.status === "running") $(".ttext", a.div).textContent = timeText(a.p); }, 1000);
  async function loadHistory() {
    const q = new URLSearchParams();
    for (const [k, id] of [["domain", "#f-domain"], ["status", "#f-status"], ["user", "#f-user"], ["since", "#f-since"], ["scenario", "#f-scenario"]]) if ($(id).value) q.set(k, $(id).value);
    const slot = $('.err[data-field="history"]'); slot.textContent = "";
    let rows;
    try { rows = await api("/api/jobs?" + q); } catch (e) { slot.textContent = e.message; return; }
    $("#history tbody").innerHTML = rows.map((r) => `<tr><td><a href="/jobs/${r.id}">${r.id}</a></td><td>${stateCell(r.state)}</td><td>${when(r.submitted_at)}</td><td>${took(r.elapsed_s)}</td><td>${esc(r.user)}</td><td>${esc(r.face)}</td><td>${esc(r.domain)}</td><td>${esc(r.scenario)}</td><td>${esc(r.name)}</td><td class="num">${r.n_points ?? r.points_total ?? ""}</td><td class="num">${r.n_failed_points ?? ""}</td><td>${esc(r.golden || (r.status === "completed" ? "none" : "-"))}</td><td class="${esc(r.spec_verdict || "")}">${esc(r.spec_verdict || (r.status === "completed" ? "none" : "-"))}</td><td class="mc-yield">${esc(r.mc_yield || "")}</td></tr>`).join("");
  }
  $("#f-apply").addEventListener("click", loadHistory);
  loadHistory();
}
PAGES.index = indexPage;
