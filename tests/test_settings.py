"""wkpup_harness.settings: the one resolver (flag > WKPUP_* env > project file > default),
project-root discovery, and one-line errors that name where a bad value came from.

Every ``resolve`` here gets an explicit ``env`` dict and ``project_root``: the real
environment and the current directory never leak in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from wkpup_harness.settings import (
    REPO,
    SPECS,
    SettingsError,
    default_cpus,
    default_slot_dir,
    find_project_root,
    project_file_values,
    resolve,
)

SLURM_SETTINGS = ("slurm_partition", "slurm_account", "slurm_qos", "slurm_options", "slurm_poll")


def wkpup_toml(root: Path, text: str) -> Path:
    path = root / "wkpup.toml"
    path.write_text(text, encoding="utf-8")
    return path


def pyproject(root: Path, text: str) -> Path:
    path = root / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(flags=None, *, root: Path, env=None, ini=None) -> str:
    """The message of the SettingsError ``resolve`` raises; it must be one line."""
    with pytest.raises(SettingsError) as info:
        resolve(flags, project_root=root, env=env or {}, ini=ini)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    assert message == message.strip() and message
    return message


# --- defaults --------------------------------------------------------------------------------
def test_defaults_with_nothing_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    s = resolve({}, project_root=tmp_path, env={})
    root = tmp_path.resolve()
    assert s.project_root == root
    assert s.core is None
    assert s.domains == REPO / "domains"  # no local domains/ directory
    assert s.golden == root / "golden"
    assert s.db == root / ".wkpup" / "wkpup.db"
    assert s.runs == root / ".wkpup" / "runs"
    assert s.cpus == default_cpus() and s.cpus >= 1
    assert s.slot_dir == tmp_path / "run" / f"wkpup-slots-{os.getuid()}"
    assert s.slot_dir == default_slot_dir()
    assert s.retries == 1
    assert s.sim_timeout is None and s.stage_timeout is None
    assert s.executor == "local"
    assert dict(s.sources) == dict.fromkeys(SPECS, "default")


def test_default_slot_dir_without_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    assert default_slot_dir() == Path("/tmp") / f"wkpup-slots-{os.getuid()}"


def test_local_domains_directory_is_the_default_when_present(tmp_path: Path) -> None:
    (tmp_path / "domains").mkdir()
    assert resolve(project_root=tmp_path, env={}).domains == tmp_path.resolve() / "domains"
    (tmp_path / "domains").rmdir()
    (tmp_path / "domains").write_text("a file, not a directory")
    assert resolve(project_root=tmp_path, env={}).domains == REPO / "domains"


# --- precedence ------------------------------------------------------------------------------
def test_flag_beats_env_beats_wkpup_toml_beats_pyproject_beats_default(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    wk = wkpup_toml(tmp_path, "cpus = 3\nretries = 3\nsim_timeout = 3\n")
    py = pyproject(tmp_path, "[tool.wkpup]\ncpus = 4\nretries = 4\nsim_timeout = 4\nruns = 'r4'\n")
    env = {"WKPUP_CPUS": "2", "WKPUP_RETRIES": "2"}
    s = resolve({"cpus": 1, "retries": None}, project_root=tmp_path, env=env)
    assert (s.cpus, s.sources["cpus"]) == (1, "flag")
    assert (s.retries, s.sources["retries"]) == (2, "environment")  # None flag is no flag
    assert (s.sim_timeout, s.sources["sim_timeout"]) == (3.0, str(wk))
    # wkpup.toml present: pyproject's [tool.wkpup] is not read at all, even for other keys
    assert (s.runs, s.sources["runs"]) == (root / ".wkpup" / "runs", "default")
    assert (s.stage_timeout, s.sources["stage_timeout"]) == (None, "default")

    wk.unlink()
    s = resolve({}, project_root=tmp_path, env={})
    assert (s.cpus, s.sources["cpus"]) == (4, str(py))
    assert (s.retries, s.sources["retries"]) == (4, str(py))
    assert (s.sim_timeout, s.sources["sim_timeout"]) == (4.0, str(py))
    assert (s.runs, s.sources["runs"]) == (root / "r4", str(py))
    assert s.sources["golden"] == "default"


@pytest.mark.parametrize(
    ("level", "expected", "source"),
    [("flag", 5, "flag"), ("env", 6, "environment"), ("file", 7, "file"), ("none", 1, "default")],
)
def test_each_level_alone_for_retries(tmp_path: Path, level: str, expected: int, source: str):
    flags = {"retries": 5} if level == "flag" else {}
    env = {"WKPUP_RETRIES": "6"} if level == "env" else {}
    if level == "file":
        source = str(wkpup_toml(tmp_path, "retries = 7\n"))
    s = resolve(flags, project_root=tmp_path, env=env)
    assert (s.retries, s.sources["retries"]) == (expected, source)


def test_empty_env_value_falls_through_to_the_file(tmp_path: Path) -> None:
    wk = wkpup_toml(tmp_path, "cpus = 3\n")
    s = resolve({}, project_root=tmp_path, env={"WKPUP_CPUS": ""})
    assert (s.cpus, s.sources["cpus"]) == (3, str(wk))


def test_env_names_are_upper_case_with_prefix(tmp_path: Path) -> None:
    env = {
        "WKPUP_SIM_TIMEOUT": "2.5",
        "WKPUP_STAGE_TIMEOUT": "1e3",
        "WKPUP_DB": "store.db",
        "WKPUP_EXECUTOR": "local",
        "wkpup_cpus": "9",  # lower case: not ours
        "CPUS": "9",
    }
    s = resolve({}, project_root=tmp_path, env=env)
    assert s.sim_timeout == 2.5 and s.stage_timeout == 1000.0
    assert s.db == tmp_path.resolve() / "store.db"
    assert s.executor == "local" and s.sources["executor"] == "environment"
    assert s.sources["cpus"] == "default"


def test_settings_describe_names_every_source(tmp_path: Path) -> None:
    s = resolve({"cpus": 2}, project_root=tmp_path, env={"WKPUP_RETRIES": "0"})
    lines = s.describe()
    assert len(lines) == len(SPECS) + 1  # + project_root, which has no source ('-')
    assert lines[0] == f"project_root = {tmp_path.resolve()} (-)"
    assert "cpus = 2 (flag)" in lines and "retries = 0 (environment)" in lines
    assert "executor = local (default)" in lines and "near_margin = 0.05 (default)" in lines
    assert lines[-5:-3] == ["slurm_poll = 1.0 (default)", "store_wait = 120.0 (default)"]
    assert lines[-3] == "cache = False (default)" and lines[-1] == "cache_verify = 0 (default)"
    assert lines[-2].startswith("cache_dir = /") and lines[-2].endswith("/wkpup/results (default)")
    shown = resolve({}, project_root=tmp_path, env={"WKPUP_WEB_TOKEN": "s3cret-token-0123456"})
    assert "web_token = (set, not shown) (environment)" in shown.describe()
    assert shown.web_token == "s3cret-token-0123456"


# --- pytest ini aliases ----------------------------------------------------------------------
def test_ini_aliases_are_project_file_level(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    ini = {"pvt_core": "core_dir", "pvt_db": "none", "pvt_domains": "d", "pvt_golden_dir": "/g"}
    s = resolve({}, project_root=tmp_path, env={}, ini=ini)
    assert s.core == root / "core_dir"
    assert s.db is None
    assert s.domains == root / "d"
    assert s.golden == Path("/g")
    # the environment beats them
    s = resolve({}, project_root=tmp_path, env={"WKPUP_CORE": "/env/core"}, ini=ini)
    assert (s.core, s.sources["core"]) == (Path("/env/core"), "environment")


def test_ini_loses_to_wkpup_toml_but_fills_what_it_lacks(tmp_path: Path) -> None:
    wk = wkpup_toml(tmp_path, "core = 'from_file'\n")
    ini = {"pvt_core": "from_ini", "pvt_golden_dir": "gold", "pvt_db": ""}
    s = resolve({}, project_root=tmp_path, env={}, ini=ini)
    assert (s.core, s.sources["core"]) == (tmp_path.resolve() / "from_file", str(wk))
    assert (s.golden, s.sources["golden"]) == (tmp_path.resolve() / "gold", str(wk))
    assert s.sources["db"] == "default"  # an empty ini value is no value


def test_pyproject_pytest_ini_options_are_aliases(tmp_path: Path) -> None:
    py = pyproject(
        tmp_path,
        "[tool.pytest.ini_options]\npvt_core = 'ini_core'\npvt_db = 'ini.db'\n"
        "[tool.wkpup]\ndb = 'wk.db'\n",
    )
    values, name = project_file_values(tmp_path)
    assert name == str(py)
    assert values == {"core": "ini_core", "db": "wk.db"}  # [tool.wkpup] beats the alias
    s = resolve({}, project_root=tmp_path, env={})
    assert s.core == tmp_path.resolve() / "ini_core"
    assert s.db == tmp_path.resolve() / "wk.db"


def test_pyproject_with_only_pytest_aliases_is_still_a_project_file(tmp_path: Path) -> None:
    py = pyproject(tmp_path, "[tool.pytest.ini_options]\npvt_golden_dir = 'gg'\n")
    assert project_file_values(tmp_path) == ({"golden": "gg"}, str(py))
    pyproject(tmp_path, "[project]\nname = 'x'\n")
    assert project_file_values(tmp_path) == ({}, "")


def test_ini_only_value_has_a_named_source(tmp_path: Path) -> None:
    s = resolve({}, project_root=tmp_path, env={}, ini={"pvt_core": "c"})
    assert s.core == tmp_path.resolve() / "c"
    assert s.sources["core"] != ""


# --- paths -----------------------------------------------------------------------------------
def test_relative_paths_are_relative_to_the_project_root(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    wkpup_toml(tmp_path, "golden = 'g/old'\nruns = '../runs'\nslot_dir = '/abs/slots'\n")
    env = {"WKPUP_DOMAINS": "doms"}
    s = resolve({"core": "sub/core", "db": Path("x.db")}, project_root=tmp_path, env=env)
    assert s.core == root / "sub" / "core"
    assert s.db == root / "x.db"
    assert s.domains == root / "doms"
    assert s.golden == root / "g" / "old"
    assert s.runs == root / ".." / "runs"
    assert s.slot_dir == Path("/abs/slots")


def test_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    s = resolve({"golden": "~/gold"}, project_root=tmp_path, env={})
    assert s.golden == tmp_path / "home" / "gold"


@pytest.mark.parametrize("value", ["none", "None", "NONE"])
def test_db_none_means_no_store(tmp_path: Path, value: str) -> None:
    assert resolve({"db": value}, project_root=tmp_path, env={}).db is None
    assert resolve({}, project_root=tmp_path, env={"WKPUP_DB": value}).db is None
    wkpup_toml(tmp_path, f"db = '{value}'\n")
    assert resolve({}, project_root=tmp_path, env={}).db is None


def test_none_is_only_special_for_db(tmp_path: Path) -> None:
    s = resolve({"core": "none", "golden": "none"}, project_root=tmp_path, env={})
    assert s.core == tmp_path.resolve() / "none"
    assert s.golden == tmp_path.resolve() / "none"


def test_empty_optional_path_in_file_is_none_but_required_path_is_refused(tmp_path: Path):
    wk = wkpup_toml(tmp_path, "core = ''\ndb = ''\n")
    s = resolve({}, project_root=tmp_path, env={})
    assert s.core is None and s.db is None
    wkpup_toml(tmp_path, "golden = ''\n")
    assert refused(root=tmp_path) == f"{wk}: golden '': expected a path"
    wkpup_toml(tmp_path, "runs = 3\n")
    assert refused(root=tmp_path) == f"{wk}: runs '3': expected a path"


# --- find_project_root -----------------------------------------------------------------------
def test_find_project_root_walks_up_to_wkpup_toml(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b" / "c"
    nested.mkdir(parents=True)
    wkpup_toml(tmp_path / "a", "")
    assert find_project_root(nested) == (tmp_path / "a").resolve()
    assert find_project_root(tmp_path / "a") == (tmp_path / "a").resolve()


def test_find_project_root_takes_pyproject_with_tool_wkpup(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    pyproject(tmp_path, "[tool.wkpup]\ncpus = 2\n")
    # a pyproject without [tool.wkpup] (even with the pytest aliases) is not a root
    pyproject(tmp_path / "a", "[project]\nname='x'\n[tool.pytest.ini_options]\npvt_db='n'\n")
    assert find_project_root(nested) == tmp_path.resolve()
    # the nearest root wins
    wkpup_toml(nested, "")
    assert find_project_root(nested) == nested.resolve()


def test_find_project_root_ignores_broken_pyproject(tmp_path: Path) -> None:
    nested = tmp_path / "a"
    nested.mkdir()
    pyproject(nested, "[tool.wkpup\n")  # invalid TOML: not a root, no error
    wkpup_toml(tmp_path, "")
    assert find_project_root(nested) == tmp_path.resolve()


def test_find_project_root_defaults_to_start(tmp_path: Path) -> None:
    # tmp_path's parents hold no wkpup.toml (pytest's basetemp is under /tmp)
    nested = tmp_path / "x" / "y"
    nested.mkdir(parents=True)
    assert find_project_root(nested) == nested.resolve()


def test_resolve_without_root_uses_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = tmp_path / "deep"
    nested.mkdir()
    wk = wkpup_toml(tmp_path, "cpus = 7\n")
    monkeypatch.chdir(nested)
    s = resolve({}, env={})
    assert s.project_root == tmp_path.resolve()
    assert (s.cpus, s.sources["cpus"]) == (7, str(tmp_path.resolve() / wk.name))


# --- bad values ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value", [0, -1, "abc", "1.5", True, False, 4097, "0", "-1", "4097", "", " ", "²", 2.0]
)
def test_bad_cpus_flag(tmp_path: Path, value: object) -> None:
    message = refused({"cpus": value}, root=tmp_path)
    assert message.startswith("--cpus: cpus ")
    assert message.endswith(": expected a whole number from 1 to 4096")


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "4097", "True", "0x10", "1e3"])
def test_bad_cpus_env(tmp_path: Path, value: str) -> None:
    message = refused(root=tmp_path, env={"WKPUP_CPUS": value})
    assert message == f"WKPUP_CPUS: cpus {value!r}: expected a whole number from 1 to 4096"


@pytest.mark.parametrize("value", ["0", "-1", "'abc'", "'1.5'", "true", "4097", "2.0"])
def test_bad_cpus_in_file(tmp_path: Path, value: str) -> None:
    wk = wkpup_toml(tmp_path, f"cpus = {value}\n")
    message = refused(root=tmp_path)
    assert message.startswith(f"{wk}: cpus ")
    assert message.endswith("expected a whole number from 1 to 4096")


def test_bad_cpus_in_pyproject_names_the_pyproject(tmp_path: Path) -> None:
    py = pyproject(tmp_path, "[tool.wkpup]\ncpus = 0\n")
    assert refused(root=tmp_path) == f"{py}: cpus '0': expected a whole number from 1 to 4096"


@pytest.mark.parametrize(("value", "expected"), [(1, 1), (4096, 4096), ("4096", 4096), ("01", 1)])
def test_cpus_boundaries(tmp_path: Path, value: object, expected: int) -> None:
    assert resolve({"cpus": value}, project_root=tmp_path, env={}).cpus == expected


def test_cpus_surrounding_whitespace_is_stripped(tmp_path: Path) -> None:
    # The code strips text before checking digits: " 2 " is 2, from any source.
    assert resolve({"cpus": " 2 "}, project_root=tmp_path, env={}).cpus == 2
    assert resolve({}, project_root=tmp_path, env={"WKPUP_CPUS": "\t3\n"}).cpus == 3
    assert refused(root=tmp_path, env={"WKPUP_CPUS": " 2 3 "}).startswith("WKPUP_CPUS: cpus")


def test_hostile_value_stays_on_one_line(tmp_path: Path) -> None:
    message = refused(root=tmp_path, env={"WKPUP_CPUS": "1\n2\r\x00é"})
    assert message.startswith("WKPUP_CPUS: cpus ")
    assert "\\n" in message  # escaped, not a line break


def test_huge_digit_string_is_a_settings_error(tmp_path: Path) -> None:
    message = refused(root=tmp_path, env={"WKPUP_CPUS": "1" * 5000})
    assert message.startswith("WKPUP_CPUS: cpus ")


@pytest.mark.parametrize(("value", "expected"), [(0, 0), ("0", 0), (4096, 4096), (" 5", 5)])
def test_retries_accepts_zero(tmp_path: Path, value: object, expected: int) -> None:
    assert resolve({"retries": value}, project_root=tmp_path, env={}).retries == expected


@pytest.mark.parametrize("value", [-1, "-1", 4097, "x", True, 1.0])
def test_bad_retries(tmp_path: Path, value: object) -> None:
    message = refused({"retries": value}, root=tmp_path)
    assert message.startswith("--retries: retries ")
    assert message.endswith(": expected a whole number from 0 to 4096")


@pytest.mark.parametrize("value", [0, "0", "nan", "inf", "-inf", -3, "-3", "abc", True, 0.0, []])
def test_bad_sim_timeout_flag(tmp_path: Path, value: object) -> None:
    message = refused({"sim_timeout": value}, root=tmp_path)
    assert message == f"--sim-timeout: sim_timeout {str(value)!r}: expected seconds > 0"


@pytest.mark.parametrize("value", ["0", "nan", "inf", "-3", "NaN", "Infinity"])
def test_bad_stage_timeout_env(tmp_path: Path, value: str) -> None:
    message = refused(root=tmp_path, env={"WKPUP_STAGE_TIMEOUT": value})
    assert message == f"WKPUP_STAGE_TIMEOUT: stage_timeout {value!r}: expected seconds > 0"


@pytest.mark.parametrize("value", ["0", "nan", "inf", "-3", "-inf", "'x'", "false"])
def test_bad_sim_timeout_in_file(tmp_path: Path, value: str) -> None:
    wk = wkpup_toml(tmp_path, f"sim_timeout = {value}\n")
    message = refused(root=tmp_path)
    assert message.startswith(f"{wk}: sim_timeout ")
    assert message.endswith(": expected seconds > 0")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("none", None), ("None", None), (" 2.5 ", 2.5), ("1e-3", 0.001), (7, 7.0), (0.5, 0.5)],
)
def test_sim_timeout_values(tmp_path: Path, value: object, expected: float | None) -> None:
    s = resolve({"sim_timeout": value}, project_root=tmp_path, env={})
    assert s.sim_timeout == expected and s.sources["sim_timeout"] == "flag"


def test_a_site_executor_of_the_entry_point_group_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site package registering ``lsf`` in ``wkpup.executors`` (a real dist-info on the
    path, read by importlib.metadata): its name is a valid setting, listed after ours."""
    site = tmp_path / "site"
    dist = site / "mysite-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mysite\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[wkpup.executors]\nlsf = mysite.lsf:BsubExecutor\n")
    assert refused({"executor": "lsf"}, root=tmp_path).endswith("allowed: local, slurm")
    monkeypatch.syspath_prepend(str(site))
    s = resolve({"executor": "lsf"}, project_root=tmp_path, env={})
    assert s.executor == "lsf"
    assert refused({"executor": "pbs"}, root=tmp_path).endswith("allowed: local, slurm, lsf")


