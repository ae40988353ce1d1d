"""Malformed-input corpus, part B: ``wkpup import`` (backups, bare creports, --config), the
result parsers, store files given as ``--db`` / ``--pvt-db``, and ``export`` of odd stored data.

Every backup here is a copy of the real one (tests/data) made in tmp at test time and
then corrupted one way. Each hostile import must give exit 2 (3: path not found), one stderr
line naming the problem and what is allowed, no traceback, no store created, and an existing
store left byte for byte as it was. Most cases call the CLI in-process (``main``); the ones
where a hang or a crash is the point (FIFOs, devices) run ``wkpup`` as a subprocess.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from coreutil import FIXTURE_BKP

from tests.hostile import REPO, Outcome, assert_one_line_error, snapshot, wkpup
from wkpup_harness.cli.main import main
from wkpup_harness.errors import ResultError
from wkpup_harness.results import MAX_RESULT_BYTES, read_mt0
from wkpup_harness.store import db
from wkpup_harness.store.importer import import_backup

STAMP = "00bkp_202510301443"
CREPORT = Path("report") / "creport.txt"
REPORT_85 = Path("report") / "report_TT_typical_85_v1nom_v2nom.txt"
ROW1 = 10  # index of the first data row (line 11) in the creport's lines


# --- helpers ---------------------------------------------------------------------------------
def lines_of(bkp: Path, rel: Path = CREPORT) -> list[str]:
    return (bkp / rel).read_text(encoding="ascii").split("\n")


def write_lines(bkp: Path, lines: list[str], rel: Path = CREPORT) -> None:
    (bkp / rel).write_text("\n".join(lines), encoding="ascii")


def edit_row(index: int, change: Callable[[list[str]], None]) -> Callable[[Path], None]:
    """A mutation of one creport data row (``index`` 0 is line 11), split on tabs."""

    def mutate(bkp: Path) -> None:
        lines = lines_of(bkp)
        fields = lines[ROW1 + index].split("\t")
        change(fields)
        lines[ROW1 + index] = "\t".join(fields)
        write_lines(bkp, lines)

    return mutate


def set_field(index: int, column: int, value: str) -> Callable[[Path], None]:
    def change(fields: list[str]) -> None:
        fields[column] = value

    return edit_row(index, change)


def edit_bytes(rel: Path, change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def mutate(bkp: Path) -> None:
        (bkp / rel).write_bytes(change((bkp / rel).read_bytes()))

    return mutate


def also_report(index: int, column: int, value: str) -> Callable[[Path], None]:
    """Change a value in the creport row and in its report file alike (so only the creport
    check can refuse it), the report found by the row's point name."""

    def mutate(bkp: Path) -> None:
        lines = lines_of(bkp)
        fields = lines[ROW1 + index].split("\t")
        stem = f"{fields[0]}_{fields[1]}_{'m40' if fields[2] == '-40' else fields[2]}"
        stem += f"_v1{fields[3]}_v2{fields[4]}"
        set_field(index, column, value)(bkp)
        rel = Path("report") / f"report_{stem}.txt"
        rl = lines_of(bkp, rel)
        cells = rl[1].split("\t")
        cells[column - 5] = value
        rl[1] = "\t".join(cells)
        write_lines(bkp, rl, rel)

    return mutate


def drop_values(n: int) -> Callable[[list[str]], None]:
    def change(fields: list[str]) -> None:
        values = [f for f in fields[5:] if f]
        fields[5:] = values[:-n]

    return change


def keep_lines(n: int) -> Callable[[Path], None]:
    return lambda bkp: write_lines(bkp, [*lines_of(bkp)[:n], ""])


def cut_mid_row(bkp: Path) -> None:
    text = (bkp / CREPORT).read_text()
    start = text.index("\n", len(text) // 2) + 1
    (bkp / CREPORT).write_text(text[: start + 40])


def duplicate_row(bkp: Path) -> None:
    lines = lines_of(bkp)
    write_lines(bkp, [*lines[: ROW1 + 1], lines[ROW1], *lines[ROW1 + 1 :]])


def symlink(rel: str, target: str) -> Callable[[Path], None]:
    def mutate(bkp: Path) -> None:
        path = bkp / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)

    return mutate


def fifo(rel: str) -> Callable[[Path], None]:
    def mutate(bkp: Path) -> None:
        path = bkp / rel
        if path.exists():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)

    return mutate


