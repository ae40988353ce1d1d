"""The usr_script stage with the real interface (contract §9.4): usr_script once, then
core_func with no arguments per point in gen order, each in a subshell, reading the loop's
globals; and the shipped real-style example end to end on a real (small) ngspice run."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from coreutil import (
    FIXTURE,
    REPO,
    fixture_domain,
    fixture_env,
    our_domain,
    set_keys,
    sim_pvt,
)

EXAMPLE = REPO / "docs" / "examples" / "usr_script.sh"

# A usr_script.sh in the real style: globals, no arguments, no quoting discipline.
DUMP = r"""
usr_script () {
    calls=$((calls + 1))
    echo "usr_script $calls $PWD $bkpfolder $testbench $simulator $cpu $mem $mode" > header.txt
    core_func () {
        leak=$((leak + 1))
        echo "$# $i $j $k $tmp $l $lv1 $lv2 $lv3 $current_path ${leak}" >> $current_path/points.txt
        read -r line && echo "stdin: $line" >> $current_path/points.txt
        cd /
    }
}
"""


def test_core_func_gets_the_loop_globals_and_no_arguments(tmp_path):
    domain = fixture_domain(tmp_path, set_keys((FIXTURE / "config.cfg").read_text(), gsgf="No"))
    (domain / "usr_script.sh").write_text(DUMP)
    for stamp in ("202501010000", "202512312359", "202506010000"):
        (domain / f"00bkp_{stamp}").mkdir()
    (domain / "00bkp_209912312359.partial").mkdir()  # an unfinished backup is never used
    env = fixture_env(PAIHO_CORNERS="TT SSG", PAIHO_TEMPS="m40 85")
    p = subprocess.run(
        ["sh", str(REPO / "pai_ho_core/ver03/sim_pvt.sh"), "config.cfg", "usr_script"],
        cwd=domain,
        input="",
        capture_output=True,
        text=True,
        env=env,
    )
    assert p.returncode == 0, p.stderr
    assert (domain / "header.txt").read_text() == (
        f"usr_script 1 {domain} 00bkp_202512312359 sim_tx primesim 4 4 prelay\n"
    )
    lines = (domain / "points.txt").read_text().splitlines()
    # TT and SSG at m40 (5 combos each) and TT at 85: 11 points, in gen order
    assert len(lines) == 11
    assert lines[0] == f"0 TT typical m40 -40 v1min_v2min min min NA {domain} 1"
    assert lines[4] == f"0 TT typical m40 -40 v1nom_v2nom nom nom NA {domain} 1"
    assert lines[5] == f"0 SSG typical m40 -40 v1min_v2min min min NA {domain} 1"
    assert lines[-1] == f"0 TT typical 85 85 v1nom_v2nom nom nom NA {domain} 1"
    # each call in a subshell: `leak` never grows, the `cd /` never sticks


def test_a_failing_core_func_is_reported_and_the_others_still_run(tmp_path):
    domain = fixture_domain(tmp_path, set_keys((FIXTURE / "config.cfg").read_text(), gsgf="No"))
    (domain / "usr_script.sh").write_text(
        'usr_script () {\n core_func () {\n  echo $i$k >> done.txt\n  [ "$k" != 125 ]\n }\n}\n'
    )
    p = sim_pvt(domain, "usr_script", env=fixture_env(PAIHO_CORNERS="TT"))
    assert p.returncode == 1
    assert "core_func failed for 5 of 12 points" in p.stderr
    assert "TT/typical/typical_125/v1max_v2min" in p.stderr
    assert len((domain / "done.txt").read_text().splitlines()) == 12


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (None, "./usr_script.sh not found"),
        ("x=1\n", "defines no usr_script function"),
        ("usr_script () { :; }\n", "defined no core_func function"),
    ],
)
def test_missing_pieces_are_one_line_errors(tmp_path, script, message):
    domain = fixture_domain(tmp_path)
    if script is not None:
        (domain / "usr_script.sh").write_text(script)
    p = sim_pvt(domain, "usr_script", env=fixture_env())
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and message in p.stderr


@pytest.mark.ngspice
def test_the_shipped_example_runs_unchanged_after_a_real_run(tmp_path):
    domain = our_domain(tmp_path)
    shutil.copy(EXAMPLE, domain / "usr_script.sh")
    env = {
        **os.environ,
        "PAIHO_CORE": str(REPO / "pai_ho_core"),
        "PAIHO_CORNERS": "TT",
        "PAIHO_TEMPS": "85 100",
        "PAIHO_JOBS": "2",
        "PAIHO_BKP_TIMESTAMP": "202611230000",
        "usr_script": "Yes",
    }
    p = subprocess.run(
        ["bash", "runme.sh"], cwd=domain, env=env, capture_output=True, text=True, check=False
    )
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert "usr_script: core_func ran for 2 points" in p.stdout
    bkp = domain / "00bkp_202611230000" / "report"
    summary = (domain / "usr_summary.txt").read_text().splitlines()
    assert len(summary) == 3
    names = (bkp / "report_TT_typical_85_v1nom_v2nom.txt").read_text().splitlines()[0]
    assert summary[0] == "corner\textraction\ttemp\tvt\tlv1\tlv2\tlv3\t" + names.rstrip("\t")
    assert summary[0].split("\t")[7:10] == ["ioh_0", "ioh", "ioh0"]
    for row, temp in zip(summary[1:], ("85", "100"), strict=True):
        values = (bkp / f"report_TT_typical_{temp}_v1nom_v2nom.txt").read_text().splitlines()[1]
        assert row == f"TT\ttypical\t{temp}\tv1nom_v2nom\tnom\tnom\tNA\t" + values.rstrip("\t")
        assert float(row.split("\t")[7]) < 0  # ioh_0: a real, sourced current
