"""Shared helpers for the tests that drive the reference core through sim_pvt.sh."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from wkpup_harness.engine.workdir import copy_domain

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "pai_ho_core" / "ver03"
SIM_PVT = CORE / "sim_pvt.sh"
DOMAINS = REPO / "domains"
# The real wkpup2 ver03 GPIO inputs and backup (figures, no scripts): tests/data/README.md.
FIXTURE = REPO / "tests" / "data" / "wkpup2_ver03_gpio"
FIXTURE_BKP = FIXTURE / "00bkp_202510301443"


# The 15 keys of the real config, in the real order (contract §2).
REAL_CONFIG_LINES = (
    "mode:prelay",
    "vccn:1p1v",
    "vcctx:vcctx_NA",
    "1st_supply_swp:vcc",
    "2nd_supply_swp:vccn",
    "3rd_supply_swp:NA",
    "condition:perf",
    "CPU #:4",
    "MEM [G]:4",
    "alter_extraction:No",
    "alter_string#:11",
    "sim_mode:ac",
    "gs/gf_corner:Yes",
    "vcc_vid:Yes",
    "simulator:primesim",
)


def sim_pvt(domain: Path, stage: str, *extra: str, config: str = "config.cfg", env=None):
    """Run one core stage the way the real flow does: `sh sim_pvt.sh config.cfg <stage>`."""
    return subprocess.run(
        ["sh", str(SIM_PVT), config, stage, *extra],
        cwd=domain,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def fixture_domain(tmp_path: Path, config_text: str | None = None) -> Path:
    """A domain directory holding the real config (or `config_text`) and the real template."""
    domain = tmp_path / "fixture_domain"
    (domain / "template").mkdir(parents=True)
    shutil.copy(FIXTURE / "template" / "sim_tx.sp", domain / "template" / "sim_tx.sp")
    (domain / "config.cfg").write_text(
        config_text if config_text is not None else (FIXTURE / "config.cfg").read_text()
    )
    return domain


def fixture_env(**extra: str) -> dict[str, str]:
    """Environment that points the core at the real ver03 CSV tables."""
    import os

    env = dict(os.environ)
    env["PAIHO_CONF_DIR"] = str(FIXTURE / "configuration")
    env.update(extra)
    return env


def our_domain(tmp_path: Path, family: str = "gpio", voltage: str = "1p8v") -> Path:
    """A copy of one of our domains, with domains/common beside it as in the repository."""
    root = tmp_path / "domains"
    copy_domain(DOMAINS / "common", root / "common")
    copy_domain(DOMAINS / family / voltage, root / family / voltage)
    return root / family / voltage


def set_keys(config_text: str, **keys: str) -> str:
    """Replace (or append) `key:value` lines; keyword names use _ for the real keys' spaces."""
    names = {
        "first": "1st_supply_swp",
        "second": "2nd_supply_swp",
        "third": "3rd_supply_swp",
        "gsgf": "gs/gf_corner",
        "cross": "postlay_cross_cornerlist",
    }
    lines = config_text.splitlines()
    for short, value in keys.items():
        key = names.get(short, short)
        for i, line in enumerate(lines):
            if line.split(":", 1)[0] == key:
                lines[i] = f"{key}:{value}"
                break
        else:
            lines.append(f"{key}:{value}")
    return "\n".join(lines) + "\n"


def netlists(domain: Path) -> list[Path]:
    return sorted(p for p in domain.glob("*/*/*/*/sim_tx.sp"))


MT0_HEAD = "$DATA1 SOURCE='PrimeSim' VERSION='W-2024.09-SP1' PARAM_COUNT=0\n.TITLE 'fmax'\n"


def plant_real_measurements(domain):
    """Give every point the measure file PrimeSim wrote for it (rebuilt from its real report)
    and the log marker chk looks for."""
    reports = sorted((FIXTURE_BKP / "report").glob("report_*.txt"))
    assert len(reports) == 92
    for point in netlists(domain):
        d = point.parent
        name = "report_{}_{}_{}_{}.txt".format(
            d.parts[-4], d.parts[-3], d.parts[-2].split("_", 1)[1], d.parts[-1]
        )
        lines = (FIXTURE_BKP / "report" / name).read_text().splitlines()
        names, values = (line.rstrip("\t").split("\t") for line in lines)
        (d / "sim_tx.mt0").write_text(MT0_HEAD + "  ".join(names) + "\n" + "  ".join(values) + "\n")
        (d / "sim_tx.log").write_text("...\nPrimeSim Successfully Completed at now\n")