def test_bad_executor(tmp_path: Path) -> None:
    assert (
        refused({"executor": "ssh"}, root=tmp_path)
        == "--executor: executor 'ssh'; allowed: local, slurm"
    )
    assert refused(root=tmp_path, env={"WKPUP_EXECUTOR": "LOCAL"}) == (
        "WKPUP_EXECUTOR: executor 'LOCAL'; allowed: local, slurm"
    )


def test_unknown_key_in_wkpup_toml(tmp_path: Path) -> None:
    wk = wkpup_toml(tmp_path, "cpus = 2\nzeta = 1\nbogus = 'x'\n")
    message = refused(root=tmp_path)
    assert message.startswith(f"{wk}: unknown setting(s) bogus, zeta; allowed: core, ")
    assert message.endswith(
        ", stage_timeout, executor, web_token, near_margin, "
        + ", ".join(SLURM_SETTINGS)
        + ", store_wait, cache, cache_dir, cache_verify"
    )


@pytest.mark.parametrize(
    ("value", "expected"), [("2.5", 2.5), ("none", None), ("abc", None), ("0", None)]
)
def test_store_wait_from_the_environment(tmp_path: Path, value: str, expected: float) -> None:
    env = {"WKPUP_STORE_WAIT": value}
    if expected is None and value != "none":
        assert refused(root=tmp_path, env=env).endswith(
            f"store_wait {value!r}: expected seconds > 0"
        )
        return
    assert resolve({}, project_root=tmp_path, env=env).store_wait == expected


