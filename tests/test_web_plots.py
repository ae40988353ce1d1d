"""The job page an engineer reads, in a real browser (Debian's headless chromium through
Playwright) against a real ``wkpup serve`` running real jobs (ngspice + SKY130):

- every table cell and tooltip in engineering units (``report.units.eng``), margins as value
  and percent of the limit, each point's supply volts as the netlist sets them;
- plot axes scaled to the data, a limit far away as an edge marker; no supply-levels plot for
  a job with one supply combination; legends grouped by corner, wrapping instead of scrolling
  (also for the 92-point golden job);
- per point links to its log, netlist and kept waveforms, and the waveform viewer drawing a
  kept rawfile's vectors and overlaying a second point.

Screenshots go to the test's temporary directory only."""

from __future__ import annotations

import math
import re
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests import test_web_browser as shared
from tests.webutil import REPO, Server, running
from wkpup_harness.report import plots
from wkpup_harness.report.units import eng, unit
from wkpup_harness.results import parse_creport
from wkpup_harness.results import spec as spec_check
from wkpup_harness.results.rawfile import read_raw

SMOKE = "gpio/wkpup_1p8v::smoke"  # 6 points, one supply combination (htol max/max)
# one corner and temperature, the perf condition's five vcc x vccn combinations
COMBOS = {"domain": "gpio/1p8v", "corners": ["TT"], "temperatures": ["m40"]}
pytestmark = pytest.mark.ngspice
browser, page = shared.browser, shared.page  # the browser tests' own fixtures, reused


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with running(tmp_path_factory.mktemp("webplots")) as s:
        yield s


@pytest.fixture(scope="module")
def jobs_done(server: Server) -> dict[str, dict]:
    """The smoke scenario job and a five-combination domain job, both completed."""
    out = {}
    for key, body in (("smoke", {"scenario": SMOKE}), ("combos", COMBOS)):
        code, sub = server.post("/api/jobs", body)
        assert code == 201, sub
        out[key] = sub
    for key, sub in out.items():
        row = server.wait_job(sub["id"], ("completed", "failed"), timeout=300)
        assert row["status"] == "completed", row
        out[key] = row
    return out


def open_job(pg, server: Server, job: int) -> None:
    pg.goto(f"{server.url}/jobs/{job}")
    pg.wait_for_selector("#plots .plot .main-svg")
    pg.wait_for_selector("#points tbody td.files a")


def domain_limits() -> dict[str, spec_check.Limit]:
    data = yaml.safe_load((REPO / "domains" / "gpio" / "1p8v" / "spec.yaml").read_text())
    return spec_check.parse_spec(data["spec"])


def param(netlist: str, name: str) -> str:
    m = re.search(rf"^\.param {name}=(\S+)", netlist, re.M)
    assert m, f"no .param {name} in the netlist"
    return m.group(1)


