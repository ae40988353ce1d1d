"""The store's schema as numbered migrations, tracked by ``PRAGMA user_version``.

Each migration is a tuple of single statements (not a script): ``executescript`` would commit
on its own, and a migration must run inside the caller's ``BEGIN IMMEDIATE`` so that two
processes opening a fresh store cannot both apply it.
"""

from __future__ import annotations

import sqlite3

from wkpup_harness.errors import WkpupError

# Marks a file as a wkpup store, so restore refuses any other SQLite file ("WKPS").
APPLICATION_ID = 0x574B5053
JOB_STATUSES = ("queued", "running", "completed", "failed", "cancelled")
TERMINAL_STATUSES = ("completed", "failed", "cancelled")
STAGE_STATUSES = ("queued", "running", "completed", "failed", "cancelled", "skipped")
POINT_STATUSES = ("pending", "ok", "failed")
# A simulation of one PVT point, as the engine runs it (the creport rows are `points`).
SIM_STATUSES = ("pending", "running", "ok", "failed", "cancelled")
GOLDEN_VERDICTS = ("identical", "mismatch", "created", "updated", "missing")
SPEC_STATUSES = ("pass", "fail", "no_data")


class StoreError(WkpupError):
    """The store cannot do what was asked (busy too long, bad transition, foreign file)."""


class StoreUnavailable(StoreError):
    """The store cannot be written now: locked by another process for longer than the wait,
    its disk full, an I/O error. Nothing of the failed transaction was written."""


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


_V1: tuple[str, ...] = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    # AUTOINCREMENT: a deleted job's id is never handed out again (links, backups stay unique).
    f"""CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ({_in(JOB_STATUSES)})),
        submitted_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL,
        elapsed_s REAL,
        user TEXT,
        domain TEXT NOT NULL,
        scenario TEXT,
        name TEXT,
        core_path TEXT,
        manifest_hash TEXT,
        simulator TEXT,
        simulator_version TEXT,
        config_text TEXT,
        work_path TEXT,
        backup_path TEXT,
        error TEXT,
        error_stage TEXT,
        -- who runs it: a 'running' job whose process is gone was interrupted
        pid INTEGER,
        host TEXT,
        pid_start TEXT,
        -- creport lines 1..9 and the measurement names in column order, to re-render it
        report_header TEXT,
        report_names TEXT,
        n_points INTEGER,
        n_failed_points INTEGER
    )""",
    "CREATE INDEX jobs_submitted ON jobs (submitted_at)",
    "CREATE INDEX jobs_domain ON jobs (domain, submitted_at)",
    # worst() and history(domain, status): without it the planner may walk every
    # completed job of every domain through jobs_status.
    "CREATE INDEX jobs_domain_status ON jobs (domain, status, submitted_at)",
    "CREATE INDEX jobs_status ON jobs (status, submitted_at)",
    "CREATE INDEX jobs_user ON jobs (user, submitted_at)",
    "CREATE INDEX jobs_backup ON jobs (backup_path) WHERE backup_path IS NOT NULL",
    """CREATE TABLE config_keys (
        job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        line INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (job_id, line)
    ) WITHOUT ROWID""",
    f"""CREATE TABLE stages (
        job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        stage TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ({_in(STAGE_STATUSES)})),
        started_at REAL,
        finished_at REAL,
        exit_code INTEGER,
        log_path TEXT,
        PRIMARY KEY (job_id, stage)
    ) WITHOUT ROWID""",
    # A point is (job_id, seq): seq is its row in creport.txt, so alter rows that share
    # corner/extraction/temperature/levels stay distinct and the report order is kept.
    f"""CREATE TABLE points (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        corner TEXT NOT NULL,
        extraction TEXT NOT NULL,
        temperature INTEGER NOT NULL,
        v1 TEXT, v2 TEXT, v3 TEXT,
        swp TEXT,
        status TEXT NOT NULL CHECK (status IN ({_in(POINT_STATUSES)})),
        netlist_path TEXT,
        mt0_path TEXT,
        report_path TEXT,
        UNIQUE (job_id, seq)
    )""",
    # Clustered by job so a result is appended in one contiguous run and a cascade from a
    # point finds its rows by key prefix. value is NULL for 'failed'; raw is always the text.
    """CREATE TABLE measurements (
        job_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        value REAL,
        raw TEXT NOT NULL,
        PRIMARY KEY (job_id, seq, name),
        FOREIGN KEY (job_id, seq) REFERENCES points (job_id, seq) ON DELETE CASCADE
    ) WITHOUT ROWID""",
    # Worst case per domain: for each job of the domain, MIN/MAX(value) of one name is a
    # single seek in this index (which also carries seq, the PK rest), instead of walking a
    # global (name, value) index until a row of the right domain turns up.
    "CREATE INDEX measurements_by_name ON measurements (job_id, name, value)",
    f"""CREATE TABLE spec_results (
        job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        lo REAL,
        hi REAL,
        status TEXT NOT NULL CHECK (status IN ({_in(SPEC_STATUSES)})),
        n_points INTEGER NOT NULL,
        n_fail INTEGER NOT NULL,
        worst_value REAL,
        worst_seq INTEGER,
        PRIMARY KEY (job_id, name)
    ) WITHOUT ROWID""",
    f"PRAGMA application_id = {APPLICATION_ID}",
)

