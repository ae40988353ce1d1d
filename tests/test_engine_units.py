"""Engine units without a simulator: the machine-wide CPU budget (flock'd slot files, shared
across processes), the reaper (processes found by WKPUP_JOB_TOKEN, the watchdog that kills
them when the driver dies), the PVT point type, and spec verdicts over a creport."""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wkpup_harness.engine.budget import Budget, Cancelled
from wkpup_harness.engine.reaper import TOKEN_ENV, Watchdog, kill_token, processes_with_token
from wkpup_harness.errors import WkpupError
from wkpup_harness.points import Point, label, levels_of, temp_token, vt_token
from wkpup_harness.results import parse_creport, spec

REPO = Path(__file__).resolve().parents[1]
WAIT_S = 5.0


def wait_until(predicate: Callable[[], object], timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, ppid) of a process, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    rest = stat[stat.rfind(b")") + 2 :].split()
    return rest[0].decode(), int(rest[1])


def alive(pid: int) -> bool:
    st_ = proc_stat(pid)
    return st_ is not None and st_[0] not in ("Z", "X")


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def new_token() -> str:
    return f"wkpup-test-{secrets.token_hex(8)}"


def marked(token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    env[TOKEN_ENV] = token
    return env


@pytest.fixture
def procs() -> Iterator[tuple[list[subprocess.Popen], list[str]]]:
    """Processes and tokens to clean up whatever the test did."""
    started: list[subprocess.Popen] = []
    tokens: list[str] = []
    yield started, tokens
    for token in tokens:
        for pid in processes_with_token(token):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    for p in started:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=WAIT_S)
        for stream in (p.stdin, p.stdout):
            if stream is not None:
                stream.close()


# === budget ==================================================================================
@pytest.mark.parametrize("slots", [0, -1, True, False, 1.0, "2", None])
def test_budget_refuses_bad_slot_counts(tmp_path: Path, slots: object) -> None:
    with pytest.raises(WkpupError) as info:
        Budget(slots, tmp_path)  # type: ignore[arg-type]
    assert str(info.value) == f"CPU budget {slots!r}: expected a whole number >= 1"


def test_budget_env(tmp_path: Path) -> None:
    assert Budget(3, tmp_path / "s").env() == {
        "PAIHO_SLOT_DIR": str(tmp_path / "s"),
        "PAIHO_SLOTS": "3",
        "PAIHO_JOBS": "3",
    }
    assert Budget(1, tmp_path).env()["PAIHO_JOBS"] == "1"


def test_slot_makes_a_private_directory(tmp_path: Path) -> None:
    d = tmp_path / "a" / "slots"
    with Budget(2, d).slot() as i:
        assert i == 0
        assert d.stat().st_mode & 0o777 == 0o700
        # the slot taken, and the queue waiters line up on (as in the core's run stage)
        assert sorted(p.name for p in d.iterdir()) == ["queue", "slot.0"]
        assert (d / "slot.0").stat().st_mode & 0o777 == 0o600


def test_two_slots_held_then_a_third_is_cancelled(tmp_path: Path) -> None:
    budget = Budget(2, tmp_path)
    cancel = threading.Event()
    cancel.set()
    with budget.slot() as a, budget.slot() as b:
        assert (a, b) == (0, 1)
        started = time.monotonic()
        with (
            pytest.raises(Cancelled, match="cancelled while waiting for a CPU slot"),
            budget.slot(cancel=cancel),
        ):
            pytest.fail("got a third slot of two")
        assert time.monotonic() - started < 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queue", "slot.0", "slot.1"]
    # both released: a set cancel does not stop taking a free slot
    with budget.slot(cancel=cancel) as again:
        assert again == 0


def test_the_lowest_free_slot_is_taken(tmp_path: Path) -> None:
    budget = Budget(3, tmp_path)
    first = budget.slot()
    assert first.__enter__() == 0
    with budget.slot() as second:
        assert second == 1
        first.__exit__(None, None, None)
        with budget.slot() as third, budget.slot() as fourth:
            assert (third, fourth) == (0, 2)


