"""``/api/health`` (the checks of ``wkpup doctor`` in the shape the health page shows) and
``/api/options`` (what a submission may choose)."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter

from wkpup_harness import doctor
from wkpup_harness.engine import Budget
from wkpup_harness.engine.budget import busy_slots
from wkpup_harness.store import queries
from wkpup_harness.web import service
from wkpup_harness.web.deps import AppState, State

router = APIRouter(prefix="/api", tags=["api"])


def core_check(state: AppState) -> dict[str, Any]:
    checked = doctor.check_core(state.settings, state.core)
    return {"ok": checked.ok, "path": str(state.core.root), "verdict": checked.detail}


def simulator_check() -> dict[str, Any]:
    checked = doctor.check_simulator()
    return {
        "name": doctor.SIMULATOR,
        "path": checked.data.get("path"),
        "version": checked.data.get("version"),
        "ok": checked.ok,
    }


def models_check() -> dict[str, Any]:
    checked = doctor.check_models()
    out: dict[str, Any] = {"ok": checked.ok, "path": checked.data.get("path")}
    if not checked.ok:
        out["error"] = checked.detail
    return out


def store_check(state: AppState) -> dict[str, Any]:
    path = state.db
    writable = os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    with state.store() as conn:
        counts = queries.job_counts(conn)
    return {"ok": writable, "path": str(path), "writable": writable, "jobs": counts}


def budget_check(state: AppState) -> dict[str, Any]:
    settings = state.settings
    budget = Budget(settings.cpus, settings.slot_dir)
    return {
        "cpus": settings.cpus,
        "slot_dir": str(settings.slot_dir),
        "busy": busy_slots(budget),
        "ok": True,
    }


@router.get("/health")
def health(state: State) -> dict[str, Any]:
    """Core manifest verdict, simulator and version, SKY130 models, store, CPU budget."""
    out: dict[str, Any] = {
        "core": core_check(state),
        "simulator": simulator_check(),
        "models": models_check(),
        "store": store_check(state),
        "budget": budget_check(state),
    }
    current = state.worker.current if state.worker is not None else None
    out["worker"] = {"running": state.worker is not None,
                     "job": current.id if current is not None else None}  # fmt: skip
    out["ok"] = all(out[k]["ok"] for k in ("core", "simulator", "models", "store"))
    return out


@router.get("/options")
def options(state: State) -> dict[str, Any]:
    """Domains and, for each config key, the values the core's own tables allow."""
    return service.options(state.settings, state.core)