def test_ini_alias_names_are_not_accepted_in_wkpup_toml(tmp_path: Path) -> None:
    wk = wkpup_toml(tmp_path, "pvt_core = 'x'\n")
    assert refused(root=tmp_path).startswith(f"{wk}: unknown setting(s) pvt_core;")


def test_unknown_key_in_tool_wkpup(tmp_path: Path) -> None:
    py = pyproject(tmp_path, "[tool.wkpup]\ncpu = 2\n")
    assert refused(root=tmp_path).startswith(f"{py} [tool.wkpup]: unknown setting(s) cpu;")


@pytest.mark.parametrize("text", ["cpus = \n", "cpus = 2\ncpus = 3\n", "[x\n", "a = 'b\n"])
def test_invalid_toml(tmp_path: Path, text: str) -> None:
    wk = wkpup_toml(tmp_path, text)
    assert refused(root=tmp_path).startswith(f"{wk}: not valid TOML: ")


def test_undecodable_wkpup_toml(tmp_path: Path) -> None:
    wk = tmp_path / "wkpup.toml"
    wk.write_bytes(b"cpus = 2\n\xff\xfe\n")
    assert refused(root=tmp_path).startswith(f"{wk}: cannot read: ")


def test_invalid_pyproject_is_ignored(tmp_path: Path) -> None:
    pyproject(tmp_path, "[tool.wkpup\ncpus = 0\n")
    assert resolve({}, project_root=tmp_path, env={}).sources["cpus"] == "default"