def test_tables_in_engineering_units_with_margins_and_supply_volts(
    page, server: Server, jobs_done, tmp_path: Path
) -> None:
    pg, job = page, jobs_done["smoke"]["id"]
    open_job(pg, server, job)
    _, res = server.get(f"/api/jobs/{job}/results")
    # spec verdicts: limits, worst value and margin (value and % of the nearer limit)
    lim = domain_limits()["rwkpull0"].bounds
    spec = next(s for s in res["specs"] if s["name"] == "rwkpull0")
    nearer = lim.min if spec["worst_value"] - lim.min <= lim.max - spec["worst_value"] else lim.max
    assert spec["margin_pct"] == pytest.approx(100 * spec["margin"] / nearer)
    row = pg.locator("#specs tbody tr", has_text="rwkpull0").inner_text().split("\t")
    assert row[1] == f"[{eng(lim.min, 'Ω')}, {eng(lim.max, 'Ω')}]" == "[4 kΩ, 14 kΩ]"
    assert row[5] == eng(spec["worst_value"], "Ω") and re.fullmatch(r"\d\.\d+ kΩ", row[5])
    assert row[6] == f"{eng(spec['margin'], 'Ω')} ({spec['margin_pct']:.1f} %)"
    assert re.fullmatch(r"\d+(\.\d+)? [k]?Ω \(\d+\.\d %\)", row[6]), row[6]
    # worst cases: min and max in engineering units, with their unit prefix
    worst = pg.locator("#worst tbody tr", has_text="ioh_0").inner_text().split("\t")
    assert re.fullmatch("\u2212\\d+(\\.\\d+)? µA", worst[2]), worst
    # points: every cell the formatter's text of the stored value, the exact text kept
    heads = pg.locator("#points thead th").all_inner_texts()
    names = [h.split(" (")[0] for h in heads]
    seen_units = set()
    for r in range(pg.locator("#points tbody tr").count()):
        cells = pg.locator(f"#points tbody tr:nth-child({r + 1}) td")
        for j, name in enumerate(names):
            raw = cells.nth(j).get_attribute("data-raw")
            if raw is None:
                continue
            text = cells.nth(j).inner_text()
            assert text == eng(float(raw), unit(name)), (name, raw, text)
            seen_units.add(text.split()[-1])
    assert {"µA", "kΩ", "µV", "V"} <= seen_units, seen_units  # vwkp_drop ~0.4 mV: µV
    # a judged cell's tooltip: verdict and margin with unit and percent
    j = names.index("rwkpull0")
    title = pg.locator("#points tbody tr:first-child td").nth(j).get_attribute("title")
    assert re.fullmatch(r"(pass|near), margin \d\S* k?Ω \(\d+\.\d %\)", title), title

    # supply volts: what the point's own netlist sets (.param vc / vcn / vctx = 0.5*vcn)
    tt = pg.locator("#points tbody tr", has=pg.locator("td.files a.p-netlist")).first
    volts = tt.locator("td.supplies").inner_text()
    netlist = fetch(server, tt.locator("a.p-netlist").get_attribute("href"))
    vc, vcn = float(param(netlist, "vc")), float(param(netlist, "vcn"))
    assert param(netlist, "vctx") == '"0.5*vcn"'
    assert volts == f"vcc {eng(vc, 'V')}, vccn {eng(vcn, 'V')}, vcctx {eng(0.5 * vcn, 'V')}"
    assert "max/max" in tt.inner_text()  # beside its min/nom/max labels
    # every combination of the five-combination job (perf, VID on): its row's volts are the
    # .params of its own netlist
    open_job(pg, server, jobs_done["combos"]["id"])
    rows = pg.locator("#points tbody tr")
    assert rows.count() == 5
    for i in range(rows.count()):
        r = rows.nth(i)
        net = fetch(server, r.locator("a.p-netlist").get_attribute("href"))
        vc, vcn = float(param(net, "vc")), float(param(net, "vcn"))
        want = f"vcc {eng(vc, 'V')}, vccn {eng(vcn, 'V')}, vcctx {eng(0.5 * vcn, 'V')}"
        assert r.locator("td.supplies").inner_text() == want, r.inner_text()
    pg.screenshot(path=str(tmp_path / "job_tables.png"), full_page=True)


def fetch(server: Server, href: str | None) -> str:
    assert href and href.startswith("/files/"), href
    with urllib.request.urlopen(server.url + href, timeout=30) as r:
        assert r.status == 200
        return r.read().decode(errors="replace")


def test_axes_scaled_to_the_data_limits_off_scale_and_no_one_column_plot(
    page, server: Server, jobs_done, tmp_path: Path
) -> None:
    pg, job = page, jobs_done["smoke"]["id"]
    open_job(pg, server, job)
    _, res = server.get(f"/api/jobs/{job}/results")
    # one supply combination: a plot per measurement against temperature, none per supply
    assert len({(p["v1"], p["v2"]) for p in res["points"]}) == 1
    assert pg.locator("#plots .plot").count() == len(res["names"])
    assert pg.locator("[id^=plot-volt-]").count() == 0
    # vwkp_drop (~0.4 mV) against its 10 mV maximum: the axis spans the data, the limit is a
    # marker at the top edge
    drop = [p["cells"]["vwkp_drop"]["value"] for p in res["points"]]
    y_range = pg.evaluate("document.getElementById('plot-temp-vwkp_drop').layout.yaxis.range")
    assert y_range[0] <= min(drop) and max(drop) <= y_range[1]
    assert y_range[1] - y_range[0] < 2 * (max(drop) - min(drop)), (y_range, drop)
    assert max(drop) < 1e-3 < 1e-2 == domain_limits()["vwkp_drop"].bounds.max
    svg = pg.locator("#plot-temp-vwkp_drop").text_content()
    assert "spec max 10 mV ↑ off scale" in svg
    marker = pg.locator("#plot-temp-vwkp_drop .annotation", has_text="off scale")
    plot_box = pg.locator("#plot-temp-vwkp_drop .nsewdrag").bounding_box()
    box = marker.bounding_box()
    assert abs(box["y"] - plot_box["y"]) < 25  # at the top edge of the plot area
    # a limit near the data is a line on the data's axis: rwkpull0's 4 kΩ minimum
    lines = pg.evaluate(
        "document.getElementById('plot-temp-rwkpull0').layout.shapes.map((s) => s.y0)"
    )
    assert domain_limits()["rwkpull0"].bounds.min in lines
    assert "spec min 4 kΩ" in pg.locator("#plot-temp-rwkpull0").text_content()
    # hover texts: the point and its value in engineering units
    hover = pg.evaluate(
        "document.getElementById('plot-temp-vwkp_drop').data.flatMap((t) => t.text || [])"
    )
    by_label = {p["label"]: p["cells"]["vwkp_drop"]["value"] for p in res["points"]}
    assert len(hover) == len(by_label)
    for text in hover:
        label, value = text.split(": ")
        assert value == eng(by_label[label], "V") and value.endswith(" µV"), text
    pg.locator("#plot-temp-vwkp_drop").screenshot(path=str(tmp_path / "vwkp_drop.png"))

    # a job with five supply combinations does get the supply-levels plots
    open_job(pg, server, jobs_done["combos"]["id"])
    assert pg.locator("[id^=plot-volt-]").count() == pg.locator("[id^=plot-temp-]").count() > 0
    volts = pg.locator("#points tbody td.supplies").all_inner_texts()
    assert len(set(volts)) == 5, volts  # each combination its own volts
    pg.locator("[id^=plot-volt-]").first.screenshot(path=str(tmp_path / "vs_supply.png"))


