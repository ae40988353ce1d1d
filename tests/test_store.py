"""wkpup_harness.store: schema, jobs, results, real-backup import, concurrency, maintenance."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from coreutil import FIXTURE, FIXTURE_BKP

from wkpup_harness.results import Creport, parse_creport, read_creport
from wkpup_harness.results import spec as spec_check
from wkpup_harness.store import StoreError, connect, maintenance
from wkpup_harness.store.importer import import_backup
from wkpup_harness.store.jobs import (
    compare,
    create_job,
    finish_job,
    get_job,
    history,
    mark_interrupted,
    mark_running,
    points,
    reap_interrupted,
    record_specs,
    record_stage,
    store_result,
    worst,
)
from wkpup_harness.store.schema import APPLICATION_ID, LATEST

FIXTURES = FIXTURE
BACKUP = FIXTURE_BKP


NINE = ("ioh_0", "ioh", "ioh0", "ioh1", "rwkpull0", "rwkpull_vih", "rwkpull_vih2", "vwkp")
NINE = (*NINE, "vwkp_drop")
HEADER = (
    "supply condition\nv1: vcc\nv2: vccn\nv3: NA\nvcc none vid: 0.702,0.78,0.8424\n"
    'vccana: 0.715,0.75,0.785\nvccn: 0.99,1.1,1.188\nvcctx: "0.5*vcn","0.5*vcn","0.5*vcn"\n\n'
)
CORNERS = ("TT", "FFG", "SSG", "FSG", "SFG", "FFAG", "SSAG", "FFG_SSG", "SSG_FFG", "FF", "SS")
COMBOS = (("min", "min"), ("min", "max"), ("max", "min"), ("max", "max"))


def pvt_points(n: int = 92) -> list[tuple[str, int, tuple[str, str]]]:
    pts = [(c, t, vt) for c in CORNERS for t in (-40, 125) for vt in COMBOS]
    pts += [("TT", t, ("nom", "nom")) for t in (85, 100, 85, 100)]
    return pts[:n]


def creport_text(
    value: Callable[[int, int], str],
    n_points: int = 92,
    names: tuple[str, ...] = NINE,
    swps: tuple[str, ...] = (),
) -> str:
    """A creport.txt in the real layout (100 padded slots); ``value(point, column)`` gives
    each cell's text; with ``swps`` a leading swp column and one row per alter."""
    pad = "\t" * (100 - len(names))
    lead = "swp\t" if swps else ""
    lines = [f"{lead}process\textract\ttemp\tv1\tv2\t" + "\t".join(names) + pad]
    for p, (corner, temp, (l1, l2)) in enumerate(pvt_points(n_points)):
        for swp in swps or ("",):
            cells = "\t".join(value(p, k) for k in range(len(names)))
            first = f"{swp}\t" if swps else ""
            lines.append(f"{first}{corner}\ttypical\t{temp}\t{l1}\t{l2}\t{cells}{pad}")
    return HEADER + "\n".join(lines) + "\n"


def synthetic(seed: int = 0, n_points: int = 92) -> Creport:
    def value(p: int, k: int) -> str:
        return f"{(-1) ** k * (1 + ((seed * 7919 + p * 31 + k) % 997) / 1000) * 10.0**-k:.8e}"

    return parse_creport(creport_text(value, n_points))


def verdicts(report: Creport, raw: dict[str, dict[str, float]]) -> list[dict[str, object]]:
    """Spec verdicts as every face computes them (the one checker), for record_specs."""
    return spec_check.verdicts(report, spec_check.parse_spec(raw))


def stored_specs(conn: sqlite3.Connection, job: int) -> dict[str, dict[str, object]]:
    rows = conn.execute("SELECT * FROM spec_results WHERE job_id = ?", (job,)).fetchall()
    return {r["name"]: {k: v for k, v in dict(r).items() if k != "job_id"} for r in rows}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path / "store.db")
    yield conn
    conn.close()