def test_slot_is_released_when_the_body_raises(tmp_path: Path) -> None:
    budget = Budget(1, tmp_path)
    with pytest.raises(RuntimeError), budget.slot():
        raise RuntimeError("boom")
    cancel = threading.Event()
    cancel.set()
    with budget.slot(cancel=cancel) as i:
        assert i == 0


def _waiter(budget: Budget, cancel: threading.Event) -> tuple[threading.Thread, dict[str, object]]:
    """A thread waiting for a slot; ``got`` is set once it holds one, then it lets go."""
    out: dict[str, object] = {"got": threading.Event()}

    def run() -> None:
        try:
            with budget.slot(cancel=cancel) as i:
                out["index"] = i
                out["got"].set()  # type: ignore[attr-defined]
        except Cancelled as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_a_waiter_gets_the_slot_when_it_is_released(tmp_path: Path) -> None:
    budget = Budget(1, tmp_path)
    cancel = threading.Event()
    try:
        with budget.slot():
            thread, out = _waiter(budget, cancel)
            assert not out["got"].wait(0.2)  # type: ignore[attr-defined]
        assert out["got"].wait(WAIT_S)  # type: ignore[attr-defined]
        assert out["index"] == 0 and "error" not in out
    finally:
        cancel.set()
        thread.join(WAIT_S)
    assert not thread.is_alive()


def test_cancel_stops_a_wait_in_progress(tmp_path: Path) -> None:
    budget = Budget(1, tmp_path)
    cancel = threading.Event()
    with budget.slot():
        thread, out = _waiter(budget, cancel)
        time.sleep(0.1)
        cancel.set()
        thread.join(WAIT_S)
        assert not thread.is_alive()
    assert isinstance(out["error"], Cancelled) and "index" not in out


HOLDER = textwrap.dedent(
    """
    import fcntl, os, sys
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("held", flush=True)
    sys.stdin.read()
    """
)


@pytest.mark.parametrize("release", ["exit", "kill -9"])
def test_slots_are_shared_across_processes(tmp_path: Path, procs, release: str) -> None:
    started, _ = procs
    slots = tmp_path / "slots"
    slots.mkdir(mode=0o700)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(slots / "slot.0")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    started.append(holder)
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline() == "held\n"
    preset = threading.Event()
    preset.set()
    # slot.0 is the other process's: a budget of 1 has nothing, a budget of 2 gets slot.1
    with pytest.raises(Cancelled), Budget(1, slots).slot(cancel=preset):
        pytest.fail("took a slot another process holds")
    with Budget(2, slots).slot(cancel=preset) as i:
        assert i == 1
    cancel = threading.Event()
    thread, out = _waiter(Budget(1, slots), cancel)
    try:
        assert not out["got"].wait(0.3)  # type: ignore[attr-defined]
        assert holder.poll() is None
        if release == "exit":
            holder.stdin.close()
        else:
            holder.send_signal(signal.SIGKILL)
        assert holder.wait(timeout=WAIT_S) == (0 if release == "exit" else -signal.SIGKILL)
        assert out["got"].wait(WAIT_S), "slot not free after its holder ended"  # type: ignore[attr-defined]
        assert out["index"] == 0
    finally:
        cancel.set()
        thread.join(WAIT_S)


def test_a_held_slot_is_locked_for_other_processes(tmp_path: Path) -> None:
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)\n"
        "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except OSError:\n    sys.exit(3)\n"
    )
    budget = Budget(2, tmp_path)
    with budget.slot() as i:
        assert i == 0
        run = subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path / "slot.0")], timeout=30, check=False
        )
        assert run.returncode == 3
        run = subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path / "slot.1")], timeout=30, check=False
        )
        assert run.returncode == 0


# === reaper ==================================================================================
def start_marked(procs, token: str, argv: list[str]) -> subprocess.Popen:
    started, tokens = procs
    if token not in tokens:
        tokens.append(token)
    p = subprocess.Popen(argv, env=marked(token), stdin=subprocess.DEVNULL)
    started.append(p)
    return p


