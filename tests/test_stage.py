"""Locating and guarding a core, job directories, and running one core stage by subprocess
(wkpup_harness.core, .core.stage, .engine.workdir) against the real reference core. The job
engine that strings stages together is tested in test_engine.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from coreutil import DOMAINS, FIXTURE, REPO

from wkpup_harness.config import read_config
from wkpup_harness.config.tables import CoreTables
from wkpup_harness.core import Core, guard, locate_core, manifest
from wkpup_harness.core.stage import run_stage, stage_env
from wkpup_harness.engine.workdir import copy_domain, prepare_job_dir
from wkpup_harness.errors import CoreError, CoreModifiedError, WkpupError

CORE_ROOT = REPO / "pai_ho_core"
GPIO = DOMAINS / "gpio" / "1p8v"


@pytest.fixture
def core() -> Core:
    return locate_core(CORE_ROOT)


# --- locate_core ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "given", [CORE_ROOT, CORE_ROOT / "ver03", CORE_ROOT / "ver03" / "sim_pvt.sh"], ids=str
)
def test_locate_core_accepts_root_ver03_or_entry(given, monkeypatch):
    monkeypatch.delenv("PAIHO_CONF_DIR", raising=False)
    c = locate_core(given)
    assert c.root == CORE_ROOT.resolve()
    assert c.sim_pvt == CORE_ROOT.resolve() / "ver03" / "sim_pvt.sh"
    assert c.configuration == CORE_ROOT.resolve() / "ver03" / "configuration"
    assert c.uses_own_tables
    assert isinstance(c.tables(), CoreTables)
    assert "full_tt_gsgf" in c.tables().corners.types()


def test_locate_core_order_explicit_env_default(tmp_path, monkeypatch):
    monkeypatch.delenv("PAIHO_CONF_DIR", raising=False)
    other = tmp_path / "site_core"
    shutil.copytree(CORE_ROOT, other)
    monkeypatch.delenv("WKPUP_CORE", raising=False)
    assert locate_core().root == manifest.DEFAULT_CORE.resolve()
    monkeypatch.setenv("WKPUP_CORE", str(other / "ver03"))
    assert locate_core().root == other.resolve()
    assert locate_core(CORE_ROOT).root == CORE_ROOT.resolve()  # explicit beats $WKPUP_CORE


def test_locate_core_errors_are_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("PAIHO_CONF_DIR", raising=False)
    with pytest.raises(CoreError, match="does not exist"):
        locate_core(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CoreError, match=r"expected ver03/sim_pvt\.sh") as exc:
        locate_core(tmp_path / "empty")
    assert "\n" not in str(exc.value)
    monkeypatch.setenv("WKPUP_CORE", str(tmp_path / "gone"))
    with pytest.raises(CoreError, match=r"\$WKPUP_CORE"):
        locate_core()
    assert issubclass(CoreError, WkpupError)


def test_locate_core_configuration_override(monkeypatch):
    fixture_conf = FIXTURE / "configuration"
    monkeypatch.delenv("PAIHO_CONF_DIR", raising=False)
    c = locate_core(CORE_ROOT, configuration=fixture_conf)
    assert c.configuration == fixture_conf.resolve() and not c.uses_own_tables
    assert stage_env(c)["PAIHO_CONF_DIR"] == str(fixture_conf.resolve())
    monkeypatch.setenv("PAIHO_CONF_DIR", str(fixture_conf))  # what the core honours, we do too
    assert locate_core(CORE_ROOT).configuration == fixture_conf.resolve()
    # own tables: an inherited PAIHO_CONF_DIR must not reach the core
    own = locate_core(CORE_ROOT, configuration=CORE_ROOT / "ver03" / "configuration")
    assert "PAIHO_CONF_DIR" not in stage_env(own)
    with pytest.raises(CoreError, match=r"table_corner_list\.csv"):
        locate_core(CORE_ROOT, configuration=REPO / "docs")


# --- guard ------------------------------------------------------------------------------------
@pytest.fixture
def core_copy(tmp_path) -> Path:
    """A copy of the core with a manifest of its own, so the guard tests do not depend on
    the shipped manifest being current (test_manifest.py gates that)."""
    copy = tmp_path / "pai_ho_core"
    shutil.copytree(CORE_ROOT, copy)
    manifest.write(copy)
    return copy


def test_guard_passes_an_unmodified_core(core_copy):
    result = guard(locate_core(core_copy))
    assert result.ok and result.checked > 20


def test_guard_names_a_flipped_byte(tmp_path, core_copy):
    target = core_copy / "ver03" / "stages" / "run.sh"
    data = bytearray(target.read_bytes())
    data[len(data) // 3] ^= 0x20
    target.write_bytes(bytes(data))
    c = locate_core(core_copy)
    with pytest.raises(CoreModifiedError, match=r"modified: ver03/stages/run\.sh") as exc:
        guard(c)
    assert exc.value.verification.modified == ["ver03/stages/run.sh"]
    assert "\n" not in str(exc.value)
    # (that the engine refuses such a core before any stage runs: test_engine.py)


def test_guard_names_missing_and_extra_files(core_copy):
    (core_copy / "ver03" / "tb_gen" / "pvt_loop.sh").unlink()
    (core_copy / "ver03" / "local_pvt_loop.sh").write_text("# override\n")
    with pytest.raises(CoreModifiedError) as exc:
        guard(locate_core(core_copy))
    assert "missing: ver03/tb_gen/pvt_loop.sh" in str(exc.value)
    assert "not in manifest: ver03/local_pvt_loop.sh" in str(exc.value)


# --- prepare_job_dir --------------------------------------------------------------------------
def _planted_domain(tmp_path: Path) -> Path:
    """A copy of domains/gpio/1p8v (with common/) holding every kind of run product."""
    root = tmp_path / "src" / "domains"
    copy_domain(DOMAINS / "common", root / "common")
    domain = root / "gpio" / "1p8v"
    copy_domain(GPIO, domain)
    for d in ("TT/typical/typical_85", "FFG_SSG/typical", "report", "compiled_waveform"):
        (domain / d).mkdir(parents=True)
    (domain / "00bkp_202501010000" / "report").mkdir(parents=True)
    (domain / ".wkpup_logs").mkdir()
    for f in ("job_log.txt", "job_stat.log", "rerun.sh", "script_logging.log", "report/x.txt"):
        (domain / f).write_text("product\n")
    (domain / "template" / "TT").mkdir()  # below the top level a corner-like name is user data
    (domain / "README").write_text("mine\n")
    (domain / "NOTES.TXT").write_text("an upper-case file is not a corner directory\n")
    return domain


def test_prepare_job_dir_layout_and_exclusions(tmp_path):
    domain = _planted_domain(tmp_path)
    job = prepare_job_dir(domain, tmp_path / "jobA")
    assert job == (tmp_path / "jobA" / "gpio" / "1p8v").resolve()
    assert sorted(p.name for p in job.iterdir()) == [
        "NOTES.TXT",
        "README",
        "config.cfg",
        "runme.sh",
        "spec.yaml",
        "template",
    ]
    assert (job / "template" / "TT").is_dir()
    assert (job / "config.cfg").read_bytes() == (GPIO / "config.cfg").read_bytes()
    common = tmp_path / "jobA" / "common"
    assert (common / "lib" / "weakpullup.lib").is_file()
    assert (common / "cir" / "wkpup_pad_x2.cir").is_file()
    # the templates' relative include resolves from a point directory of the copy
    point = job / "TT" / "typical" / "typical_m40" / "v1min_v2max"
    assert (point / "../../../../../../common/lib/weakpullup.lib").resolve().is_file()
    assert not list((tmp_path / "jobA" / "gpio").glob(".*partial*"))


def test_copy_domain_leaves_out_run_products_of_every_domain_it_meets(tmp_path):
    domain = _planted_domain(tmp_path)
    root = domain.parent.parent  # src/domains: common/ and gpio/1p8v with every product
    inputs = ["NOTES.TXT", "README", "config.cfg", "runme.sh", "spec.yaml", "template"]

    def files(d: Path) -> list[str]:
        return sorted(str(p.relative_to(d)) for p in d.rglob("*"))

    for src, dst, mine in (
        (root, tmp_path / "tree", "gpio/1p8v"),  # the whole domains/ tree
        (root / "gpio", tmp_path / "family", "1p8v"),  # one family
        (domain, tmp_path / "one", "."),  # one domain
    ):
        assert copy_domain(src, dst) == dst
        assert sorted(p.name for p in (dst / mine).iterdir()) == inputs, src
        assert (dst / mine / "template" / "TT").is_dir()  # user data below the top level
        assert files(dst / mine / "template") == ["TT", "sim_tx.sp"]
    assert files(tmp_path / "tree" / "common") == files(DOMAINS / "common")
    copy_domain(DOMAINS / "common", tmp_path / "tree" / "common", dirs_exist_ok=True)


def test_prepare_job_dir_writes_the_config_and_refuses_a_used_dest(tmp_path, core):
    cfg = read_config(GPIO / "config.cfg", tables=core.tables())
    small = cfg.with_overrides({"condition": "htol"})
    job = prepare_job_dir(GPIO, tmp_path / "j", small)
    assert (job / "config.cfg").read_bytes() == small.to_text().encode("ascii")
    with pytest.raises(WkpupError, match="already holds a job"):
        prepare_job_dir(GPIO, tmp_path / "j")
    other = prepare_job_dir(GPIO, tmp_path / "k")  # a second job of the same domain
    assert (
        other != job and (other / "config.cfg").read_bytes() == (GPIO / "config.cfg").read_bytes()
    )
    with pytest.raises(WkpupError, match="not a directory"):
        prepare_job_dir(tmp_path / "missing" / "1p8v", tmp_path / "m")


# --- run_stage --------------------------------------------------------------------------------
def test_run_stage_gen_on_a_prepared_copy(tmp_path, core):
    job = prepare_job_dir(GPIO, tmp_path / "jobs")
    hashes = manifest.compute(core.root)
    before = time.time()
    r = run_stage(core, job, "gen")
    assert r.ok and r.returncode == 0 and not r.timed_out, r.tail()
    assert r.command == ["bash", str(core.sim_pvt), "config.cfg", "gen"]
    assert before <= r.started <= r.finished <= time.time()
    assert 0 < r.elapsed <= r.finished - r.started + 0.01
    assert r.log_path == job / ".wkpup_logs" / "gen.log"
    assert "gen: done, 92 testbenches" in r.tail(1)
    assert len(list(job.glob("*/*/*/*/sim_tx.sp"))) == 92
    assert manifest.compute(core.root) == hashes  # the core was only read


def test_run_stage_failing_config_gives_exit_2_and_one_line(tmp_path, core):
    job = prepare_job_dir(GPIO, tmp_path / "jobs")
    text = (job / "config.cfg").read_text().replace("condition:perf", "condition:fast")
    (job / "config.cfg").write_text(text)
    r = run_stage(core, job, "gen", log_dir=tmp_path / "logs")
    assert r.returncode == 2 and not r.ok
    assert r.log_path == tmp_path / "logs" / "gen.log"
    lines = r.tail().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR: config.cfg:")
    assert "condition" in lines[0] and "'fast'" in lines[0]
    assert not list(job.glob("TT"))  # nothing created


def test_run_stage_rejects_path_like_names(tmp_path, core):
    job = prepare_job_dir(GPIO, tmp_path / "jobs")
    with pytest.raises(WkpupError, match="not a plain name"):
        run_stage(core, job, "../gen")
    with pytest.raises(WkpupError, match="not a plain name"):
        run_stage(core, job, "run", ex="x/y")


def _sleepy_domain(tmp_path: Path) -> Path:
    job = prepare_job_dir(GPIO, tmp_path / "jobs")
    (job / "usr_script.sh").write_text("usr_script(){ sleep 30; }\n")
    return job


def _live_session_members(sid: int) -> list[str]:
    """Command lines of the live (non-zombie) processes of session ``sid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if int(fields[3]) == sid and fields[0] != b"Z":
            out.append(cmd)
    return out