def test_only_the_winning_level_is_converted(tmp_path: Path) -> None:
    # only the winning level is converted: a bad lower level does not matter
    s = resolve({"cpus": 2}, project_root=tmp_path, env={"WKPUP_CPUS": "zero"})
    assert s.cpus == 2


# --- property --------------------------------------------------------------------------------
def _accepted_cpus(text: str) -> int | None:
    stripped = text.strip()
    if stripped and all(c in "0123456789" for c in stripped):
        n = int(stripped)
        return n if 1 <= n <= 4096 else None
    return None


@given(st.integers(min_value=1, max_value=4096))
def test_any_cpus_integer_string_round_trips(n: int) -> None:
    root = Path("/nonexistent-wkpup-root")
    for flags, env in (({"cpus": str(n)}, {}), ({}, {"WKPUP_CPUS": str(n)}), ({"cpus": n}, {})):
        assert resolve(flags, project_root=root, env=env).cpus == n


@given(
    st.one_of(
        st.text(max_size=8),
        st.text(alphabet="0123456789 -+.e_\t\u00a0\u0663\u00b2", max_size=6),
        st.integers(min_value=-(10**6), max_value=10**6).map(str),
    )
)
@example("0")
@example("4097")
@example("1_0")
@example("+5")
@example("\u0663")  # Arabic-Indic three: isdigit() but not ASCII
@example(" 12 ")
def test_cpus_text_is_accepted_exactly_when_it_is_1_to_4096(text: str) -> None:
    root = Path("/nonexistent-wkpup-root")
    expected = _accepted_cpus(text)
    if text == "":  # an empty variable is an unset one
        s = resolve({}, project_root=root, env={"WKPUP_CPUS": text})
        assert s.sources["cpus"] == "default"
    elif expected is None:
        with pytest.raises(SettingsError) as info:
            resolve({}, project_root=root, env={"WKPUP_CPUS": text})
        assert str(info.value).startswith("WKPUP_CPUS: cpus ")
        assert "\n" not in str(info.value)
    else:
        assert resolve({}, project_root=root, env={"WKPUP_CPUS": text}).cpus == expected