def job_of_three(procs, token: str) -> tuple[subprocess.Popen, subprocess.Popen, int]:
    """A token-marked sleep, and a bash with a sleep child; the grandchild's pid."""
    sleeper = start_marked(procs, token, ["sleep", "30"])
    shell = start_marked(procs, token, ["bash", "-c", "sleep 30 & wait"])

    def grandchild() -> int | None:
        # The grandchild is a forked bash until it has exec'd sleep; mid-exec its environ reads
        # empty for a moment, so wait until it *is* the sleep.
        found = set(processes_with_token(token)) - {sleeper.pid, shell.pid}
        return found.pop() if len(found) == 1 and comm(next(iter(found))) == "sleep" else None

    assert wait_until(lambda: grandchild() is not None), processes_with_token(token)
    grand = grandchild()
    assert grand is not None
    return sleeper, shell, grand


def test_processes_with_token_finds_children_and_grandchildren(procs) -> None:
    token = new_token()
    stranger = start_marked(procs, token + "x", ["sleep", "30"])  # a longer token is another
    other = start_marked(procs, new_token(), ["sleep", "30"])
    sleeper, shell, grand = job_of_three(procs, token)
    found = processes_with_token(token)
    assert sorted(found) == sorted([sleeper.pid, shell.pid, grand])
    assert proc_stat(grand) is not None and proc_stat(grand)[1] == shell.pid
    assert comm(grand) == "sleep" and comm(sleeper.pid) == "sleep" and comm(shell.pid) == "bash"
    assert stranger.pid not in found and other.pid not in found and os.getpid() not in found
    assert wait_until(lambda: processes_with_token(token + "x") == [stranger.pid])
    assert processes_with_token(new_token()) == []


def test_zombies_are_not_listed(procs) -> None:
    token = new_token()
    sleeper = start_marked(procs, token, ["sleep", "30"])
    assert wait_until(lambda: processes_with_token(token) == [sleeper.pid])
    os.kill(sleeper.pid, signal.SIGKILL)  # not reaped yet: a zombie with the same environ
    assert wait_until(lambda: proc_stat(sleeper.pid) == ("Z", os.getpid()))
    assert processes_with_token(token) == []


def test_kill_token_kills_every_process_of_the_job(procs) -> None:
    token = new_token()
    bystander = start_marked(procs, new_token(), ["sleep", "30"])
    sleeper, shell, grand = job_of_three(procs, token)
    kill_token(token)
    assert wait_until(lambda: processes_with_token(token) == [])
    assert sleeper.wait(timeout=WAIT_S) == -signal.SIGTERM
    assert shell.wait(timeout=WAIT_S) == -signal.SIGTERM
    assert wait_until(lambda: not alive(grand))
    assert bystander.poll() is None and alive(bystander.pid)


def test_kill_token_returns_how_many_were_signalled(procs) -> None:
    token = new_token()
    job_of_three(procs, token)
    assert kill_token(token) == 3


def test_kill_token_sigkills_what_ignores_sigterm(procs) -> None:
    token = new_token()
    stubborn = start_marked(procs, token, ["bash", "-c", "trap '' TERM; exec sleep 30"])
    assert wait_until(lambda: comm(stubborn.pid) == "sleep")  # TERM ignored from here on
    started = time.monotonic()
    assert kill_token(token, grace=0.3) == 1
    assert time.monotonic() - started >= 0.3
    assert stubborn.wait(timeout=WAIT_S) == -signal.SIGKILL
    assert processes_with_token(token) == []


@pytest.mark.parametrize("token", [None, ""])
def test_kill_token_without_a_token_kills_nothing(procs, token: str | None) -> None:
    unmarked = subprocess.Popen(["sleep", "30"], env=marked(""))  # the empty token
    procs[0].append(unmarked)
    assert wait_until(lambda: unmarked.pid in processes_with_token(""))
    assert kill_token(token) == 0
    assert unmarked.poll() is None