def sparse(rel: str | Path, size: int) -> Callable[[Path], None]:
    def mutate(bkp: Path) -> None:
        with open(bkp / rel, "r+b") as f:
            f.truncate(size)

    return mutate


def big_log(bkp: Path) -> None:
    with open(bkp / "simulation.log", "wb") as f:
        f.truncate(300 << 20)  # sparse: no disk used


def report_value(stem: str, index: int, value: str) -> Callable[[Path], None]:
    rel = Path("report") / f"report_{stem}.txt"

    def mutate(bkp: Path) -> None:
        rl = lines_of(bkp, rel)
        cells = rl[1].split("\t")
        cells[index] = value
        rl[1] = "\t".join(cells)
        write_lines(bkp, rl, rel)

    return mutate


def report_lines(stem: str, change: Callable[[list[str]], list[str]]) -> Callable[[Path], None]:
    rel = Path("report") / f"report_{stem}.txt"
    return lambda bkp: write_lines(bkp, change(lines_of(bkp, rel)), rel)


def rename(src: str, dst: str) -> Callable[[Path], None]:
    return lambda bkp: (bkp / src).rename(bkp / dst)


def remove(rel: str) -> Callable[[Path], None]:
    return lambda bkp: (bkp / rel).unlink()


# --- the corpus: (id, mutation of the backup copy, words the one error line must hold) --------
TT85 = "TT_typical_85_v1nom_v2nom"
BACKUP_CASES: list[tuple[str, Callable[[Path], None], tuple[str, ...]]] = [
    # rows and cells
    ("truncated-row", edit_row(0, drop_values(3)), ("creport.txt:11", "truncated row", "allowed")),
    ("truncated-file", cut_mid_row, ("creport.txt:", "truncated row")),
    ("garbled-cell", also_report(0, 6, "1.2.3e"), ("creport.txt:11", "garbled cell", "ioh")),
    ("garbled-word", also_report(1, 7, "abc"), ("creport.txt:12", "garbled", "'abc'")),
    ("empty-middle-cell", also_report(2, 8, ""), ("creport.txt:13", "garbled cell ''")),
    ("inf-cell", also_report(3, 5, "inf"), ("creport.txt:14", "'inf'", "finite number")),
    ("nan-cell", also_report(3, 5, "nan"), ("creport.txt:14", "'nan'", "finite number")),
    ("1e999-cell", also_report(4, 5, "1e999"), ("creport.txt:15", "1e999", "not a finite")),
    ("-1e999-cell", also_report(4, 9, "-1e999"), ("creport.txt:15", "-1e999", "not a finite")),
    ("sign-garble", also_report(5, 5, "+-1"), ("creport.txt:16", "garbled cell")),
    ("extra-values", edit_row(0, lambda f: f.__setitem__(slice(5, 5), ["1"])), ("values for",)),
    ("nul-byte", edit_bytes(CREPORT, lambda b: b.replace(b"e-04", b"e\0-04", 1)), ("NUL",)),
    ("undecodable", edit_bytes(CREPORT, lambda b: b.replace(b"min", b"m\xffn", 1)), ("non-ASCII",)),
    ("utf8-text", edit_bytes(CREPORT, lambda b: b.replace(b"TT", "TŤ".encode(), 1)), ("0xc5",)),
    (
        "crlf",
        edit_bytes(CREPORT, lambda b: b.replace(b"\n", b"\r\n")),
        ("creport.txt:1", "control character 0x0d"),
    ),
    ("escape-char", edit_bytes(CREPORT, lambda b: b.replace(b"ioh", b"i\x1boh", 1)), ("control",)),
    # points
    ("temperature-50", also_report(0, 2, "50"), ("creport.txt:11", "temperature 50", "-40")),
    ("temperature-word", set_field(0, 2, "hot"), ("creport.txt:11", "'hot'", "not an integer")),
    ("temperature-5000-digits", set_field(0, 2, "9" * 5000), ("not an integer", "characters")),
    ("corner-traversal", set_field(0, 0, "../../etc"), ("'../../etc'", "corner table", "TT")),
    ("corner-unknown", set_field(0, 0, "XX"), ("corner 'XX'", "allowed", "FFG")),
    ("corner-empty", set_field(0, 0, ""), ("corner ''",)),
    ("extraction-unknown", set_field(0, 1, "typo"), ("extraction 'typo'", "typical")),
    ("level-unknown", set_field(0, 3, "mid"), ("level 'mid'", "min, nom, max")),
    ("short-row", edit_row(0, lambda f: f.__delitem__(slice(2, None))), ("short row",)),
    ("duplicated-point", duplicate_row, ("creport.txt:12", "duplicated point", "line 11")),
    ("header-without-rows", keep_lines(10), ("creport.txt:10", "header without rows")),
    # header
    ("no-table", keep_lines(5), ("creport.txt", "lines")),
    ("empty-creport", lambda b: (b / CREPORT).write_bytes(b""), ("creport.txt", "0 lines")),
    ("supply-line", edit_bytes(CREPORT, lambda b: b.replace(b"v2: ", b"v2 ", 1)), (":3", "key")),
    ("supply-key-twice", edit_bytes(CREPORT, lambda b: b.replace(b"v3:", b"v2:", 1)), ("v2",)),
    ("line-9-not-empty", edit_bytes(CREPORT, lambda b: b.replace(b"\n\n", b"\nx\n", 1)), (":9",)),
    ("header-columns", edit_bytes(CREPORT, lambda b: b.replace(b"process", b"proc", 1)), (":10",)),
    ("no-level-column", edit_bytes(CREPORT, lambda b: b.replace(b"\tv1\t", b"\tx\t", 1)), ("v1",)),
    ("name-twice", edit_bytes(CREPORT, lambda b: b.replace(b"\tioh0\t", b"\tioh\t", 1)), ("dup",)),
    # files of the backup
    ("creport-missing", remove(str(CREPORT)), ("creport.txt not found",)),
    ("creport-directory", lambda b: ((b / CREPORT).unlink(), (b / CREPORT).mkdir()), ("direct",)),
    ("creport-oversize", sparse(CREPORT, MAX_RESULT_BYTES + 1), ("bytes", "limit")),
    ("creport-symlink-out", symlink(str(CREPORT), "/etc/passwd"), ("symlink", "out of the backup")),
    ("report-dir-symlink-out", symlink("report", "/etc"), ("symlink", "/etc")),
    ("tb-symlink-out", symlink("tb_bkp/typical_m40/x.sp", "/etc/passwd"), ("symlink",)),
    ("dotdot-symlink", symlink("tb_bkp/up", "../.."), ("symlink", "'../..'")),
    ("dangling-symlink", symlink("simulation.log", "nowhere"), ("symlink",)),
    ("fifo-in-waveforms", fifo("compiled_waveform/sim_tx.tr0"), ("FIFO", "regular files")),
    ("fifo-as-report", fifo(f"report/report_{TT85}.txt"), ("FIFO",)),
    ("fifo-as-log", fifo("simulation.log"), ("FIFO",)),
    ("log-is-a-directory", lambda b: (b / "simulation.log").mkdir(), ("simulation.log",)),
    ("log-oversize", lambda b: big_log(b), ("simulation log", "limit")),
    # reports against the creport
    ("report-disagrees", report_value(TT85, 0, "1.00000000e+00"), ("disagrees", "ioh_0")),
    (
        "report-extra-point",
        rename(f"report/report_{TT85}.txt", "report/report_TT_typical_85_v1max_v2max.txt"),
        ("no row of creport.txt",),
    ),
    ("report-missing", remove(f"report/report_{TT85}.txt"), ("no report_", TT85)),
    (
        "report-names",
        report_lines(TT85, lambda rl: [rl[0].replace("ioh0", "xx"), *rl[1:]]),
        ("names differ",),
    ),
    ("report-extra-line", report_lines(TT85, lambda rl: [*rl[:2], rl[1], ""]), ("value lines",)),
    (
        "report-temp-50",
        rename(f"report/report_{TT85}.txt", "report/report_TT_typical_50_v1nom_v2nom.txt"),
        ("temperature token",),
    ),
    ("report-bad-name", rename(f"report/report_{TT85}.txt", "report/report_TT.txt"), ("v1",)),
    ("report-nul", edit_bytes(REPORT_85, lambda b: b.replace(b"\t", b"\0", 1)), ("NUL",)),
    ("report-latin1", edit_bytes(REPORT_85, lambda b: b"\xb5" + b), ("non-ASCII",)),
    (
        "report-too-many",
        report_lines(TT85, lambda rl: [rl[0], rl[1] + "\t1" * 200, ""]),
        ("values for",),
    ),
    ("report-empty-header", report_lines(TT85, lambda rl: ["\t\t", *rl[1:]]), ("empty header",)),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the real backup for the module: each test copies it again to corrupt."""
    root = tmp_path_factory.mktemp("pristine")
    target = root / "site" / "gpio" / STAMP
    shutil.copytree(FIXTURE_BKP, target)
    return target


@pytest.fixture(scope="module")
def existing(tmp_path_factory: pytest.TempPathFactory, pristine: Path) -> Path:
    """A store that already holds the real backup: refused imports must leave it as is."""
    path = tmp_path_factory.mktemp("existing") / "wkpup.db"
    conn = db.connect(path)
    import_backup(conn, pristine)
    conn.close()
    assert not Path(f"{path}-wal").exists()
    return path


def fingerprint(store: Path) -> tuple[str, list[str], int]:
    """The store's bytes, the files beside it and its row count (read without writing)."""
    digest = hashlib.sha256(store.read_bytes()).hexdigest()
    ro = sqlite3.connect(f"{store.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        rows = ro.execute(
            "SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM measurements)"
        )
        count = rows.fetchone()[0]
    finally:
        ro.close()
    return digest, sorted(p.name for p in store.parent.iterdir()), count


def backup_copy(pristine: Path, tmp_path: Path) -> Path:
    bkp = tmp_path / "site" / "gpio" / STAMP
    shutil.copytree(pristine, bkp, symlinks=True)
    return bkp


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return Outcome(code, out, err)


def refused_everywhere(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    existing: Path,
    argv: list[str],
    code: int,
    words: tuple[str, ...],
    *,
    subprocess: bool = False,
) -> str:
    """``wkpup import <argv>`` into a new store and into ``existing``: refused both times
    with one line, no store created, the existing one unchanged. Returns the line."""
    fresh = tmp_path / "store" / "wkpup.db"
    before_tree = snapshot(tmp_path)
    before_store = fingerprint(existing)
    lines = []
    for store in (fresh, existing):
        args = ["--db", str(store), "import", *argv]
        outcome = wkpup(*args, cwd=tmp_path, timeout=30) if subprocess else cli(capsys, *args)
        lines.append(assert_one_line_error(outcome, code, *words))
    assert snapshot(tmp_path) == before_tree, "something was created"
    assert not fresh.parent.exists()
    assert fingerprint(existing) == before_store, "the existing store changed"
    assert lines[0] == lines[1]
    return lines[0]


# --- the tests -------------------------------------------------------------------------------
def test_the_real_backup_still_imports(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pristine: Path
) -> None:
    """The control: the uncorrupted copy imports as before (92 points, 11 measurements)."""
    bkp = backup_copy(pristine, tmp_path)
    store = tmp_path / "s.db"
    outcome = cli(capsys, "--db", str(store), "import", str(bkp))
    assert outcome.code == 0 and "92 points, 0 failed" in outcome.out, outcome
    conn = db.connect(store)
    assert conn.execute("SELECT count(*) FROM measurements").fetchone()[0] == 92 * 11
    conn.close()


# A loose creport.txt (outside any backup) goes through the same checks.
BARE_CASES = [
    ("bare-temperature-50", set_field(0, 2, "50"), ("temperature 50",)),
    ("bare-corner-traversal", set_field(0, 0, "../../etc"), ("corner '../../etc'",)),
    ("bare-duplicate", duplicate_row, ("duplicated point",)),
    ("bare-header-only", keep_lines(10), ("header without rows",)),
    ("bare-1e999", set_field(0, 5, "1e999"), ("1e999",)),
]
ALL_CASES = [(*c, False) for c in BACKUP_CASES] + [(*c, True) for c in BARE_CASES]


@pytest.mark.parametrize(
    ("mutate", "words", "bare"), [c[1:] for c in ALL_CASES], ids=[c[0] for c in ALL_CASES]
)
def test_hostile_backup_is_refused_whole(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    pristine: Path,
    existing: Path,
    mutate: Callable[[Path], None],
    words: tuple[str, ...],
    bare: bool,
) -> None:
    if bare:
        bkp = tmp_path / "loose"
        (bkp / "report").mkdir(parents=True)
        shutil.copy(pristine / CREPORT, bkp / CREPORT)
    else:
        bkp = backup_copy(pristine, tmp_path)
    mutate(bkp)
    # FIFOs: a subprocess, so that a reader that would block shows as a timeout.
    has_fifo = any(p.is_fifo() for p in bkp.rglob("*") if not p.is_symlink())
    target = bkp / CREPORT if bare else bkp
    refused_everywhere(
        capsys, tmp_path, existing, [str(target)], 2, ("wkpup: error:", *words), subprocess=has_fifo
    )


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def big(path: Path) -> Path:
    with open(path, "wb") as f:
        f.truncate(5 * 1024 * 1024)
    return path


ARG_CASES: list[tuple[str, Callable[[Path, Path], list[str]], int, tuple[str, ...]]] = [
    ("path-missing", lambda t, b: [str(t / "nope")], 3, ("no such backup",)),
    ("not-a-backup-dir", lambda t, b: [str(b.parent)], 2, ("00bkp_<YYYYMMDDHHMM>",)),
    (
        "bad-stamp",
        lambda t, b: [str(b.rename(b.with_name("00bkp_202513991499")))],
        2,
        ("not a valid YYYYMMDDHHMM",),
    ),
    ("creport-is-fifo", lambda t, b: [str(make_fifo(t / "creport.txt"))], 2, ("not a regular",)),
    ("creport-is-dev-zero", lambda t, b: ["/dev/zero"], 2, ("not a regular",)),
    (
        "config-fifo",
        lambda t, b: [str(b), "--config", str(make_fifo(t / "c.cfg"))],
        2,
        ("c.cfg", "not a regular file"),
    ),
    ("config-dev-zero", lambda t, b: [str(b), "--config", "/dev/zero"], 2, ("/dev/zero",)),
    ("config-directory", lambda t, b: [str(b), "--config", str(t)], 2, ("is a directory",)),
    ("config-missing", lambda t, b: [str(b), "--config", str(t / "no.cfg")], 2, ("no such",)),
    ("config-nul", lambda t, b: [str(b), "--config", str(nul_config(t))], 2, (":2", "NUL")),
    ("path-5000-chars", lambda t, b: ["p" * 5000], 3, ("(5000 characters)", "no such backup")),
    ("config-5000-chars", lambda t, b: [str(b), "--config", "c" * 5000], 2, ("too long",)),
    ("domain-newline", lambda t, b: [str(b), "--domain", "gpio\nx: y"], 2, ("--domain", "\\n")),
    ("domain-escape", lambda t, b: [str(b), "--domain", "\x1b[31mred"], 2, ("printable",)),
    ("name-huge", lambda t, b: [str(b), "--name", "n" * 100000], 2, ("100000 characters",)),
    ("name-empty", lambda t, b: [str(b), "--name", ""], 2, ("--name", "1 to 200")),
    (
        "config-oversize",
        lambda t, b: [str(b), "--config", str(big(t / "big.cfg"))],
        2,
        ("big.cfg", "limit"),
    ),
]


def nul_config(tmp: Path) -> Path:
    path = tmp / "nul.cfg"
    path.write_bytes(b"mode:prelay\nvccn:1p1v\0\n")
    return path


@pytest.mark.parametrize(
    ("argv", "code", "words"), [c[1:] for c in ARG_CASES], ids=[c[0] for c in ARG_CASES]
)
def test_hostile_import_arguments(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    pristine: Path,
    existing: Path,
    argv: Callable[[Path, Path], list[str]],
    code: int,
    words: tuple[str, ...],
) -> None:
    """Paths and --config files (FIFOs and devices through a real ``wkpup import`` process,
    where a hang would show)."""
    work = tmp_path / "work"
    work.mkdir()
    bkp = backup_copy(pristine, work)
    args = argv(work, bkp)
    special = any(p.startswith("/dev/") or (len(p) < 256 and Path(p).is_fifo()) for p in args)
    refused_everywhere(capsys, tmp_path, existing, args, code, words, subprocess=special)


# --- store files as --db / --pvt-db ---------------------------------------------------------
def sql_store(name: str, statement: str, *, copy: bool) -> Callable[[Path, Path], Path]:
    """A store file made by one SQL statement, on a copy of the existing store or a new file."""

    def make(tmp: Path, existing: Path) -> Path:
        path = tmp / name
        if copy:
            shutil.copy(existing, path)
        conn = sqlite3.connect(path)
        conn.execute(statement)
        conn.commit()
        conn.close()
        return path

    return make


newer_store = sql_store("newer.db", "PRAGMA user_version = 99", copy=True)
foreign_store = sql_store("other.db", "CREATE TABLE t (x)", copy=False)


def text_file(tmp: Path, existing: Path) -> Path:
    path = tmp / "notes.db"
    path.write_text("this is not a database\n" * 100)
    return path


def truncated_store(tmp: Path, existing: Path) -> Path:
    path = tmp / "cut.db"
    path.write_bytes(existing.read_bytes()[:100])
    return path


def dir_store(tmp: Path, existing: Path) -> Path:
    path = tmp / "dir.db"
    path.mkdir()
    return path


def fifo_store(tmp: Path, existing: Path) -> Path:
    return make_fifo(tmp / "fifo.db")


STORE_CASES = [
    ("newer-schema", newer_store, ("schema version 99", "knows (")),
    ("foreign-sqlite", foreign_store, ("not a wkpup store",)),
    ("text-file", text_file, ("not a wkpup store", "notes.db")),
    ("truncated-store", truncated_store, ("cut.db",)),
    ("directory", dir_store, ("directory",)),
    ("fifo", fifo_store, ("not a regular file",)),
]


@pytest.mark.parametrize(
    ("make", "words"), [c[1:] for c in STORE_CASES], ids=[c[0] for c in STORE_CASES]
)
@pytest.mark.parametrize("command", ["history", "import"])
def test_hostile_store_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    pristine: Path,
    existing: Path,
    make: Callable[[Path, Path], Path],
    words: tuple[str, ...],
    command: str,
) -> None:
    """``wkpup --db <not a store>``: one line naming the file, exit 2, the file unchanged."""
    store = make(tmp_path, existing)
    before = snapshot(tmp_path)
    data = store.read_bytes() if store.is_file() else None
    argv = ["--db", str(store), command] + ([str(pristine)] if command == "import" else [])
    special = store.is_fifo()
    outcome = wkpup(*argv, cwd=tmp_path, timeout=30) if special else cli(capsys, *argv)
    assert_one_line_error(outcome, 2, "wkpup: error:", *words)
    assert snapshot(tmp_path) == before
    if data is not None:
        assert store.read_bytes() == data