def test_legends_grouped_by_corner_and_never_scrolling(
    page, server: Server, jobs_done, tmp_path: Path
) -> None:
    pg, job = page, jobs_done["smoke"]["id"]
    open_job(pg, server, job)
    plot = pg.locator("#plot-temp-rwkpull0")
    entries = plot.locator(".legend .traces").all_text_contents()
    corners = {p["corner"] for p in server.get(f"/api/jobs/{job}/results")[1]["points"]}
    assert sorted(e.strip() for e in entries) == sorted(corners)
    groups = pg.evaluate(
        "document.getElementById('plot-temp-rwkpull0').data.map((t) => [t.legendgroup, t.name])"
    )
    assert {g for g, _ in groups} == corners
    # a click on a corner's entry hides all its lines
    plot.locator(".legend .traces", has_text="SSG").locator(".legendtoggle").click()
    hidden = (
        "document.getElementById('plot-temp-rwkpull0').data"
        ".filter((t) => t.visible === 'legendonly').map((t) => t.legendgroup)"
    )
    pg.wait_for_function(f"{hidden}.length > 0")
    assert set(pg.evaluate(hidden)) == {"SSG"}

    # the 92-point golden job (real ngspice results kept in golden/): one entry per corner
    # plus the supply-combination key, wrapped below the plot, no scroll bar
    report = parse_creport((REPO / "golden/gpio/wkpup_1p8v/perf_full/creport.txt").read_text())
    assert len(report.rows) == 92
    fig = plots.against_temperature(report, "rwkpull0", domain_limits()["rwkpull0"])
    n_corners = len({plots.series_key(r) for r in report.rows})
    shown = [t for t in fig["data"] if t.get("showlegend")]
    assert len(shown) <= n_corners + len(plots.voltage_combos(report)) < len(fig["data"])
    pg.evaluate(
        """(fig) => { const d = document.createElement('div'); d.id = 'golden92';
        d.className = 'plot'; document.body.appendChild(d);
        return Plotly.newPlot(d, fig.data, fig.layout); }""",
        fig,
    )
    legend = pg.locator("#golden92 .legend")
    bars = pg.locator("#golden92 .legend .scrollbar")
    for i in range(bars.count()):  # Plotly keeps an empty one when nothing scrolls
        box = bars.nth(i).bounding_box()
        assert box is None or box["height"] == 0, box
    texts = [t.strip() for t in legend.locator(".traces").all_text_contents()]
    assert sorted(texts) == sorted(t["name"] for t in shown)
    lb, pb = legend.bounding_box(), pg.locator("#golden92 .main-svg").first.bounding_box()
    assert lb["y"] + lb["height"] <= pb["y"] + pb["height"] + 1  # fully inside the figure
    pg.locator("#golden92").screenshot(path=str(tmp_path / "legend_92.png"))