def test_run_stage_timeout_kills_the_process_group(tmp_path, core, monkeypatch):
    job = _sleepy_domain(tmp_path)
    started: list[int] = []
    real_popen = subprocess.Popen

    def spy(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        started.append(proc.pid)
        return proc

    monkeypatch.setattr(subprocess, "Popen", spy)
    t0 = time.monotonic()
    r = run_stage(core, job, "usr_script", timeout=1)
    wall = time.monotonic() - t0
    assert r.timed_out and not r.ok
    assert wall < 8, wall
    assert 1 <= r.elapsed < 3
    assert "killed after the 1s timeout" in r.tail(2)
    (sid,) = started  # start_new_session: the leader's pid is the session and group id
    # Killed processes may linger a moment as zombies until init reaps them; none may live.
    assert _live_session_members(sid) == []  # no `sleep 30` left behind


def test_cancel_event_from_another_thread_kills_the_stage(tmp_path, core):
    job = _sleepy_domain(tmp_path)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    t0 = time.monotonic()
    r = run_stage(core, job, "usr_script", cancel=cancel, grace=1.0)
    assert time.monotonic() - t0 < 8
    assert r.cancelled and not r.timed_out and not r.ok
    assert "stage usr_script cancelled" in r.tail(2)
    assert "cancelled after" in r.describe()


def test_keyboard_interrupt_kills_the_stage_and_propagates(tmp_path, core):
    job = _sleepy_domain(tmp_path)
    assert threading.current_thread() is threading.main_thread()
    # A real SIGINT, as Ctrl-C delivers it (the stage's own session does not get it).
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_stage(core, job, "usr_script")
    assert time.monotonic() - t0 < 8
    assert "interrupted" in (job / ".wkpup_logs" / "usr_script.log").read_text()