def test_store_in_an_unwritable_place(tmp_path: Path, pristine: Path) -> None:
    """A store that cannot be created (/proc takes no new file, even for root)."""
    outcome = wkpup("--db", "/proc/wkpup-test.db", "import", str(pristine), cwd=tmp_path)
    assert_one_line_error(outcome, 2, "/proc/wkpup-test.db", "cannot open the store")


@pytest.mark.parametrize(("make", "words"), [(text_file, ("not a wkpup store",)),
                                              (newer_store, ("schema version 99",))])  # fmt: skip
def test_pvt_db_not_a_store_is_a_usage_error(
    tmp_path: Path, existing: Path, make: Callable[[Path, Path], Path], words: tuple[str, ...]
) -> None:
    """``pytest --pvt-db <not a store>``: pytest's usage error (exit 4), one line, before
    any item runs: no simulation, no run directory, the file unchanged."""
    import sys

    from tests.hostile import run

    store = make(tmp_path, existing)
    data = store.read_bytes()
    before = snapshot(tmp_path)
    outcome = run(
        [sys.executable, "-m", "pytest", str(REPO / "regression" / "gpio" / "wkpup_1p8v.yaml"),
         "-p", "no:cacheprovider", "-q", "-k", "smoke", "--pvt-db", str(store),
         "--pvt-runs", str(tmp_path / "runs")],
        REPO,
    )  # fmt: skip
    err = Outcome(outcome.code, "", outcome.err)
    assert_one_line_error(err, 4, "ERROR: --pvt-db", str(store), *words)
    assert snapshot(tmp_path) == before and store.read_bytes() == data