def test_point_links_and_the_waveform_viewer(
    page, server: Server, jobs_done, tmp_path: Path
) -> None:
    pg, row = page, jobs_done["smoke"]
    job = row["id"]
    open_job(pg, server, job)
    # every point links its log, and its kept waveform
    rows = pg.locator("#points tbody tr")
    n = rows.count()
    assert pg.locator("#points tbody a.p-log").count() == n
    assert pg.locator("#points tbody a.p-wave").count() >= n
    first = rows.first
    label = " ".join(first.locator("td").nth(i).inner_text() for i in range(2))
    fetch(server, first.locator("a.p-log").get_attribute("href"))  # may be empty: a quiet run
    report = fetch(server, first.locator("a.p-report").get_attribute("href"))
    raw = first.locator("td[data-raw]").first.get_attribute("data-raw")
    assert report.startswith("ioh_0\t") and raw in report  # the point's own measurements
    # the nominal point's log is the simulator's own (bkp keeps it as simulation.log)
    nominal = pg.locator("#points tbody tr", has_text="nom/nom")
    if nominal.count():
        assert "ngspice" in fetch(server, nominal.first.locator("a.p-log").get_attribute("href"))
    first.locator("a.p-report").click()
    pg.wait_for_load_state()
    assert pg.url.startswith(server.url + "/files/") and raw in pg.inner_text("body")
    pg.go_back()
    pg.wait_for_selector("#points tbody td.files a")
    assert label  # the row we clicked had a corner and extraction

    # the viewer: a point's kept rawfile drawn, its values those of the file itself
    _, files = server.get(f"/api/jobs/{job}/points/files")
    kept = [f for f in files["points"] if f["waves"]]
    assert len(kept) == n
    pg.locator("#points tbody tr:first-child a.p-wave").first.click()
    pg.wait_for_selector("#w-plot .scatterlayer .trace")
    seq = int(pg.locator("#points tbody tr:first-child").get_attribute("data-seq"))
    info = next(f for f in kept if f["seq"] == seq)
    raw = Path(row["backup_path"]) / "compiled_waveform" / info["waves"][0]["file"]
    (plot,) = read_raw(raw)
    drawn = pg.evaluate(
        "document.getElementById('w-plot').data.map((t) => [t.name, t.y.length, t.y[5]])"
    )
    assert len(drawn) == len(plot.vectors) - 1  # every measured vector, the scale on x
    for (name, length, y5), vec in zip(drawn, plot.vectors[1:], strict=True):
        assert name.startswith(vec.name) and length == len(vec.values)
        assert math.isclose(y5, vec.values[5], rel_tol=1e-12, abs_tol=1e-18)
    assert pg.locator("#w-note").inner_text().startswith(raw.name)
    assert pg.locator("#w-plot .g-ytitle").first.text_content() in ("current (A)", "voltage (V)")
    pg.locator("#w-plot").screenshot(path=str(tmp_path / "wave_one.png"))

    # overlay a second point (another corner): its traces dashed, on the same axes
    other = next(f for f in kept if f["seq"] != seq)
    pg.select_option("#w-overlay", f"{other['seq']}:0")
    pg.wait_for_function(f"document.getElementById('w-plot').dataset.traces == '{2 * len(drawn)}'")
    dashes = pg.evaluate("document.getElementById('w-plot').data.map((t) => t.line.dash)")
    assert dashes == ["solid"] * len(drawn) + ["dash"] * len(drawn)
    colours = pg.evaluate("document.getElementById('w-plot').data.map((t) => t.line.color)")
    assert colours[: len(drawn)] == colours[len(drawn) :]  # a vector's colour in both points
    assert other["label"] in pg.locator("#w-plot .gtitle").text_content()
    pg.locator("#w-plot").screenshot(path=str(tmp_path / "wave_overlay.png"))


def test_waves_api_refuses_what_is_not_kept(server: Server, jobs_done) -> None:
    job = jobs_done["combos"]
    code, body = server.get(f"/api/jobs/{job['id']}/points/99999/waves")
    assert code == 404 and "no point 99999" in body["detail"]
    code, body = server.get(f"/api/jobs/{job['id']}/points/0/waves?k=3")
    assert code == 404 and "no kept rawfile of alter 3" in body["detail"]
    for bad in ("0/waves?k=-1", "0/waves?k=x", "abc/waves", "0/waves?k=99999"):
        code, body = server.get(f"/api/jobs/{job['id']}/points/{bad}")
        assert code == 422 and "\n" not in body["detail"], (bad, body)
    # a kept rawfile that is damaged: one clear line, no traceback
    _, files = server.get(f"/api/jobs/{job['id']}/points/files")
    name = files["points"][0]["waves"][0]["file"]
    path = Path(job["backup_path"]) / "compiled_waveform" / name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    code, body = server.get(f"/api/jobs/{job['id']}/points/0/waves")
    assert code == 422 and "truncated" in body["detail"] and "\n" not in body["detail"]
    assert "Traceback" not in server.log_text()
