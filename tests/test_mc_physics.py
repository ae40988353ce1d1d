"""Monte Carlo physics on real ngspice and the SKY130 models (docs/montecarlo.md), through
the core's own model library (``Sky130Lib.pm``: the mismatch twins ``<CORNER>_mm`` and the
process + mismatch section ``mc_mm``) and ``.option seed=N``, as the core's Monte Carlo
samples use them.

The bench is a tiny netlist of this file: copies of an nfet_01v8 at a fixed bias, each copy a
device of its own (SKY130's mismatch draws per instance, scaled by 1/sqrt(W*L*mult): Pelgrom),
its drain current read from a zero-volt source. Small N keeps ``make test`` fast; every run
has a fixed seed, so the figures are the same on every machine and every run.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
import subprocess
from pathlib import Path

import pytest
from coreutil import CORE

pytestmark = pytest.mark.ngspice

LIB_TOOL = CORE / "simulation" / "sky130_lib.pl"
MODEL_MAP = CORE / "configuration" / "table_model_map.csv"
VGS = 0.9
VDS = 0.9
CURRENT = re.compile(r"^i\((v\w+)\)\s*=\s*(\S+)\s*$", re.MULTILINE)


def models_dir() -> str:
    out = subprocess.run(
        ["bash", str(CORE / "simulation" / "job_env.sh")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return next(
        v for k, _, v in (ln.partition("=") for ln in out.splitlines()) if k.endswith("MODELS")
    )


def bench(section: str, seed: int, devices: dict[str, tuple[float, float]], copies: int) -> str:
    """The deck: ``copies`` instances of each device (name -> (W, L) in um) at VGS/VDS."""
    lines = ["* Monte Carlo physics bench", f'.lib "lib.spice" {section}', f".option seed={seed}"]
    lines += [f"vg g 0 {VGS}", f"vd d 0 {VDS}"]
    for name, (w, length) in devices.items():
        for k in range(copies):
            lines += [
                f"v{name}{k} d d{name}{k} 0",
                f"x{name}{k} d{name}{k} g 0 0 sky130_fd_pr__nfet_01v8 w={w} l={length}",
            ]
    prints = [f"print i(v{n}{k})" for n in devices for k in range(copies)]
    return "\n".join([*lines, ".op", ".control", "run", *prints, ".endc", ".end", ""])


class Bench:
    """Runs bench decks in one directory, each with the model library the core would give it
    (only the section it selects, models_fet trimmed to the bins it uses; memoised)."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.models = models_dir()

    def currents(self, deck: str) -> dict[str, float]:
        (self.where / "bench.cir").write_text(deck)
        lib = subprocess.run(
            ["perl", str(LIB_TOOL), str(MODEL_MAP), self.models, "bench.cir", "lib.spice"],
            cwd=self.where, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        (self.where / "lib.spice").write_text(lib)
        out = subprocess.run(
            ["ngspice", "-b", "bench.cir"], cwd=self.where, capture_output=True, text=True,
            check=True,
        ).stdout  # fmt: skip
        found = {m.group(1): float(m.group(2)) for m in CURRENT.finditer(out)}
        assert found, out[-2000:]
        return found

    def samples(self, section: str, seeds: range, devices, copies: int) -> dict[str, list[float]]:
        """Per device name, the current of every copy in every seed's run."""
        out: dict[str, list[float]] = {n: [] for n in devices}
        for seed in seeds:
            got = self.currents(bench(section, seed, devices, copies))
            for n in devices:
                out[n] += [got[f"v{n}{k}"] for k in range(copies)]
        return out


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Bench:
    return Bench(tmp_path_factory.mktemp("mcbench"))


def rel_sigma(values: list[float]) -> float:
    return statistics.stdev(values) / abs(statistics.fmean(values))


def test_mismatch_mean_at_tt_is_the_plain_tt_value(runner: Bench) -> None:
    """N = 5 runs x 20 devices: the mean current under mismatch (TT_mm) lies within
    3 sigma / sqrt(N) of the plain TT current, and the devices do differ."""
    dev = {"a": (1.0, 1.0)}
    plain = runner.samples("TT", range(1, 2), dev, 1)["a"][0]
    mm = runner.samples("TT_mm", range(1, 6), dev, 20)["a"]
    n, mean, sigma = len(mm), statistics.fmean(mm), statistics.stdev(mm)
    assert sigma > 0.005 * abs(plain), f"no mismatch spread: sigma {sigma:.3e} A of {plain:.3e} A"
    assert abs(mean - plain) <= 3 * sigma / math.sqrt(n), (mean, plain, sigma, n)


def test_doubling_w_times_l_shrinks_sigma_by_sqrt2(runner: Bench) -> None:
    """Pelgrom: sigma(Vth) ~ 1/sqrt(W*L); the relative spread of the drain current of a
    device with twice the W*L is about 1/sqrt(2) of the smaller one's (N = 100 each; wide
    devices, away from the narrow-width effect that adds to the spread of a 1 um one)."""
    devices = {"a": (4.0, 1.0), "b": (8.0, 1.0)}
    got = runner.samples("TT_mm", range(11, 16), devices, 20)
    ratio = rel_sigma(got["a"]) / rel_sigma(got["b"])
    assert 1.2 < ratio < 1.7, f"sigma ratio {ratio:.3f}, Pelgrom says {math.sqrt(2):.3f}"


def test_process_plus_mismatch_spreads_more_than_mismatch(runner: Bench) -> None:
    """mc_mm (process and mismatch at TT) against TT_mm (mismatch only): one device, 15
    seeds each: the process draws (one per run) widen the spread."""
    dev = {"a": (1.0, 1.0)}
    mm = runner.samples("TT_mm", range(21, 36), dev, 1)["a"]
    pm = runner.samples("mc_mm", range(21, 36), dev, 1)["a"]
    assert statistics.stdev(pm) > statistics.stdev(mm), (statistics.stdev(pm), statistics.stdev(mm))


def test_a_seed_is_a_part_and_another_seed_another(runner: Bench) -> None:
    """The same seed gives the same currents digit for digit; another seed other ones."""
    dev = {"a": (1.0, 1.0)}
    first = runner.currents(bench("TT_mm", 5, dev, 4))
    assert runner.currents(bench("TT_mm", 5, dev, 4)) == first
    assert runner.currents(bench("TT_mm", 6, dev, 4)) != first


@pytest.mark.slow
def test_pelgrom_over_four_sizes(runner: Bench) -> None:
    """The bigger figure (N = 400 per size): relative sigma falls as 1/sqrt(W*L) over an 8x
    range of area (W doubled twice, then L), each doubling within 15 % of sqrt(2)."""
    devices = {"a": (4.0, 1.0), "b": (8.0, 1.0), "c": (16.0, 1.0), "d": (16.0, 2.0)}
    got = runner.samples("TT_mm", range(100, 120), devices, 20)
    sig = [rel_sigma(got[n]) for n in devices]
    for small, big in itertools.pairwise(sig):
        assert abs(small / big / math.sqrt(2) - 1) < 0.15, sig