# --- export of odd data already stored (a store from before imports were checked) -----------
ODD = [
    ("inf", "UPDATE measurements SET value = 9e999, raw = '1e999' WHERE seq = 0 AND name = 'ioh'"),
    ("-inf", "UPDATE measurements SET value = -9e999, raw = '-1e999' WHERE seq = 1"),
    (
        "raw-markup",
        "UPDATE measurements SET value = NULL, raw = '<script>x</script>' WHERE seq = 2",
    ),
    (
        "raw-control",
        "UPDATE measurements SET value = NULL, raw = 'a' || char(0, 10, 27) || 'b'"
        " WHERE seq = 3 AND name = 'ioh0'",
    ),
    ("corner-markup", "UPDATE points SET corner = '<b>x</b>&' WHERE seq = 4"),
    ("seq-gap", "DELETE FROM points WHERE seq = 5"),
]


@pytest.mark.parametrize("sql", [c[1] for c in ODD], ids=[c[0] for c in ODD])
def test_export_renders_odd_stored_data(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, existing: Path, sql: str
) -> None:
    store = tmp_path / "odd.db"
    shutil.copy(existing, store)
    conn = sqlite3.connect(store)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(sql)
    conn.commit()
    conn.close()
    html_file, csv_file = tmp_path / "r.html", tmp_path / "r.csv"
    for flag, target in (("--html", html_file), ("--csv", csv_file)):
        outcome = cli(capsys, "--db", str(store), "export", "1", flag, str(target))
        assert outcome.code == 0 and outcome.err == "", outcome
    page = html_file.read_text(encoding="utf-8")
    table = csv_file.read_text(encoding="utf-8")
    assert "<script>x" not in page and "<b>x</b>" not in page
    figures = page.split("var figs=", 1)[1].split(";for(var id", 1)[0]
    assert "Infinity" not in figures and "NaN" not in figures  # a gap, never a bad number
    assert "\0" not in table and "\x1b" not in table
    rows = table.splitlines()
    assert all(r.count(",") >= 9 for r in rows[1:])
    for row in rows[1:]:
        value = row.split(",")[-2]
        assert value in ("",) or abs(float(value)) < float("inf"), row


