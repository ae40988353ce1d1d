"""Templates cannot run commands (issue #8 item 7): gen refuses a template (or a file it
includes) holding a construct that makes ngspice run a program or load code, with one line
naming the file, the line and the construct, exit 2, nothing generated; the run stage's
deck builder refuses the same in whatever it would pass to ngspice."""

from __future__ import annotations

import os
import subprocess

import pytest
from coreutil import REPO, netlists, our_domain, sim_pvt

RUN_POINT = REPO / "pai_ho_core" / "ver03" / "simulation" / "run_point.sh"
ENV = {**os.environ, "PAIHO_CORNERS": "TT", "PAIHO_TEMPS": "85"}

# (text inserted before .end, construct named in the error)
BAD = [
    (".control\nshell touch PWNED\n.endc\n", ".control"),
    (".endc\n", ".endc"),
    ("shell touch PWNED\n", "shell"),
    ("  SHELL touch PWNED\n", "shell"),
    ("codemodel /tmp/evil.cm\n", "codemodel"),
    ("pre_osdi /tmp/evil.osdi\n", "pre_osdi"),
    (".exec touch PWNED\n", ".exec"),
    ('ap1 [a] b null [c] proc1\n.model proc1 d_process (process_file="evil")\n', "d_process"),
    ('.model c1 d_cosim (simulation="/tmp/evil.so")\n', "d_cosim"),
    (".param x=`touch PWNED`\n", "`"),
]


def with_lines(domain, text, first_line=None):
    tpl = domain / "template" / "sim_tx.sp"
    body = tpl.read_text()
    body = body[: -len(".end\n")] + text + ".end\n"
    if first_line is not None:
        body = first_line + "\n" + body
    tpl.write_text(body)
    return tpl


def assert_refused(p, domain, construct, file_hint):
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert p.stderr.count("\n") == 1, p.stderr
    line = p.stderr.strip()
    assert line.startswith("ERROR: template refused: ")
    assert f": {construct}: " in line and file_hint in line
    assert netlists(domain) == []
    assert not list(domain.rglob("PWNED"))


@pytest.mark.parametrize(("text", "construct"), BAD, ids=[b[1] for b in BAD])
def test_gen_refuses_a_template_that_runs_programs(tmp_path, text, construct):
    domain = our_domain(tmp_path)
    tpl = with_lines(domain, text)
    p = sim_pvt(domain, "gen", env=ENV)
    n = tpl.read_text().splitlines().index(text.splitlines()[-1 if construct == "d_process" else 0])
    assert_refused(p, domain, construct, f"{tpl}:{n + 1}:")


def test_gen_refuses_an_ng_script_template(tmp_path):
    domain = our_domain(tmp_path)
    tpl = domain / "template" / "sim_tx.sp"
    tpl.write_text("*ng_script\n" + tpl.read_text())
    assert_refused(sim_pvt(domain, "gen", env=ENV), domain, "*ng_script", f"{tpl}:1:")


def test_gen_scans_included_files_as_ngspice_will_find_them(tmp_path):
    domain = our_domain(tmp_path)
    # the template's includes are relative to the point directories (4 levels down)
    evil = domain.parents[1] / "common" / "cir" / "evil.cir"
    evil.write_text("* looks harmless\n.include 'deeper.cir'\n")
    (evil.parent / "deeper.cir").write_text("r1 a b 1\n.control\nshell touch PWNED\n.endc\n")
    with_lines(domain, '.inc "../../../../../../common/cir/evil.cir"\n')
    p = sim_pvt(domain, "gen", env=ENV)
    assert_refused(p, domain, ".control", f"{evil.parent / 'deeper.cir'}:2:")


def test_harmless_look_alikes_pass(tmp_path):
    domain = our_domain(tmp_path)
    # an inductor named load, a comment that mentions .control and shell, a title word
    with_lines(domain, "* .control and shell are mentioned here only\nload nl 0 1n\n")
    p = sim_pvt(domain, "gen", env=ENV)
    assert p.returncode == 0, p.stderr
    assert len(netlists(domain)) == 1


def run_point(domain):
    return subprocess.run(
        ["bash", str(RUN_POINT), "TT/typical/typical_85/v1nom_v2nom", "sim_tx", "ngspice", "1"],
        cwd=domain,
        env=ENV,
        capture_output=True,
        text=True,
    )


def test_the_deck_builder_refuses_what_gen_never_saw(tmp_path):
    """A netlist edited after gen, or an include that appeared later: nothing reaches ngspice."""
    domain = our_domain(tmp_path)
    assert sim_pvt(domain, "gen", env=ENV).returncode == 0
    point = domain / "TT/typical/typical_85/v1nom_v2nom"
    sp = point / "sim_tx.sp"
    clean = sp.read_text()
    sp.write_text(clean.replace("\n.end\n", "\n.control\nshell touch PWNED\n.endc\n.end\n"))
    p = run_point(domain)
    assert p.returncode != 0 and p.stderr.count("\n") == 1, p.stderr
    assert p.stderr.startswith(f"ERROR: deck refused: {sp}:")
    assert ": .control: " in p.stderr
    assert not (point / "sim_tx.cir").exists() and not (point / "sim_tx.log").exists()
    late = point / "late.inc"
    late.write_text("* appears after gen\nshell touch PWNED\n")
    sp.write_text(clean.replace("\n.end\n", '\n.include "late.inc"\n.end\n'))
    p = run_point(domain)
    assert p.returncode != 0 and f"{late}:2: shell: " in p.stderr
    assert not list(domain.rglob("PWNED"))