# --- the Slurm executor's settings -------------------------------------------------------------
def test_slurm_settings_from_env_and_project_file(tmp_path: Path) -> None:
    wkpup_toml(
        tmp_path,
        'executor = "slurm"\nslurm_partition = "batch,debug"\nslurm_account = "analog"\n'
        'slurm_options = "--exclusive --constraint=avx2 --nice 10"\nslurm_poll = 0.5\n',
    )
    s = resolve({}, project_root=tmp_path, env={"WKPUP_SLURM_QOS": "high"})
    assert s.executor == "slurm" and s.slurm_partition == "batch,debug"
    assert s.slurm_account == "analog" and s.slurm_qos == "high"
    assert s.slurm_options == ("--exclusive", "--constraint=avx2", "--nice", "10")
    assert s.slurm_poll == 0.5 and s.sources["slurm_qos"] == "environment"
    s = resolve({"executor": "local"}, project_root=tmp_path, env={"WKPUP_SLURM_OPTIONS": ""})
    assert s.executor == "local" and s.sources["executor"] == "flag"
    d = resolve({}, project_root=tmp_path / "none", env={})
    assert (d.slurm_partition, d.slurm_account, d.slurm_qos) == (None, None, None)
    assert d.slurm_options == () and d.slurm_poll == 1.0


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("slurm_options", "--comment=x;reboot", "'--comment=x;reboot': not a plain sbatch"),
        ("slurm_options", "--comment=$(id)", "not a plain sbatch option word"),
        ("slurm_options", "--comment='a b'", "'--comment=a b': not a plain sbatch option word"),
        ("slurm_options", "--x `id`", "'`id`': not a plain sbatch option word"),
        ("slurm_options", "--x 'unclosed", "No closing quotation"),
        ("slurm_options", "debug", "'debug': expected an option (-x, --x)"),
        ("slurm_options", "--array=0-9", "--array is set by the Slurm executor itself"),
        ("slurm_options", "-o /tmp/x", "-o is set by the Slurm executor itself"),
        ("slurm_options", "--out=x", "--output is set by the Slurm executor itself"),
        ("slurm_options", "--exclusive --", "a bare -- would end sbatch's options"),
        ("slurm_partition", "debug;ls", "expected a Slurm name"),
        ("slurm_account", "a b", "expected a Slurm name"),
        ("slurm_qos", "-x", "expected a Slurm name"),
        ("slurm_poll", "0", "expected seconds from 0.05 to 60"),
        ("slurm_poll", "abc", "expected seconds from 0.05 to 60"),
    ],
)
def test_bad_slurm_settings_are_one_line_errors(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    env_name = "WKPUP_" + name.upper()
    message = refused(root=tmp_path, env={env_name: value})
    assert message.startswith(f"{env_name}: {name}") and expected in message, message