# --- output paths: only ever a regular file is replaced ----------------------------------------
def _fifo_target(tmp: Path) -> Path:
    return make_fifo(tmp / "out.fifo")


def _dir_target(tmp: Path) -> Path:
    (tmp / "outdir").mkdir()
    return tmp / "outdir"


def _device_target(tmp: Path) -> Path:
    """A character device of our own (as /dev/null is): needs root, else a FIFO again."""
    if os.geteuid() != 0:
        return _fifo_target(tmp)
    os.mknod(tmp / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return tmp / "null"


OUT_TARGETS = {"fifo": _fifo_target, "directory": _dir_target, "device": _device_target}
OUT_COMMANDS = {
    "export-csv": ["export", "1", "--csv"],
    "export-html": ["export", "1", "--html"],
    "db-backup": ["db", "backup"],
}


@pytest.mark.parametrize("target", sorted(OUT_TARGETS))
@pytest.mark.parametrize("command", sorted(OUT_COMMANDS))
def test_output_to_a_non_regular_file_is_refused_and_left_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, existing: Path, command: str, target: str
) -> None:
    """`export --csv /dev/full` once replaced the device with a regular file (as root)."""
    store = tmp_path / "s.db"
    shutil.copy(existing, store)
    path = OUT_TARGETS[target](tmp_path)
    mode = path.stat().st_mode
    before = snapshot(tmp_path)
    outcome = cli(capsys, "--db", str(store), *OUT_COMMANDS[command], str(path))
    assert_one_line_error(outcome, 2, str(path), "not a regular file")
    assert path.stat().st_mode == mode
    beside_store = {"s.db-wal", "s.db-shm"}  # the store opened to read the job
    assert snapshot(tmp_path) - beside_store == before


