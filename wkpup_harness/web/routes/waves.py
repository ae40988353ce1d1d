"""``/api/jobs/{id}/points/files`` and ``/api/jobs/{id}/points/{seq}/waves``: where each
point's log, measurement report, netlist and kept waveforms are (links into ``/files``),
and a kept rawfile's vectors for the job page's waveform viewer (``static/waves.js``).

The files are where the core leaves them (docs/core.md "Kept waveforms"): a point's log is
the simulator's while the point's directory exists (the nominal point's ``simulation.log``
in the backup), else its command's ``logs/points/<point>.log`` in the run directory; its
report ``report/report_<point>.txt``; its rawfiles ``compiled_waveform/
<tb>_<point>.raw`` (and ``_a<k>.raw`` per alter) in the backup (or, before ``bkp``, in the
run directory's domain); its netlist ``tb_bkp/<ex>_<Ttok>/<vt>/<tb>.sp`` in the backup for
the typical corner (bkp keeps only those), or the point's own directory while it exists.
A rawfile is chosen by the point's sequence number and its alter index, never by a path
from the request; reading it is ``results.rawfile`` (a bad file is a 422, one line)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from wkpup_harness.config import parse_config
from wkpup_harness.errors import WkpupError
from wkpup_harness.points import Point, temp_token
from wkpup_harness.report.views import point_text
from wkpup_harness.results.rawfile import read_raw
from wkpup_harness.store import jobs
from wkpup_harness.web import security
from wkpup_harness.web.deps import Job, JobId, State
from wkpup_harness.web.errors import clean
from wkpup_harness.web.security import Refused

MAX_SAMPLES = 20_000  # per vector sent to the browser: longer vectors are decimated
MAX_ALTER = 999

router = APIRouter(prefix="/api", tags=["api"])


@dataclass(frozen=True)
class Places:
    """Where a job's files are: the served bases and the typical corner (for tb_bkp)."""

    job_id: int
    run: Path | None
    backup: Path | None
    domain: Path | None
    log_dir: Path | None
    typical: tuple[str, str] | None

    def url(self, path: Path) -> str | None:
        """The ``/files`` address of ``path`` when it is a file inside a served base."""
        for kind, base in (("backup", self.backup), ("run", self.run)):
            if base is not None and path.is_file() and security.inside(path, [base]):
                rel = path.resolve().relative_to(base.resolve()).as_posix()
                return f"/files/{self.job_id}/{kind}/{rel}"
        return None


def places(row: dict[str, Any], state: Any) -> Places:
    run = Path(row["run_root"]) if row.get("run_root") else None
    if run is not None and not (run.is_dir() and security.inside(run, [state.settings.runs])):
        run = None
    backup = Path(row["backup_path"]) if row.get("backup_path") else None
    if backup is not None and not backup.is_dir():
        backup = None
    domain = run / row["domain"] if run is not None and row.get("domain") else None
    log_dir = Path(row["log_path"]) if row.get("log_path") and run is not None else None
    return Places(row["id"], run, backup, domain, log_dir, _typical(row, state))


def _typical(row: dict[str, Any], state: Any) -> tuple[str, str] | None:
    """(corner, extraction) whose netlists bkp keeps, from the job's config."""
    try:
        config = parse_config(row.get("config_text") or "", tables=state.core.tables())
        return config.typical_corner, config.typical_extraction
    except (WkpupError, OSError):
        return None


def _point(p: dict[str, Any]) -> Point:
    levels = tuple(v for v in (p["v1"], p["v2"], p["v3"]) if v is not None)
    return Point(p["corner"], p["extraction"], temp_token(p["temperature"]), levels)


def rawfiles(where: Places, point: Point) -> list[tuple[int, Path]]:
    """(alter index, path) of the point's kept rawfiles, base (0) first."""
    dirs = [d / "compiled_waveform" for d in (where.backup, where.domain) if d is not None]
    alter = re.compile(rf".*_{re.escape(point.name)}_a([0-9]{{1,3}})\.raw")
    for d in dirs:
        if not d.is_dir():
            continue
        found: list[tuple[int, Path]] = []
        for f in sorted(d.glob(f"*_{point.name}*.raw")):
            if f.name.endswith(f"_{point.name}.raw"):
                found.append((0, f))
            elif m := alter.fullmatch(f.name):
                found.append((int(m.group(1)), f))
        if found:
            return sorted(found)
    return []


