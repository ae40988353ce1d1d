"""``/api/jobs/{id}/mc``: a job's Monte Carlo run as the job page shows it — its settings,
the yield table (per measurement and PVT point: ``results.mcstats`` against the job's
limits, the cells as ``report.mctable`` writes them, the numbers for the page's ``eng``),
the worst sample with its rerun command, and a histogram per row (``report.mcplots``, the
same figures as the HTML export). 404 for a job without samples. Nothing private: no
token, no path."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from wkpup_harness.report import mcplots, mctable, views
from wkpup_harness.report.units import unit
from wkpup_harness.results.mcstats import McStat
from wkpup_harness.web.deps import JobId, State, job_row
from wkpup_harness.web.errors import clean
from wkpup_harness.web.security import Refused

router = APIRouter(prefix="/api", tags=["api"])

NUMBERS = (
    "n", "n_failed", "failed", "mean", "sigma", "min", "max", "lo", "hi", "n_pass",
    "yield_", "ci_lo", "ci_hi", "confidence", "method", "sigma_to_lo", "sigma_to_hi", "cpk",
)  # fmt: skip


def stat_view(job_id: int, stat: McStat) -> dict[str, Any]:
    """One row of the yield table: the numbers, the cells as the terminal table writes
    them (``cells``, by ``mctable.HEADERS``), the worst sample and how to rerun it."""
    u = unit(stat.measurement)
    out: dict[str, Any] = {"measurement": stat.measurement, "point": stat.point, "unit": u}
    out.update({k.rstrip("_"): getattr(stat, k) for k in NUMBERS})
    out["failed"] = list(stat.failed)
    out["cells"] = dict(zip(mctable.HEADERS, mctable.row(stat, u), strict=True))
    w = stat.worst
    out["worst"] = None
    if w is not None:
        out["worst"] = {
            "index": w.index, "seed": w.seed, "value": w.value,
            "rerun": f"wkpup rerun {job_id} --sample {w.index}",
        }  # fmt: skip
    return out


@router.get("/jobs/{job_id}/mc")
def job_mc(job_id: JobId, state: State) -> dict[str, Any]:
    """The job's Monte Carlo samples summed up: settings, yield table, histograms."""
    with state.store() as conn:
        row = job_row(conn, job_id)
        mc = views.stored_mc(conn, row)
    if mc is None:
        raise Refused(404, f"job {job_id} has no Monte Carlo samples")
    head, stats = mc["head"], mc["stats"]
    return clean(
        {
            "id": job_id,
            "kind": head["mc_kind"],
            "seed": head["mc_seed"],
            "samples_per_point": head["mc_samples"],
            "at": head["mc_at"],
            "samples": head["n"],
            "points": len({s.point for s in mc["samples"]}),
            "legend": mctable.legend(stats) if stats else "",
            "headers": list(mctable.HEADERS),
            "stats": [stat_view(job_id, s) for s in stats],
            "figures": mcplots.figures(mc["samples"], stats),
        }
    )