def test_output_through_a_link_writes_where_it_leads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, existing: Path
) -> None:
    store = tmp_path / "s.db"
    shutil.copy(existing, store)
    (tmp_path / "real.csv").write_text("old\n")
    (tmp_path / "link.csv").symlink_to(tmp_path / "real.csv")
    outcome = cli(capsys, "--db", str(store), "export", "1", "--csv", str(tmp_path / "link.csv"))
    assert outcome.code == 0, outcome
    assert (tmp_path / "link.csv").is_symlink()
    assert (tmp_path / "real.csv").read_text().startswith("corner,extraction,")
    assert {p.name for p in tmp_path.iterdir()} - {"s.db-wal", "s.db-shm"} == {
        "link.csv",
        "real.csv",
        "s.db",
    }


# --- .mt0 files (read_mt0: the same file rules as every result file) ---------------------------
MT0 = (
    "$DATA1 SOURCE='ngspice' VERSION='45' PARAM_COUNT=0\n.TITLE 'fmax'\n"
    "ioh  vwkp  temper  alter#\n-1.3e-04  9.8e-01  -4.0e+01  1.0e+00\n"
)
MT0_CASES = [
    ("mt0-nul", MT0.replace("9.8e-01", "9.8\0e-01").encode(), ("sim_tx.mt0:4", "NUL")),
    ("mt0-latin1", MT0.encode() + b"\xb5\n", ("sim_tx.mt0:5", "non-ASCII")),
    ("mt0-truncated", MT0[:-12].encode(), ("sim_tx.mt0:4", "3 values for 4 names")),
    ("mt0-no-values", MT0.rsplit("\n", 2)[0].encode() + b"\n", ("3 lines",)),
    ("mt0-crlf", MT0.replace("\n", "\r\n").encode(), ("sim_tx.mt0:1", "control character 0x0d")),
]