def count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- schema ------------------------------------------------------------------------------------
def test_schema_is_versioned_and_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    for _ in range(2):
        conn = connect(path)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        tables = set(maintenance.tables(conn))
        conn.close()
    assert {"jobs", "stages", "points", "measurements", "spec_results", "config_keys"} <= tables


def test_foreign_or_newer_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    raw = sqlite3.connect(other)
    raw.execute("CREATE TABLE t (x)")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="not a wkpup store"):
        connect(other)
    newer = tmp_path / "newer.db"
    connect(newer).close()
    raw = sqlite3.connect(newer)
    raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    raw.close()
    with pytest.raises(StoreError, match="newer"):
        connect(newer)


def test_check_constraints_reject_bad_statuses(db: sqlite3.Connection) -> None:
    job = create_job(db, domain="gpio/1p1v")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("UPDATE jobs SET status = 'done' WHERE id = ?", (job,))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("INSERT INTO stages (job_id, stage, status) VALUES (?, 'gen', 'ok')", (job,))
    with pytest.raises(StoreError, match="stage status"):
        record_stage(db, job, "gen", "great")
    with pytest.raises(StoreError, match="final status"):
        finish_job(db, job, "running")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO stages (job_id, stage, status) VALUES (999, 'gen', 'queued')")
    assert get_job(db, job)["status"] == "queued"  # type: ignore[index]


def test_job_lifecycle_and_cascade_delete(db: sqlite3.Connection) -> None:
    config = "mode:prelay\nsimulator:ngspice\npostlay_cross_cornerlist:custom:FSG SFG\n"
    job = create_job(db, domain="gpio/1p1v", user="ana", scenario="wkp", config_text=config)
    mark_running(db, job)
    record_stage(db, job, "gen", "running", started_at=1.0)
    record_stage(db, job, "gen", "completed", finished_at=2.0, exit_code=0, log_path="gen.log")
    assert store_result(db, job, synthetic(), status="completed") == (92, 0)
    record_specs(
        db, job, verdicts(synthetic(), {"ioh": {"max": 0.0}, "vwkp": {"min": 0, "max": 1}})
    )
    got = get_job(db, job)
    assert got is not None
    assert got["status"] == "completed" and got["elapsed_s"] >= 0 and got["simulator"] == "ngspice"
    assert got["config_text"] == config
    assert got["config_keys"][-1] == ("postlay_cross_cornerlist", "custom:FSG SFG")
    assert got["stages"] == [
        {"stage": "gen", "status": "completed", "started_at": 1.0, "finished_at": 2.0,
         "exit_code": 0, "log_path": "gen.log", "cpu_s": None, "max_rss_kib": None}
    ]  # fmt: skip
    with pytest.raises(StoreError, match="already completed"):
        finish_job(db, job, "failed")
    with pytest.raises(StoreError, match="already completed"):
        store_result(db, job, synthetic())
    other = create_job(db, domain="gpio/1p1v")
    store_result(db, other, synthetic(1))
    before = {t: count(db, t) for t in maintenance.tables(db)}
    assert before["measurements"] == 2 * 92 * 9 and before["spec_results"] == 2
    db.execute("DELETE FROM jobs WHERE id = ?", (job,))
    after = {t: count(db, t) for t in maintenance.tables(db)}
    assert after == {**before, "jobs": 1, "points": 92, "measurements": 92 * 9, "stages": 0,
                     "config_keys": 0, "spec_results": 0}  # fmt: skip


def test_store_result_replaces_and_keeps_failed_text(db: sqlite3.Connection) -> None:
    text = creport_text(lambda p, k: "failed" if (p, k) == (3, 2) else f"{p}.{k}e-3")
    job = create_job(db, domain="d")
    store_result(db, job, synthetic())
    assert store_result(db, job, parse_creport(text)) == (92, 1)
    pts = points(db, job)
    assert count(db, "measurements") == 92 * 9
    assert pts[3]["status"] == "failed" and pts[3]["cells"]["ioh0"] == ("failed", None)
    assert pts[4]["cells"]["ioh0"] == ("4.2e-3", 4.2e-3)