# V2: the job engine's records: who started a job (face), its live progress (stage, points
# done), cancel requests, the token that marks its processes, resumes, the golden verdict,
# the run root; and one row per simulated PVT point with its attempts and reason.
_V2: tuple[str, ...] = (
    "ALTER TABLE jobs ADD COLUMN face TEXT",
    "ALTER TABLE jobs ADD COLUMN stage TEXT",
    "ALTER TABLE jobs ADD COLUMN points_total INTEGER",
    "ALTER TABLE jobs ADD COLUMN points_done INTEGER",
    "ALTER TABLE jobs ADD COLUMN points_failed INTEGER",
    "ALTER TABLE jobs ADD COLUMN cancel_requested REAL",
    "ALTER TABLE jobs ADD COLUMN token TEXT",
    "ALTER TABLE jobs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0",
    f"ALTER TABLE jobs ADD COLUMN golden TEXT CHECK (golden IS NULL OR golden IN"
    f" ({_in(GOLDEN_VERDICTS)}))",
    "ALTER TABLE jobs ADD COLUMN golden_path TEXT",
    "ALTER TABLE jobs ADD COLUMN run_root TEXT",
    "ALTER TABLE jobs ADD COLUMN log_path TEXT",
    "ALTER TABLE jobs ADD COLUMN corners TEXT",
    "ALTER TABLE jobs ADD COLUMN temperatures TEXT",
    "ALTER TABLE jobs ADD COLUMN stages_planned TEXT",
    f"""CREATE TABLE sims (
        job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        name TEXT NOT NULL,
        corner TEXT NOT NULL,
        extraction TEXT NOT NULL,
        temp_token TEXT NOT NULL,
        vt TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ({_in(SIM_STATUSES)})),
        attempts INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        elapsed_s REAL,
        started_at REAL,
        finished_at REAL,
        PRIMARY KEY (job_id, idx),
        UNIQUE (job_id, name)
    ) WITHOUT ROWID""",
)

# V3: per-stage resource figures: CPU seconds (user + system) of the stage's processes and
# the peak resident memory of the largest of them (KiB), NULL where not measured (a stage
# run before V3, a Slurm run stage whose simulations ran on other machines).
_V3: tuple[str, ...] = (
    "ALTER TABLE stages ADD COLUMN cpu_s REAL",
    "ALTER TABLE stages ADD COLUMN max_rss_kib INTEGER",
)

# V4: every job's spec: the limits it is judged by (JSON, as a scenario's ``spec:`` writes
# them, so a resume is judged by the same ones), its one verdict (pass / near / fail; NULL:
# no limits), and per measurement the pass / near / fail verdict and its smallest margin.
SPEC_VERDICTS = ("pass", "near", "fail")
_V4: tuple[str, ...] = (
    "ALTER TABLE jobs ADD COLUMN spec_json TEXT",
    f"ALTER TABLE jobs ADD COLUMN spec_verdict TEXT CHECK (spec_verdict IS NULL OR spec_verdict"
    f" IN ({_in(SPEC_VERDICTS)}))",
    f"ALTER TABLE spec_results ADD COLUMN verdict TEXT CHECK (verdict IS NULL OR verdict IN"
    f" ({_in((*SPEC_VERDICTS, 'no_data'))}))",
    "ALTER TABLE spec_results ADD COLUMN margin REAL",
)

# V5: Monte Carlo (ours, docs/montecarlo.md): the job's kind, seed, samples per point and
# where it sampled; one row per sample (its index, seed, PVT point, how its simulation
# ended) and its measurements, as report/mcreport.txt holds them (value NULL: failed).
SAMPLE_STATUSES = ("ok", "failed")
_V5: tuple[str, ...] = (
    "ALTER TABLE jobs ADD COLUMN mc_kind TEXT",
    "ALTER TABLE jobs ADD COLUMN mc_seed INTEGER",
    "ALTER TABLE jobs ADD COLUMN mc_samples INTEGER",
    "ALTER TABLE jobs ADD COLUMN mc_at TEXT",
    f"""CREATE TABLE mc_samples (
        job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        corner TEXT NOT NULL,
        extraction TEXT NOT NULL,
        temp_token TEXT NOT NULL,
        vt TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ({_in(SAMPLE_STATUSES)})),
        attempts INTEGER,
        reason TEXT,
        elapsed_s REAL,
        PRIMARY KEY (job_id, idx)
    ) WITHOUT ROWID""",
    """CREATE TABLE mc_values (
        job_id INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        col INTEGER NOT NULL,
        name TEXT NOT NULL,
        value REAL,
        raw TEXT NOT NULL,
        PRIMARY KEY (job_id, idx, col),
        FOREIGN KEY (job_id, idx) REFERENCES mc_samples (job_id, idx) ON DELETE CASCADE
    ) WITHOUT ROWID""",
)

# V6: the result cache (docs/cache.md): whether a point was copied from the cache (1)
# instead of simulated (0).
_V6: tuple[str, ...] = ("ALTER TABLE sims ADD COLUMN reused INTEGER NOT NULL DEFAULT 0",)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5, _V6)
LATEST = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchone() is not None


def refuse(current: int, app: int, has_tables: bool) -> None:
    """StoreError for a store newer than this harness (schema ``current`` > LATEST) or an
    SQLite file that is not a wkpup store (another ``app`` id; tables but no version)."""
    if current > LATEST:
        raise StoreError(
            f"store schema version {current} is newer than this harness knows ({LATEST}); "
            "use the wkpup that wrote it"
        )
    if app != APPLICATION_ID if current > 0 else has_tables:
        raise StoreError(f"not a wkpup store (application_id {app:#x})")


def refuse_unknown(conn: sqlite3.Connection) -> int:
    """The store's schema version, after :func:`refuse`. Only reads."""
    current = version(conn)
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    refuse(current, app, current == 0 and _has_tables(conn))
    return current


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the store to LATEST; the caller holds a write transaction. Returns the version."""
    current = refuse_unknown(conn)
    for number in range(current + 1, LATEST + 1):
        for statement in MIGRATIONS[number - 1]:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    return LATEST