@pytest.mark.parametrize(
    ("data", "words"), [c[1:] for c in MT0_CASES], ids=[c[0] for c in MT0_CASES]
)
def test_hostile_mt0(tmp_path: Path, data: bytes, words: tuple[str, ...]) -> None:
    path = tmp_path / "sim_tx.mt0"
    path.write_bytes(data)
    with pytest.raises(ResultError) as info:
        read_mt0(path)
    line = str(info.value)
    assert "\n" not in line and len(line) < 400
    for w in words:
        assert w in line, line


def test_mt0_fifo_does_not_hang(tmp_path: Path) -> None:
    path = make_fifo(tmp_path / "sim_tx.mt0")
    with pytest.raises(ResultError, match="not a regular file"):
        read_mt0(path)


# --- run-log status lines (results.runlog: what is not a status line is passed over) --------
GOOD_STATUS = "TT typical m40 v1min_v2max Done 1.25s"
RUNLOG_CASES = [
    ("elapsed-two-dots", "TT typical m40 v1min_v2max Done 1.2.3s"),
    ("elapsed-huge", "TT typical m40 v1min_v2max Done " + "9" * 400 + "s"),
    ("temperature-50", "TT typical 50 v1min_v2max Done 1.00s"),
    ("vt-gap", "TT typical m40 v1min_v3max Done 1.00s"),
    ("nul-in-vt", "TT typical m40 v1min\0 Done 1.00s"),
    ("half-line", GOOD_STATUS[:20]),
]


