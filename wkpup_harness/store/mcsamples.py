"""The Monte Carlo samples of a job in the store (schema V5, docs/montecarlo.md): one row per
sample of report/mcreport.txt, linked to the job that ran them, with its measurements."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from wkpup_harness.results.mcreport import McReport
from wkpup_harness.results.mcstats import Sample
from wkpup_harness.store.db import read, write


def record_mc(
    conn: sqlite3.Connection,
    job: int,
    report: McReport,
    outcomes: Mapping[int, tuple[bool, int, str, float]],
) -> None:
    """Replace the job's samples with ``report``'s; ``outcomes``: per sample index, how its
    simulation ended (ok, attempts, reason, seconds), when this run simulated it."""
    with write(conn):
        conn.execute("DELETE FROM mc_samples WHERE job_id = ?", (job,))
        conn.execute(
            "UPDATE jobs SET mc_kind = ?, mc_seed = ?, mc_samples = ?, mc_at = ? WHERE id = ?",
            (report.kind, report.seed, report.samples_per_point, report.at, job),
        )
        for s, values, raw in zip(report.samples, report.values, report.raw, strict=True):
            ok, attempts, reason, elapsed = outcomes.get(
                s.index, (all(v is not None for v in values), None, "", None)
            )
            conn.execute(
                "INSERT INTO mc_samples (job_id, idx, seed, corner, extraction, temp_token, vt,"
                " status, attempts, reason, elapsed_s) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (job, s.index, s.seed, s.corner, s.extraction, s.temp_token, s.vt,
                 "ok" if ok else "failed", attempts, reason or None, elapsed),
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO mc_values (job_id, idx, col, name, value, raw) VALUES (?,?,?,?,?,?)",
                [
                    (job, s.index, col, name, value, text)
                    for col, (name, value, text) in enumerate(
                        zip(report.names, values, raw, strict=True)
                    )
                ],
            )


def mc_header(conn: sqlite3.Connection, job: int) -> dict[str, Any] | None:
    """The job's Monte Carlo settings and sample count; None for a job without samples."""
    with read(conn):
        row = conn.execute(
            "SELECT mc_kind, mc_seed, mc_samples, mc_at, (SELECT count(*) FROM mc_samples"
            " WHERE job_id = ?1) AS n FROM jobs WHERE id = ?1",
            (job,),
        ).fetchone()
    if row is None or row["mc_kind"] is None:
        return None
    return dict(row)


def mc_samples(conn: sqlite3.Connection, job: int) -> tuple[list[Sample], dict[str, str]]:
    """The job's samples as ``mcstats.Sample`` rows, in index order, and the corner of each
    sampled point (by the point's name)."""
    with read(conn):
        rows = conn.execute(
            "SELECT s.idx, s.seed, s.corner, s.extraction, s.temp_token, s.vt, v.name, v.value"
            " FROM mc_samples s LEFT JOIN mc_values v ON v.job_id = s.job_id AND v.idx = s.idx"
            " WHERE s.job_id = ? ORDER BY s.idx, v.col",
            (job,),
        ).fetchall()
    out: dict[int, Sample] = {}
    corners: dict[str, str] = {}
    for r in rows:
        sample = out.get(r["idx"])
        if sample is None:
            point = f"{r['corner']}_{r['extraction']}_{r['temp_token']}_{r['vt']}"
            corners[point] = r["corner"]
            sample = out[r["idx"]] = Sample(r["idx"], r["seed"], point, {})
        if r["name"] is not None:
            sample.values[r["name"]] = r["value"]  # type: ignore[index]
    return list(out.values()), corners


def mc_sample(conn: sqlite3.Connection, job: int, idx: int) -> dict[str, Any] | None:
    """One stored sample: its row and its values as written (``raw``: name -> text)."""
    with read(conn):
        row = conn.execute(
            "SELECT * FROM mc_samples WHERE job_id = ? AND idx = ?", (job, idx)
        ).fetchone()
        if row is None:
            return None
        values = conn.execute(
            "SELECT name, raw FROM mc_values WHERE job_id = ? AND idx = ? ORDER BY col",
            (job, idx),
        ).fetchall()
    return {**dict(row), "raw": {v["name"]: v["raw"] for v in values}}
