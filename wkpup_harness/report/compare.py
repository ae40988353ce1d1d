"""Compare two results and tell signal from noise: the one comparison the CLI
(``wkpup compare``) and the web (``/api/compare``) show.

Input is plain data: the per-cell rows ``store.jobs.compare`` matches (point by corner,
extraction, temperature, levels and swp; ``a_raw``/``b_raw`` the cell texts) and both sides'
job rows. Output: a verdict in three words, cells changed beyond tolerance (largest first,
paged), points present on one side only (listed apart), and both jobs' names and config
differences.

Tolerances. A cell is *identical* when both texts are equal, *identical within tolerance*
when ``|b - a| <= max(abs_tol(unit), rel_tol * max(|a|, |b|))`` (``math.isclose``), and
*changed* otherwise (a failed or missing cell on one side is always changed). Defaults:

- ``rel`` 1e-6: a creport cell is printed with 9 significant digits (``%.8e``), so a
  re-simulation that moves only the last printed digits differs by about 1e-8 relative
  (gpio ``vid_on`` vs ``vid_off``: VID moves vc in the 10th digit, ``-1e-12 A`` on 1.29e-4 A,
  8e-7 %); 1e-6 is a hundred such steps and still a thousand times below any change an
  engineer acts on (a spec's near band is 5 % of a limit).
- ``abs`` per unit, for values near zero where a relative test says nothing: 1 pA, 1 nV,
  1 mΩ, 1 fs, each at or below ngspice's own resolution for these measurements
  (``abstol`` 1 pA, ``vntol`` 1 µV).

``temper`` and ``alter#`` (the simulator's bookkeeping columns) are not compared.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wkpup_harness.errors import WkpupError
from wkpup_harness.points import label as point_label
from wkpup_harness.report.summary import BOOKKEEPING
from wkpup_harness.report.units import unit

DEFAULT_REL = 1e-6
DEFAULT_ABS: Mapping[str, float] = {"A": 1e-12, "V": 1e-9, "Ω": 1e-3, "s": 1e-15}
PAGE = 50  # rows per page unless asked otherwise
MAX_PAGE = 100000
# unit names a user may type for the abs tolerance (``ohm`` for Ω on a plain keyboard)
UNIT_ALIASES = {"a": "A", "v": "V", "ohm": "Ω", "Ω": "Ω", "s": "s"}
JOB_FIELDS = ("id", "name", "domain", "scenario", "status", "submitted_at", "simulator",
              "simulator_version", "manifest_hash", "golden", "spec_verdict")  # fmt: skip


class ToleranceError(WkpupError):
    """A tolerance that is not a number >= 0 (a usage error: one line, exit 2 / 422)."""


@dataclass(frozen=True)
class Tolerance:
    """Relative tolerance and the absolute one per unit (a unit not named: 0)."""

    rel: float = DEFAULT_REL
    abs: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_ABS))

    def allows(self, a: float, b: float, unit_name: str) -> bool:
        scale = max(abs(a), abs(b))
        return abs(b - a) <= max(self.abs.get(unit_name, 0.0), self.rel * scale)

    def as_dict(self) -> dict[str, Any]:
        return {"rel": self.rel, "abs": dict(self.abs)}


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ToleranceError(f"{what} {text[:40]!r}: a number >= 0 (e.g. 1e-6)") from None
    if not (math.isfinite(value) and value >= 0):
        raise ToleranceError(f"{what} {text[:40]!r}: a number >= 0 (e.g. 1e-6)")
    return value


def parse_rel(text: str | None) -> float:
    return DEFAULT_REL if text is None or not text.strip() else _number(text.strip(), "rel")


def parse_abs(items: str | Sequence[str] | None) -> dict[str, float]:
    """``1e-12`` (every unit), ``A=1e-12,V=1e-9`` or a list of such items: the defaults with
    the units named replaced. ``0`` alone sets every unit to 0."""
    if items is None:
        return dict(DEFAULT_ABS)
    parts = [p.strip() for item in ([items] if isinstance(items, str) else items)
             for p in re.split(r"[,\s]+", item) if p.strip()]  # fmt: skip
    out = dict(DEFAULT_ABS)
    for part in parts:
        if "=" not in part:
            value = _number(part, "abs")
            out = dict.fromkeys(DEFAULT_ABS, value)
            continue
        name, _, text = part.partition("=")
        key = UNIT_ALIASES.get(name.strip().lower(), UNIT_ALIASES.get(name.strip()))
        if key is None:
            raise ToleranceError(
                f"abs {part[:40]!r}: unit one of A, V, ohm, s (e.g. A=1e-12,V=1e-9)"
            )
        out[key] = _number(text.strip(), f"abs {key}")
    return out


def tolerance(rel: str | None = None, abs_: str | Sequence[str] | None = None) -> Tolerance:
    return Tolerance(parse_rel(rel), parse_abs(abs_))


def _point_key(r: Mapping[str, Any]) -> tuple[Any, ...]:
    return (r["corner"], r["extraction"], r["temperature"], r["v1"], r["v2"], r["v3"], r["swp"])


def point_text(r: Mapping[str, Any]) -> str:
    return point_label(
        r["corner"], r["extraction"], r["temperature"], (r["v1"], r["v2"], r["v3"]), r["swp"]
    )


def _classify(
    rows: Iterable[Mapping[str, Any]], tol: Tolerance
) -> tuple[list[dict[str, Any]], int, int, dict[str, list[tuple[Any, ...]]]]:
    """(changed rows, identical count, within-tolerance count, only-in point keys)."""
    rows = [r for r in rows if r["name"] not in BOOKKEEPING]
    has: dict[str, set[tuple[Any, ...]]] = {"a": set(), "b": set()}
    for r in rows:
        for side in ("a", "b"):
            if r[f"{side}_raw"] is not None:
                has[side].add(_point_key(r))
    both = has["a"] & has["b"]
    changed, same, close = [], 0, 0
    for r in rows:
        if _point_key(r) not in both:
            continue
        u = unit(r["name"])
        if r["a_raw"] == r["b_raw"]:
            same += 1
        elif r["a"] is not None and r["b"] is not None and tol.allows(r["a"], r["b"], u):
            close += 1
        else:
            changed.append(dict(r, unit=u, point=point_text(r)))
    order: dict[str, dict[tuple[Any, ...], None]] = {"a": {}, "b": {}}
    for r in rows:
        k = _point_key(r)
        for one, other in (("a", "b"), ("b", "a")):
            if k in has[one] and k not in has[other]:
                order[one][k] = None
    return changed, same, close, {s: list(keys) for s, keys in order.items()}


def verdict(n_changed: int, n_cells: int, n_close: int, only_a: int = 0, only_b: int = 0) -> str:
    """``identical``, ``identical within tolerance`` or ``N of M cells differ``; when the two
    point sets differ, that first (``point sets differ (2 only in A); the 9 cells in common
    identical``), never a count of changed cells that hides it."""
    same = "identical within tolerance" if n_close else "identical"
    if not only_a and not only_b:
        return f"{n_changed} of {n_cells} cells differ" if n_changed else same
    apart = ", ".join(f"{n} only in {s}" for n, s in ((only_a, "A"), (only_b, "B")) if n)
    if not n_cells:
        return f"point sets differ ({apart}); no point in common"
    common = (
        f"{n_changed} of the {n_cells} cells in common differ"
        if n_changed
        else (f"the {n_cells} cells in common {same}")
    )
    return f"point sets differ ({apart}); {common}"


def _only_points(
    rows: Iterable[Mapping[str, Any]], keys: list[tuple[Any, ...]], side: str
) -> list[dict[str, Any]]:
    wanted = set(keys)
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        k = _point_key(r)
        if k in wanted and r["name"] not in BOOKKEEPING and r[f"{side}_raw"] is not None:
            p = out.setdefault(k, {"point": point_text(r), "corner": r["corner"],
                                   "temperature": r["temperature"], "cells": {}})  # fmt: skip
            p["cells"][r["name"]] = r[f"{side}_raw"]
    return [out[k] for k in keys if k in out]


def _values(rows: Iterable[Mapping[str, Any]], side: str, key: str) -> list[Any]:
    return sorted({r[key] for r in rows if r[f"{side}_raw"] is not None}, key=str)


def _listed(text: Any) -> Any:
    if isinstance(text, str) and text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def config_differences(
    job_a: Mapping[str, Any], job_b: Mapping[str, Any] | None, rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """What the two runs were asked for, where they differ: config.cfg keys, domain, scenario,
    the corners and temperatures they simulated, the simulator version."""
    out = []
    cfg_a = dict(job_a.get("config_keys") or [])
    cfg_b = dict((job_b or {}).get("config_keys") or [])
    if job_b is not None and (cfg_a or cfg_b):
        for key in list(cfg_a) + [k for k in cfg_b if k not in cfg_a]:
            if cfg_a.get(key) != cfg_b.get(key):
                out.append({"key": key, "a": cfg_a.get(key), "b": cfg_b.get(key)})
    for key in ("domain", "scenario", "simulator_version"):
        if job_b is not None and job_a.get(key) != job_b.get(key):
            out.append({"key": key, "a": job_a.get(key), "b": job_b.get(key)})
    for key, column in (("corners", "corner"), ("temperatures", "temperature")):
        a, b = _values(rows, "a", column), _values(rows, "b", column)
        if a != b:
            out.append({"key": key, "a": ", ".join(map(str, a)) or "none with results",
                        "b": ", ".join(map(str, b)) or "none with results"})  # fmt: skip
    return out


def side(job: Mapping[str, Any] | None, label: str) -> dict[str, Any]:
    out = {k: _listed(job.get(k)) for k in JOB_FIELDS} if job is not None else {}
    out["label"] = label
    return out


def comparison(
    rows: Sequence[Mapping[str, Any]],
    job_a: Mapping[str, Any],
    job_b: Mapping[str, Any] | None,
    b_label: str,
    tol: Tolerance | None = None,
    *,
    offset: int = 0,
    limit: int = PAGE,
) -> dict[str, Any]:
    """Everything a face shows of a comparison; ``job_b`` None: B is a creport (a golden).
    ``limit`` 0: every changed cell."""
    tol = tol or Tolerance()
    changed, same, close, only = _classify(rows, tol)
    n_cells = len(changed) + same + close
    n_only = len(only["a"]) + len(only["b"])
    page = changed[offset:] if limit == 0 else changed[offset : offset + limit]
    return {
        "a": side(job_a, f"job {job_a['id']}"),
        "b": side(job_b, b_label),
        "verdict": verdict(len(changed), n_cells, close, len(only["a"]), len(only["b"])),
        "identical": not changed and not n_only,
        "tolerance": tol.as_dict(),
        "cells": n_cells,
        "identical_cells": same,
        "within_tolerance": close,
        "differences": len(changed),
        "hidden": list(BOOKKEEPING),
        "config": config_differences(job_a, job_b, rows),
        "only_a": _only_points(rows, only["a"], "a"),
        "only_b": _only_points(rows, only["b"], "b"),
        "offset": offset,
        "limit": limit,
        "rows": page,
    }