@pytest.mark.parametrize("line", [c[1] for c in RUNLOG_CASES], ids=[c[0] for c in RUNLOG_CASES])
def test_hostile_runlog_line_is_passed_over(line: str) -> None:
    from wkpup_harness.results.runlog import parse_point_status

    got = parse_point_status(f"{GOOD_STATUS}\n{line}\n{GOOD_STATUS}\n")
    assert [r.point.name for r in got] == ["TT_typical_m40_v1min_v2max"] * 2
    assert all(r.ok and r.elapsed == 1.25 for r in got)


def test_restore_from_a_file_named_like_a_uri(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, existing: Path
) -> None:
    """``db restore 'b?mode=rwc#x.db'``: the name is a file name, not URI parameters (an
    SQLite URI built by hand would open, and create, a file ``b`` instead)."""
    src = tmp_path / "b?mode=rwc#x.db"
    shutil.copy(existing, src)
    before = snapshot(tmp_path)
    store = tmp_path / "restored.db"
    outcome = cli(capsys, "--db", str(store), "db", "restore", str(src))
    assert outcome.code == 0, outcome
    created = snapshot(tmp_path) - before
    # SQLite's own -wal/-shm beside a WAL-mode source are not ours to judge here.
    assert {c for c in created if not c.endswith(("-wal", "-shm"))} == {"restored.db"}, created
    assert fingerprint(store)[2] == fingerprint(existing)[2]


def test_looking_at_a_store_keeps_this_process_locks(tmp_path: Path, existing: Path) -> None:
    """connect() looks at the file first (check()); with a connection already open in this
    process, that look must not drop its locks: another process closing its own connection
    must not take itself for the last one and delete the WAL under us (a write then lost)."""
    import subprocess
    import sys

    store = tmp_path / "live.db"
    shutil.copy(existing, store)
    first = db.connect(store)
    first.execute("SELECT count(*) FROM jobs").fetchone()
    db.connect(store).close()  # the look, and a second connection come and gone
    subprocess.run(
        [sys.executable, "-c", f"import sqlite3; c = sqlite3.connect({str(store)!r}); "
         "c.execute('SELECT count(*) FROM jobs').fetchone(); c.close()"],
        check=True,
    )  # fmt: skip
    assert Path(f"{store}-wal").exists(), "the WAL was deleted while a connection used it"
    with db.write(first):
        first.execute("UPDATE jobs SET name = 'kept' WHERE id = 1")
    first.close()
    check = sqlite3.connect(store)
    assert check.execute("SELECT name FROM jobs WHERE id = 1").fetchone()[0] == "kept"
    check.close()