def test_watchdog_done_kills_nothing_and_is_not_marked(procs, monkeypatch) -> None:
    token = new_token()
    monkeypatch.setenv(TOKEN_ENV, token)  # a driver that runs inside the job itself
    dog = Watchdog(token, None, None)
    procs[0].append(dog.proc)
    sleeper = start_marked(procs, token, ["sleep", "30"])
    assert wait_until(lambda: "reaper" in Path(f"/proc/{dog.proc.pid}/cmdline").read_text())
    environ = Path(f"/proc/{dog.proc.pid}/environ").read_bytes().split(b"\0")
    assert not [e for e in environ if e.startswith(TOKEN_ENV.encode() + b"=")]
    assert wait_until(lambda: processes_with_token(token) == [sleeper.pid])
    dog.close()
    assert dog.proc.returncode == 0
    dog.close()  # twice is harmless
    time.sleep(0.1)
    assert sleeper.poll() is None and processes_with_token(token) == [sleeper.pid]


DRIVER = textwrap.dedent(
    """
    import os, signal, subprocess, sys
    from wkpup_harness.engine.reaper import TOKEN_ENV, Watchdog

    token, how = sys.argv[1], sys.argv[2]
    dog = Watchdog(token, None, None)
    child = subprocess.Popen(["sleep", "30"], env={**os.environ, TOKEN_ENV: token})
    print(child.pid, dog.proc.pid, flush=True)
    sys.stdin.readline()
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(0)
    """
)