def test_record_specs(db: sqlite3.Connection) -> None:
    report = synthetic()
    job = create_job(db, domain="d")
    store_result(db, job, report)
    ioh = [p["cells"]["ioh"][1] for p in points(db, job)]
    computed = verdicts(report, {"ioh": {"min": min(ioh) + 1e-9}})
    record_specs(db, job, computed)
    got = stored_specs(db, job)
    assert got == {v["name"]: v for v in computed}  # stored as the checker computed them
    assert got["ioh"]["status"] == "fail" and got["ioh"]["n_fail"] == ioh.count(min(ioh))
    assert got["ioh"]["worst_value"] == min(ioh) and got["ioh"]["hi"] is None
    assert ioh[got["ioh"]["worst_seq"]] == min(ioh)  # type: ignore[index]
    # Recorded again (a resumed job): replaced, not duplicated; a per-corner override is the
    # checker's business and reaches the store as its verdict.
    worst_corner = points(db, job)[ioh.index(min(ioh))]["corner"]
    record_specs(
        db,
        job,
        verdicts(
            report,
            {"ioh": {"min": min(ioh) + 1e-9, "corners": {worst_corner: {"min": min(ioh)}}}},
        ),
    )
    got = stored_specs(db, job)
    assert count(db, "spec_results") == 1
    assert got["ioh"]["status"] == "pass" and got["ioh"]["n_fail"] == 0


# --- import of real and synthetic backups ------------------------------------------------------
def _table_cells(text: str) -> list[list[str]]:
    """The creport's data rows split by tab with the padding dropped, read independently of
    the parser under test."""
    return [line.split("\t")[: 5 + 11] for line in text.split("\n")[10:] if line]


def test_import_real_backup_stores_every_cell_exactly(db: sqlite3.Connection) -> None:
    job = import_backup(db, BACKUP)
    got = get_job(db, job)
    assert got is not None and got["status"] == "completed"
    assert time.strftime("%Y%m%d%H%M", time.localtime(got["submitted_at"])) == "202510301443"
    assert got["domain"] == "data/wkpup2_ver03_gpio" and got["n_points"] == 92
    text = (BACKUP / "report" / "creport.txt").read_text(encoding="ascii")
    header = text.split("\n")[9].split("\t")
    names = [h for h in header[5:] if h]
    assert len(names) == 11 and set(NINE) <= set(names)
    assert got["report_header"] == "\n".join(text.split("\n")[:9])
    rows = _table_cells(text)
    pts = points(db, job)
    assert len(rows) == len(pts) == 92
    assert count(db, "measurements") == 92 * 11
    for row, p in zip(rows, pts, strict=True):
        assert [p["corner"], p["extraction"], str(p["temperature"]), p["v1"], p["v2"]] == row[:5]
        assert set(p["cells"]) == set(names)
        for name, raw in zip(names, row[5:], strict=True):
            assert p["cells"][name] == (raw, float(raw)), (p["seq"], name)
        # ... and the per-point report file the row was sorted from says the same.
        assert p["report_path"] is not None
        report = Path(p["report_path"]).read_text(encoding="ascii").split("\n")
        assert report[1].split("\t")[: len(names)] == row[5:]
    tt = [p for p in pts if p["corner"] == "TT" and p["temperature"] in (-40, 125)]
    assert tt and all(p["netlist_path"] and Path(p["netlist_path"]).is_file() for p in tt)
    with pytest.raises(StoreError, match="already imported"):
        import_backup(db, BACKUP)


def test_import_bare_real_creport(db: sqlite3.Connection) -> None:
    job = import_backup(db, BACKUP / "report" / "creport.txt", domain="gpio/1p1v")
    cre = read_creport(BACKUP / "report" / "creport.txt")
    pts = points(db, job)
    assert get_job(db, job)["domain"] == "gpio/1p1v"  # type: ignore[index]
    for row, p in zip(cre.rows, pts, strict=True):
        assert p["cells"] == {n: (c.raw, c.value) for n, c in row.cells.items()}