def _netlist(where: Places, p: dict[str, Any], point: Point) -> str | None:
    if p.get("netlist_path"):
        return where.url(Path(p["netlist_path"]))
    if where.domain is not None:
        own = sorted((where.domain / point.directory).glob("*.sp"))
        if own and (url := where.url(own[0])):
            return url
    if where.backup is not None and (point.corner, point.extraction) == where.typical:
        kept = where.backup / "tb_bkp" / f"{point.extraction}_{point.temp_token}" / point.vt
        sp = sorted(kept.glob("*.sp")) if kept.is_dir() else []
        return where.url(sp[0]) if sp else None
    return None


def _log(where: Places, point: Point) -> str | None:
    """The simulator's log of the point while its directory exists (bkp keeps only the
    nominal point's, as simulation.log), else the point command's own output."""
    if where.domain is not None:
        own = sorted((where.domain / point.directory).glob("*.log"))
        if own and (url := where.url(own[0])):
            return url
    nominal = all(lv == "nom" for lv in point.levels) and point.temp_token == "85"
    typical = (point.corner, point.extraction) == where.typical
    if where.backup is not None and nominal and typical:
        url = where.url(where.backup / "simulation.log")
        if url:
            return url
    return where.url(where.log_dir / "points" / f"{point.name}.log") if where.log_dir else None


def _report(where: Places, p: dict[str, Any], point: Point) -> str | None:
    """The point's own measurement report (``report/report_<point>.txt``)."""
    if p.get("report_path"):
        return where.url(Path(p["report_path"]))
    if where.backup is None:
        return None
    return where.url(where.backup / "report" / f"report_{point.name}.txt")


def point_files(where: Places, p: dict[str, Any]) -> dict[str, Any]:
    point = _point(p)
    waves = [
        {"k": k, "file": f.name, "label": "base" if k == 0 else f"alter {k}",
         "url": where.url(f)}
        for k, f in rawfiles(where, point)
    ]  # fmt: skip
    return {"seq": p["seq"], "label": point_text(p), "log": _log(where, point),
            "netlist": _netlist(where, p, point), "report": _report(where, p, point),
            "waves": waves}  # fmt: skip


@router.get("/jobs/{job_id}/points/files")
def files_of_points(row: Job, state: State) -> dict[str, Any]:
    """Per point: links to its log, netlist and kept rawfiles (None / [] when not kept)."""
    with state.store() as conn:
        pts = jobs.points(conn, row["id"])
    where = places(row, state)
    return {"job": row["id"], "points": [point_files(where, p) for p in pts]}


def _decimated(values: tuple[float, ...], step: int) -> list[float]:
    return list(values[::step]) if step > 1 else list(values)


def wave_view(path: Path, label: str, k: int) -> dict[str, Any]:
    """A rawfile's plots as the viewer draws them: the scale and every vector, with units."""
    out = []
    for plot in read_raw(path):
        n = len(plot.scale.values)
        step = max(1, -(-n // MAX_SAMPLES))
        out.append({
            "plotname": plot.plotname, "complex": plot.complex, "samples": n, "step": step,
            "scale": {"name": plot.scale.name, "kind": plot.scale.kind, "unit": plot.scale.unit,
                      "values": _decimated(plot.scale.values, step)},
            "vectors": [
                {"name": v.name, "kind": v.kind, "unit": v.unit,
                 "values": _decimated(v.values, step)}
                for v in plot.vectors[1:]
            ],
        })  # fmt: skip
    return {"point": label, "file": path.name, "k": k, "plots": out}


@router.get("/jobs/{job_id}/points/{seq}/waves")
async def waves(
    job_id: JobId,
    row: Job,
    state: State,
    seq: int,
    k: int = Query(0, ge=0, le=MAX_ALTER, description="alter index: 0 the base run"),
) -> dict[str, Any]:
    """The vectors of point ``seq``'s kept rawfile (``k``: its alter index)."""
    with state.store() as conn:
        pts = {p["seq"]: p for p in jobs.points(conn, job_id)}
    if seq not in pts:
        raise Refused(404, f"job {job_id} has no point {seq}")
    p = pts[seq]
    kept = dict(rawfiles(places(row, state), _point(p)))
    if k not in kept:
        what = "rawfile" if k == 0 else f"rawfile of alter {k}"
        raise Refused(404, f"point {seq} ({point_text(p)}) has no kept {what}")
    try:
        view = await run_in_threadpool(wave_view, kept[k], point_text(p), k)
    except WkpupError as e:
        raise Refused(422, str(e)) from None
    return clean(view)