@pytest.mark.parametrize("how", ["kill", "exit"])
def test_watchdog_kills_the_job_when_the_driver_dies(tmp_path: Path, procs, how: str) -> None:
    started, tokens = procs
    token = new_token()
    tokens.append(token)
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    path = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    driver = subprocess.Popen(
        [sys.executable, str(script), token, how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    started.append(driver)
    assert driver.stdout is not None and driver.stdin is not None
    child, dog = map(int, driver.stdout.readline().split())
    try:
        assert wait_until(lambda: processes_with_token(token) == [child])
        assert alive(dog)
        driver.stdin.write("go\n")
        driver.stdin.flush()
        assert driver.wait(timeout=WAIT_S) == (-signal.SIGKILL if how == "kill" else 0)
        assert wait_until(lambda: processes_with_token(token) == [] and not alive(child)), (
            "the driver's simulation outlived it"
        )
        assert wait_until(lambda: not alive(dog)), "the watchdog did not exit"
    finally:
        for pid in (child, dog):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# === points ==================================================================================
@pytest.mark.parametrize(
    ("point", "name", "directory", "label_", "core_line"),
    [
        (
            Point("TT", "typical", "m40", ("min",)),
            "TT_typical_m40_v1min",
            "TT/typical/typical_m40/v1min",
            "TT typical -40C min",
            "TT typical m40 v1min min NA NA",
        ),
        (
            Point("SSG", "cworst", "125", ("max", "nom")),
            "SSG_cworst_125_v1max_v2nom",
            "SSG/cworst/cworst_125/v1max_v2nom",
            "SSG cworst 125C max/nom",
            "SSG cworst 125 v1max_v2nom max nom NA",
        ),
        (
            Point("FFG", "rcbest", "85", ("nom", "min", "max")),
            "FFG_rcbest_85_v1nom_v2min_v3max",
            "FFG/rcbest/rcbest_85/v1nom_v2min_v3max",
            "FFG rcbest 85C nom/min/max",
            "FFG rcbest 85 v1nom_v2min_v3max nom min max",
        ),
    ],
)
def test_point_names(point: Point, name: str, directory: str, label_: str, core_line: str):
    assert point.name == name and point.stem == name
    assert point.directory == directory
    assert point.label == label_
    assert point.vt == name.split("_", 3)[-1]
    assert point.core_line() == core_line
    assert Point.from_vt(point.corner, point.extraction, point.temp_token, point.vt) == point


def test_point_temperature_and_tokens() -> None:
    assert Point("TT", "typical", "m40", ("min",)).temperature == -40
    assert Point("TT", "typical", "100", ("min",)).temperature == 100
    assert [temp_token(t) for t in (-40, 125, 85, 100)] == ["m40", "125", "85", "100"]
    assert vt_token(("min", "max", "nom")) == "v1min_v2max_v3nom"
    assert levels_of("v1nom_v2nom_v3max") == ("nom", "nom", "max")
    assert (
        label("TT", "typical", 125, ["max", None, "min"], "swp02")
        == "TT typical 125C max/min swp02"
    )


@pytest.mark.parametrize(
    "vt",
    [
        "v2min",
        "v1mid",
        "v1min_v3max",
        "v1min_v2max_v2nom",
        "v1min_v2max_v3nom_v4min",
        "v1min_",
        "_v1min",
        "",
        "V1min",
        "v1min v2max",
        "v1minv2max",
        "v1min_v2max\n",
    ],
)
def test_levels_of_refuses(vt: str) -> None:
    with pytest.raises(ValueError, match="not a v1<level>"):
        levels_of(vt)
    with pytest.raises(ValueError):
        Point.from_vt("TT", "typical", "m40", vt)


@given(st.lists(st.sampled_from(["min", "nom", "max"]), min_size=1, max_size=3).map(tuple))
def test_vt_round_trip(levels: tuple[str, ...]) -> None:
    vt = vt_token(levels)
    assert levels_of(vt) == levels
    point = Point.from_vt("TT", "typical", "125", vt)
    assert point.levels == levels and point.vt == vt
    assert point.core_line().split()[-3:] == [*levels, *["NA"] * (3 - len(levels))]


# === spec.verdicts ===========================================================================
HEADER9 = (
    "supply condition\nv1: vcc\nv2: NA\nv3: NA\nvcc none vid: 0.702,0.78,0.8424\n"
    "vccana: 0.715,0.75,0.785\nvccn: 0.99,1.1,1.188\nvcctx: 0.575,0.6,0.625\n\n"
)


def creport(names: list[str], rows: list[list[str]]):
    def pad(fields: list[str]) -> str:
        return "\t".join(fields + [""] * (103 - len(fields)))

    lines = [pad(["process", "extract", "temp", "v1", *names])]
    lines += [pad(r) for r in rows]
    return parse_creport(HEADER9 + "\n".join(lines) + "\n")


LIMITS = spec.parse_spec({"r": {"min": 3000, "max": 20000, "corners": {"SSG": {"max": 25000}}}})


def test_corner_override_is_honoured() -> None:
    report = creport(
        ["r"],
        [
            ["TT", "typical", "-40", "min", "10000"],  # margin 7000
            ["SSG", "typical", "125", "max", "22000"],  # fails [3000, 20000]; SSG: margin 3000
        ],
    )
    assert spec.check(report, LIMITS) == []
    (v,) = spec.verdicts(report, LIMITS)
    assert v == {
        "name": "r",
        "lo": 3000.0,
        "hi": 20000.0,
        "status": "pass",
        "n_points": 2,
        "n_fail": 0,
        "worst_value": 22000.0,
        "worst_seq": 1,
        "verdict": "pass",  # SSG margin 3000 > the near band (5 % of the 3000..25000 span)
        "margin": 3000.0,
    }


def test_the_override_is_for_its_corner_only() -> None:
    report = creport(["r"], [["TT", "typical", "125", "max", "22000"]])
    (v,) = spec.verdicts(report, LIMITS)
    assert (v["status"], v["n_fail"], v["worst_seq"], v["worst_value"]) == ("fail", 1, 0, 22000.0)
    assert spec.margin(LIMITS["r"].for_corner("TT"), 22000.0) == -2000.0
    assert spec.margin(LIMITS["r"].for_corner("SSG"), 22000.0) == 3000.0
    assert LIMITS["r"].corners["SSG"] == spec.Bounds(3000.0, 25000.0)  # min inherited


def test_failed_and_missing_cells_fail_with_minus_infinite_margin() -> None:
    report = creport(
        ["r", "d"],
        [
            ["TT", "typical", "-40", "min", "10000", "1"],
            ["FFG", "typical", "-40", "min", "failed", "2"],
            ["SSG", "typical", "125", "max", "4000"],  # d missing
        ],
    )
    limits = spec.parse_spec({"r": {"min": 3000}, "d": {"max": 5}})
    r, d = spec.verdicts(report, limits)
    assert (r["status"], r["n_points"], r["n_fail"]) == ("fail", 3, 1)
    assert (r["worst_seq"], r["worst_value"]) == (1, None)
    assert (r["lo"], r["hi"]) == (3000.0, None)
    assert (d["status"], d["n_fail"], d["worst_seq"], d["worst_value"]) == ("fail", 1, 2, None)
    assert spec.margin(spec.Bounds(0, 1), None) == -math.inf
    assert spec.margin(spec.Bounds(0, 1), math.nan) == -math.inf


def test_worst_seq_is_the_row_of_the_smallest_margin() -> None:
    values = ["12", "15", "11.5", "19", "10.25"]  # margins to [10, 20]: 2, 5, 1.5, 1, 0.25
    rows = [["TT", "typical", "85", "nom", v] for v in values]
    report = creport(["x"], rows)
    limits = spec.parse_spec({"x": {"min": 10, "max": 20}})
    (v,) = spec.verdicts(report, limits)
    assert (v["status"], v["n_points"], v["worst_seq"], v["worst_value"]) == ("pass", 5, 4, 10.25)
    (v,) = spec.verdicts(creport(["x"], rows[:-1]), limits)
    assert (v["worst_seq"], v["worst_value"]) == (3, 19.0)


def test_ties_and_exact_bounds() -> None:
    rows = [["TT", "typical", "85", "nom", v] for v in ("15", "20", "10", "20")]
    (v,) = spec.verdicts(creport(["x"], rows), spec.parse_spec({"x": {"min": 10, "max": 20}}))
    # a value on a bound passes with margin 0; the first of equal margins is the worst
    assert (v["status"], v["n_fail"], v["worst_seq"], v["worst_value"]) == ("pass", 0, 1, 20.0)
    rows.append(["TT", "typical", "85", "nom", "20.001"])
    (v,) = spec.verdicts(creport(["x"], rows), spec.parse_spec({"x": {"min": 10, "max": 20}}))
    assert (v["status"], v["n_fail"], v["worst_seq"]) == ("fail", 1, 4)


def test_verdicts_order_and_no_data() -> None:
    report = creport(["a", "b", "c"], [])
    limits = spec.parse_spec({"c": {"max": 1}, "a": {"min": 0}})
    out = spec.verdicts(report, limits)
    assert [v["name"] for v in out] == ["c", "a"]  # the spec's order
    assert out[-1] == {
        "name": "a",
        "lo": 0.0,
        "hi": None,
        "status": "no_data",
        "n_points": 0,
        "n_fail": 0,
        "worst_value": None,
        "worst_seq": None,
        "verdict": "no_data",
        "margin": None,
    }
    assert spec.verdicts(report, {}) == []


def test_unknown_measurement_is_a_spec_error() -> None:
    report = creport(["r"], [["TT", "typical", "-40", "min", "1"]])
    limits = spec.parse_spec({"r": {"min": 0}, "zz": {"max": 1}, "aa": {"max": 1}})
    with pytest.raises(spec.SpecError) as info:
        spec.verdicts(report, limits)
    assert str(info.value) == (
        "spec names measurement(s) aa, zz that the report does not have; measured: r"
    )


# --- the run stage's failed-point count: kept as points are booked (O(1) per event) --------------
class _Booker:
    """The one thing RunStage._point_done asks of its job: the point's event."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def point_event(self, kind: str, result: object, stage: str = "run") -> None:
        self.events.append(kind)


@given(st.lists(st.tuples(st.integers(0, 4), st.booleans()), max_size=40))
def test_the_failed_count_equals_a_recount_whatever_the_booking_order(
    bookings: list[tuple[int, bool]],
) -> None:
    from wkpup_harness.engine.runstage import RunStage
    from wkpup_harness.results.runlog import PointResult

    owner = _Booker()
    runs = RunStage(owner)  # type: ignore[arg-type]
    points = [Point("TT", "typical", "m40", (f"l{i}",)) for i in range(5)]
    for index, ok in bookings:  # a point booked again (retry, resume) replaces its result
        runs._point_done(PointResult(points[index], ok, "" if ok else "x", 1, 0.0))
        assert runs.failed_count == len(runs.failed_points)
    assert len(owner.events) == len(bookings)