def test_import_alter_mode_keeps_swp(db: sqlite3.Connection, tmp_path: Path) -> None:
    backup = tmp_path / "i3c" / "1p1v" / "00bkp_202401020304"
    (backup / "report").mkdir(parents=True)
    text = creport_text(
        lambda p, k: "failed" if (p, k) == (1, 0) else f"{p + k / 10:.8e}",
        n_points=6,
        swps=("swp01", "swp02", "swp03"),
    )
    (backup / "report" / "creport.txt").write_text(text, encoding="ascii")
    job = import_backup(db, backup)
    got = get_job(db, job)
    assert got is not None and got["domain"] == "i3c/1p1v" and got["name"] == backup.name
    assert got["submitted_at"] == time.mktime((2024, 1, 2, 3, 4, 0, 0, 0, -1))
    pts = points(db, job)
    assert [p["swp"] for p in pts[:4]] == ["swp01", "swp02", "swp03", "swp01"]
    assert len(pts) == 18 and got["n_failed_points"] == 3
    assert pts[3]["cells"]["ioh_0"] == ("failed", None)
    assert pts[0]["cells"]["ioh"] == ("1.00000000e-01", 0.1)


def test_import_refuses_non_backup(db: sqlite3.Connection, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="00bkp_"):
        import_backup(db, tmp_path)
    assert count(db, "jobs") == 0


# --- concurrency -------------------------------------------------------------------------------
WRITERS, JOBS_EACH = 8, 20


def _writer(path: str, worker: int, errors: multiprocessing.Queue) -> None:
    try:
        conn = connect(path)
        for i in range(JOBS_EACH):
            job = create_job(conn, domain=f"dom{worker % 3}", user=f"u{worker}", name=str(i))
            mark_running(conn, job)
            record_stage(conn, job, "run", "running", started_at=time.time())
            store_result(conn, job, synthetic(worker * 100 + i), status="completed")
        conn.close()
    except BaseException:
        errors.put(f"writer {worker}: {traceback.format_exc()}")


def _reader(path: str, stop: multiprocessing.Event, errors: multiprocessing.Queue) -> None:  # type: ignore[valid-type]
    try:
        conn = connect(path)
        loops = 0
        while not stop.is_set():  # type: ignore[attr-defined]
            for row in history(conn, limit=100):
                job = get_job(conn, row["id"])
                # A reader never sees a completed job without all of its result.
                if job is not None and job["status"] == "completed":
                    n = conn.execute(
                        "SELECT count(*) FROM measurements WHERE job_id = ?", (row["id"],)
                    ).fetchone()[0]
                    assert n == 92 * 9, (row["id"], n)
            loops += 1
        errors.put(f"reader loops {loops}")
        conn.close()
    except BaseException:
        errors.put(f"reader: {traceback.format_exc()}")


def test_parallel_writers_and_reader_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    connect(path).close()
    ctx = multiprocessing.get_context("fork")
    errors: multiprocessing.Queue = ctx.Queue()
    stop = ctx.Event()
    reader = ctx.Process(target=_reader, args=(path, stop, errors))
    reader.start()
    writers = [ctx.Process(target=_writer, args=(path, w, errors)) for w in range(WRITERS)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    stop.set()
    reader.join(30)
    messages = []
    while not errors.empty():
        messages.append(errors.get())
    problems = [m for m in messages if not m.startswith("reader loops")]
    assert not problems, "\n".join(problems)
    assert [w.exitcode for w in writers] == [0] * WRITERS and reader.exitcode == 0
    assert any(m.startswith("reader loops") and m != "reader loops 0" for m in messages)
    conn = connect(path)
    assert count(conn, "jobs") == WRITERS * JOBS_EACH
    assert conn.execute("SELECT count(*) FROM jobs WHERE status = 'completed'").fetchone()[0] == 160
    assert count(conn, "measurements") == WRITERS * JOBS_EACH * 92 * 9
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- interrupted jobs --------------------------------------------------------------------------
def _die_mid_run(path: str) -> None:
    conn = connect(path)
    job = create_job(conn, domain="gpio/1p1v")
    mark_running(conn, job)
    record_stage(conn, job, "gen", "completed", started_at=1.0, finished_at=2.0)
    record_stage(conn, job, "run", "running", started_at=3.0)
    os.kill(os.getpid(), 9)  # as a kill -9 or a lost node would


def test_interrupted_job_is_visible_as_such(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    connect(path).close()
    child = multiprocessing.get_context("fork").Process(target=_die_mid_run, args=(path,))
    child.start()
    child.join(30)
    assert child.exitcode == -9
    conn = connect(path)
    job = history(conn)[0]["id"]
    assert get_job(conn, job)["status"] == "running"  # type: ignore[index]
    alive = create_job(conn, domain="gpio/1p1v")
    mark_running(conn, alive)  # this very process: alive, must not be reaped
    assert reap_interrupted(conn) == [job]
    got = get_job(conn, job)
    assert got is not None
    assert (got["status"], got["error"], got["error_stage"]) == ("failed", "interrupted", "run")
    assert {s["stage"]: s["status"] for s in got["stages"]} == {"gen": "completed", "run": "failed"}
    with pytest.raises(StoreError, match="already failed"):
        finish_job(conn, job, "completed")
    assert get_job(conn, alive)["status"] == "running"  # type: ignore[index]
    assert mark_interrupted(conn, alive, stage="ext") is True
    assert mark_interrupted(conn, alive) is False
    assert get_job(conn, alive)["error_stage"] == "ext"  # type: ignore[index]


# --- maintenance -------------------------------------------------------------------------------
def _populate(conn: sqlite3.Connection, n: int) -> list[int]:
    ids = []
    for i in range(n):
        job = create_job(
            conn, domain=f"d{i % 2}", user="u", config_text=f"mode:prelay\nCPU #:{i}\n"
        )
        record_stage(conn, job, "gen", "completed", exit_code=0)
        store_result(conn, job, synthetic(i), status="completed")
        record_specs(conn, job, verdicts(synthetic(i), {"ioh": {"max": 0.0}}))
        ids.append(job)
    return ids


def test_backup_delete_restore_is_identical(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    conn = connect(path)
    _populate(conn, 5)
    before_sum, before_stats = maintenance.checksum(conn), maintenance.stats(conn)["rows"]
    saved = maintenance.backup(conn, tmp_path / "backup.db")
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    maintenance.restore(saved, path)
    conn = connect(path)
    assert maintenance.stats(conn)["rows"] == before_stats
    assert before_stats["measurements"] == 5 * 92 * 9
    assert maintenance.checksum(conn) == before_sum
    # Over a live store that changed since: back to the backup's content exactly.
    _populate(conn, 1)
    assert maintenance.checksum(conn) != before_sum
    maintenance.restore(saved, path)
    assert maintenance.checksum(conn) == before_sum
    conn.close()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match=r"junk\.db"):
        maintenance.restore(junk, path)


def test_cleanup_older_than_cascades(db: sqlite3.Connection) -> None:
    now = time.time()
    old, fresh = (create_job(db, domain="d", submitted_at=now - d * 86400) for d in (40, 5))
    old_running = create_job(db, domain="d", submitted_at=now - 50 * 86400)
    mark_running(db, old_running)
    for job in (old, fresh):
        store_result(db, job, synthetic(job), status="completed")
    assert maintenance.cleanup(db, 30, now=now) == 1
    assert [r["id"] for r in history(db)] == [fresh, old_running]
    assert count(db, "measurements") == 92 * 9 and count(db, "points") == 92
    maintenance.vacuum(db)
    stats = maintenance.stats(db)
    assert stats["rows"]["jobs"] == 2 and stats["file_bytes"] > 0 and stats["version"] == LATEST


def test_history_filters(db: sqlite3.Connection) -> None:
    a = create_job(db, domain="x", user="ana", submitted_at=100.0)
    b = create_job(db, domain="y", user="bo", submitted_at=200.0)
    c = create_job(db, domain="x", user="bo", submitted_at=300.0)
    finish_job(db, b, "cancelled")
    assert [r["id"] for r in history(db)] == [c, b, a]
    assert [r["id"] for r in history(db, domain="x")] == [c, a]
    assert [r["id"] for r in history(db, user="bo", status="queued")] == [c]
    assert [r["id"] for r in history(db, since=150.0, limit=1)] == [c]
    with pytest.raises(StoreError, match="job status"):
        history(db, status="bogus")


# --- queries -----------------------------------------------------------------------------------
def test_worst_point_over_jobs_of_a_domain(db: sqlite3.Connection) -> None:
    def job_with(domain: str, special: dict[tuple[int, int], str], status: str = "completed"):
        text = creport_text(lambda p, k: special.get((p, k), f"{1 + p / 1000:.8e}"))
        job = create_job(db, domain=domain)
        store_result(db, job, parse_creport(text), status=status)
        return job

    a1 = job_with("A", {(10, 1): "-5.00000000e+00"})
    a2 = job_with("A", {(40, 1): "-7.50000000e+00", (41, 1): "failed", (7, 1): "9.9e+01"})
    job_with("A", {(2, 1): "-9.00000000e+01"}, status="failed")  # not a completed run
    job_with("B", {(3, 1): "-1.00000000e+03", (3, 2): "1e+09"})
    low = worst(db, "A", "ioh", "min")
    assert low is not None
    assert (low["job_id"], low["seq"], low["raw"], low["value"]) == (
        a2,
        40,
        "-7.50000000e+00",
        -7.5,
    )
    assert (low["corner"], low["temperature"], low["v1"], low["v2"]) == ("FFAG", -40, "min", "min")
    high = worst(db, "A", "ioh", "max")
    assert high is not None and (high["job_id"], high["seq"], high["value"]) == (a2, 7, 99.0)
    assert worst(db, "A", "ioh0", "max")["job_id"] == a1  # type: ignore[index]  # tie: oldest
    assert worst(db, "B", "ioh", "min")["value"] == -1000.0  # type: ignore[index]
    assert worst(db, "C", "ioh", "min") is None
    assert worst(db, "A", "ioh", "min", statuses=("completed", "failed"))["value"] == -90.0  # type: ignore[index]


def test_compare_largest_first(db: sqlite3.Connection) -> None:
    base = creport_text(lambda p, k: f"{1 + k:.8e}", n_points=4)
    changed = {(0, 0): "1.10000000e+00", (2, 3): "2.00000000e+00", (1, 5): "failed"}
    other = creport_text(lambda p, k: changed.get((p, k), f"{1 + k:.8e}"), n_points=4)
    a, b = create_job(db, domain="d"), create_job(db, domain="d")
    store_result(db, a, parse_creport(base))
    store_result(db, b, parse_creport(other))
    diff = compare(db, a, b)
    assert len(diff) == 4 * 9
    assert (diff[0]["name"], diff[0]["b_raw"], diff[0]["delta"]) == ("rwkpull_vih", "failed", None)
    assert (diff[1]["name"], diff[1]["corner"], diff[1]["temperature"], diff[1]["v1"]) == (
        "ioh1",
        "TT",
        -40,
        "max",
    )
    assert diff[1]["delta"] == -2.0 and diff[1]["rel"] == 0.5
    assert diff[2]["name"] == "ioh_0" and diff[2]["delta"] == pytest.approx(0.1)
    rels = [d["rel"] for d in diff[1:]]
    assert rels == sorted(rels, reverse=True) and rels[2:] == [0.0] * (len(rels) - 2)
    assert len(compare(db, a, b, names=["ioh"])) == 4
