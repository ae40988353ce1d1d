"""Tests of pai_ho_core/ver03/tb_gen/gen_tb.pl (WKPUP2_CONTRACT.md section 4)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GEN = REPO / "pai_ho_core" / "ver03" / "tb_gen" / "gen_tb.pl"
FIXTURE = REPO / "tests" / "data" / "wkpup2_ver03_gpio"  # the real run: tests/data/README.md

# default synthetic supply values (distinct numbers so each rule's source is visible)
SUPPLY = {
    "vccmin": "0.69",
    "vccnom": "0.78",
    "vccmax": "0.88",
    "vcnmin": "0.99",
    "vcnnom": "1.1",
    "vcnmax": "1.188",
    "vccanamin": "0.715",
    "vccananom": "0.75",
    "vccanamax": "0.785",
    "vctxmin": "0.575",
    "vctxnom": "0.6",
    "vctxmax": "0.625",
}
SUPPLY_ORDER = [
    "vccmin",
    "vccnom",
    "vccmax",
    "vcnmin",
    "vcnnom",
    "vcnmax",
    "vccanamin",
    "vccananom",
    "vccanamax",
    "vctxmin",
    "vctxnom",
    "vctxmax",
]
VID_ROWS = ["tt_h", "tt_c", "ff_h", "ff_c", "ss_h", "ss_c"]
# synthetic VID values: <row>_<trend> -> unique number
VID = {
    f"{r}_{t}": f"0.{i}{j}1"
    for i, r in enumerate(VID_ROWS, 1)
    for j, t in enumerate(["min", "nom", "max"], 1)
}


def gen_args(
    template,
    corner="TT",
    ex="typical",
    ttok="m40",
    t=("min", "max", "NA"),
    s=("vcc", "vccn", "NA"),
    supply=None,
    vcc_vid="No",
    vid=None,
):
    sup = dict(SUPPLY, **(supply or {}))
    v = dict(VID, **(vid or {}))
    args = [str(template), corner, ex, ttok, *t, *s]
    args += [sup[k] for k in SUPPLY_ORDER]
    args.append(vcc_vid)
    args += [v[f"{r}_{tr}"] for r in VID_ROWS for tr in ("min", "nom", "max")]
    assert len(args) == 41
    return args


def run_gen(args, check=True):
    p = subprocess.run(["perl", str(GEN), *args], capture_output=True)
    if check:
        assert p.returncode == 0, p.stderr.decode()
    return p


def gen_lines(tmp_path, text, **kw):
    tpl = tmp_path / "t.sp"
    tpl.write_bytes(text.encode() if isinstance(text, str) else text)
    out = run_gen(gen_args(tpl, **kw)).stdout.decode()
    return out.split("\n")


def test_perl_compiles():
    p = subprocess.run(["perl", "-wc", str(GEN)], capture_output=True, text=True)
    assert p.returncode == 0 and "syntax OK" in p.stderr


# ---- rule 1: .temp -------------------------------------------------------
@pytest.mark.parametrize(
    "ttok,expect", [("m40", "-40"), ("125", "125"), ("85", "85"), ("100", "100")]
)
def test_rule1_temp(tmp_path, ttok, expect):
    out = gen_lines(tmp_path, "* x\n.temp 25\n", ttok=ttok)
    assert out[1] == f".temp {expect}"


def test_rule1_any_char_before_temp(tmp_path):
    # any line containing <char>"temp " is rewritten (real-flow behaviour), even a comment
    out = gen_lines(tmp_path, "* the temp is set below\n.param vcn=1\n", ttok="125")
    assert out[0] == ".temp 125"
    # "temp" at line start (no preceding char) or without trailing space is not a match
    out = gen_lines(tmp_path, "temp x\n* tempx\n", ttok="125")
    assert out[:2] == ["temp x", "* tempx"]


def test_rule1_wins_over_later_rules(tmp_path):
    out = gen_lines(tmp_path, '.lib "$DP_HSPICE_MODEL" TT $ xtemp 3\n', corner="FFG", ttok="125")
    assert out[0] == ".temp 125"


# ---- rule 2: DP_HSPICE_MODEL --------------------------------------------
def test_rule2_corner(tmp_path):
    out = gen_lines(tmp_path, '.lib "$DP_HSPICE_MODEL" TT\n', corner="FFG_SSG")
    assert out[0] == '.lib "$DP_HSPICE_MODEL" FFG_SSG'
    out = gen_lines(tmp_path, '.lib "$DP_HSPICE_MODEL" TT extra stuff\n', corner="SSAG")
    assert out[0] == '.lib "$DP_HSPICE_MODEL" SSAG'


# ---- rule 3: _tparam_typical.spf / .red.spf -------------------------------
def test_rule3_spf(tmp_path):
    text = '.inc "/a/b/dut_tparam_typical.spf" $ rest\n.inc "/a/b/dut_tparam_typical.red.spf"\n'
    out = gen_lines(tmp_path, text, ex="cworst_CCworst_T")
    assert out[0] == '.inc "/a/b/dut_tparam_cworst_CCworst_T.spf"'
    assert out[1] == '.inc "/a/b/dut_tparam_cworst_CCworst_T.red.spf"'


# ---- rule 4: _lib.lib section --------------------------------------------
@pytest.mark.parametrize(
    "t,s,section",
    [
        (("min", "max", "NA"), ("vcc", "vccn", "NA"), "TT_typical_m40_v1min_v2max"),
        (("nom", "NA", "NA"), ("vcc", "NA", "NA"), "TT_typical_m40_v1nom"),
        (("min", "max", "nom"), ("vcc", "vcctx", "vccn"), "TT_typical_m40_v1min_v2max_v3nom"),
        # real quirk: 3-supply vccn_vcctx config gets no _v3
        (("min", "max", "nom"), ("vcc", "vccana", "vccn_vcctx"), "TT_typical_m40_v1min_v2max"),
    ],
)
def test_rule4_lib_section(tmp_path, t, s, section):
    out = gen_lines(tmp_path, '.lib "/x/y/io_lib.lib" TT_typical_100\n', t=t, s=s)
    assert out[0] == f'.lib "/x/y/io_lib.lib" {section}'


# ---- rule 5: vcn ----------------------------------------------------------
@pytest.mark.parametrize(
    "t,s,expect",
    [
        (("min", "max", "NA"), ("vcc", "vccn", "NA"), "1.188"),
        (("max", "min", "NA"), ("vcc", "vccn", "NA"), "0.99"),
        (("max", "NA", "NA"), ("vccn", "NA", "NA"), "1.188"),
        (("min", "min", "nom"), ("vcc", "vcctx", "vccn_vcctx"), "1.1"),
        (("min", "max", "NA"), ("vcc", "vccana", "NA"), None),  # not swept: template value
    ],
)
def test_rule5_vcn(tmp_path, t, s, expect):
    out = gen_lines(tmp_path, ".param vcn=9.9\n", t=t, s=s)
    assert out[0] == (f".param vcn={expect}" if expect else ".param vcn=9.9")


# ---- rule 6: vsh ----------------------------------------------------------
@pytest.mark.parametrize(
    "trend,expect",
    [
        ("max", '"((1.1-0.8)*vcn/1.1)+0.05"'),
        ("nom", '"((1.1-0.85)*vcn/1.1)"'),
        ("min", '"((1.1-0.85)*vcn/1.1)-0.05"'),
    ],
)
def test_rule6_vsh(tmp_path, trend, expect):
    out = gen_lines(tmp_path, '.param vsh="vcn*0.35/1.1"\n', t=("nom", trend, "NA"))
    assert out[0] == f".param vsh={expect}"


def test_rule6_vsh_uses_vcnnom_literally(tmp_path):
    out = gen_lines(tmp_path, ".param vsh=1\n", t=("nom", "max", "NA"), supply={"vcnnom": "1.05"})
    assert out[0] == '.param vsh="((1.05-0.8)*vcn/1.05)+0.05"'


def test_rule6_vsh_unchanged_when_vccn_not_swept(tmp_path):
    out = gen_lines(
        tmp_path, '.param vsh="vcn*0.35/1.1"\n', t=("max", "NA", "NA"), s=("vcc", "NA", "NA")
    )
    assert out[0] == '.param vsh="vcn*0.35/1.1"'


# ---- rule 7: vc (incl. VID) -------------------------------------------------
@pytest.mark.parametrize(
    "corner,ttok,trend,vid,expect",
    [
        ("TT", "m40", "min", "No", "0.69"),
        ("TT", "125", "max", "No", "0.88"),
        ("TT", "m40", "min", "Yes", VID["tt_c_min"]),
        ("FSG", "125", "nom", "Yes", VID["tt_h_nom"]),
        ("SFG", "m40", "max", "Yes", VID["tt_c_max"]),
        ("FFG", "125", "max", "Yes", VID["ff_h_max"]),  # UT-003
        ("FFG_SSG", "m40", "min", "Yes", VID["ff_c_min"]),
        ("FFAG", "125", "nom", "Yes", VID["ff_h_nom"]),
        ("SSG", "125", "min", "Yes", VID["ss_h_min"]),
        ("SSG_FFG", "m40", "max", "Yes", VID["ss_c_max"]),
        ("SSAG", "m40", "nom", "Yes", VID["ss_c_nom"]),
        ("TT", "85", "nom", "Yes", "0.78"),  # 85/100 use the normal vcc row
        ("FFG", "100", "nom", "Yes", "0.78"),
    ],
)
def test_rule7_vc(tmp_path, corner, ttok, trend, vid, expect):
    out = gen_lines(
        tmp_path, ".param vc=0.75\n", corner=corner, ttok=ttok, t=(trend, "nom", "NA"), vcc_vid=vid
    )
    assert out[0] == f".param vc={expect}"


def test_rule7_vc_unchanged_when_s1_not_vcc(tmp_path):
    out = gen_lines(
        tmp_path,
        ".param vc=0.75\n",
        t=("max", "min", "NA"),
        s=("vccana", "vccn", "NA"),
        vcc_vid="Yes",
    )
    assert out[0] == ".param vc=0.75"


# ---- rule 8: vctx -------------------------------------------------------------
@pytest.mark.parametrize(
    "t,s,expect",
    [
        (("min", "max", "NA"), ("vcc", "vcctx", "NA"), "0.625"),
        (("min", "min", "NA"), ("vcc", "vcctx", "NA"), "0.575"),
        (("min", "min", "max"), ("vcc", "vccana", "vccn_vcctx"), "0.625"),
        (("min", "max", "NA"), ("vcc", "vccn", "NA"), "0.6"),  # not swept -> ALWAYS vctxnom
        (("max", "NA", "NA"), ("vcc", "NA", "NA"), "0.6"),
    ],
)
def test_rule8_vctx(tmp_path, t, s, expect):
    out = gen_lines(tmp_path, ".param vctx=0.7\n", t=t, s=s)
    assert out[0] == f".param vctx={expect}"


def test_rule8_vctx_quoted_expression(tmp_path):
    q = '"0.5*vcn"'
    out = gen_lines(
        tmp_path, ".param vctx=0.7\n", supply={"vctxmin": q, "vctxnom": q, "vctxmax": q}
    )
    assert out[0] == '.param vctx="0.5*vcn"'


# ---- rule 9: vccana -----------------------------------------------------------
@pytest.mark.parametrize(
    "t,s,expect",
    [
        (("max", "NA", "NA"), ("vccana", "NA", "NA"), "0.785"),
        (("max", "min", "NA"), ("vcc", "vccana", "NA"), "0.715"),
        (("max", "min", "NA"), ("vcc", "vccn", "NA"), None),
    ],
)
def test_rule9_vccana(tmp_path, t, s, expect):
    out = gen_lines(tmp_path, ".param vccana=0.75\n", t=t, s=s)
    assert out[0] == (f".param vccana={expect}" if expect else ".param vccana=0.75")


# ---- rule 10 + structure ------------------------------------------------------
LINE52 = '.lib "/nfs/site/disks/x/common/lib/bkp/weakpullup.lib" enable\n'


def test_rule10_verbatim_and_line52(tmp_path):
    text = (
        "* title\n"
        + '.lib "/nfs/x/cb.lib" default\n'
        + LINE52
        + '.lib "/nfs/x/xover.lib" gear4\n'
        + ".param gts=9.2e9\n"
        + ".tran 20p 10u\n"
    )
    out = gen_lines(tmp_path, text, corner="FFG", ttok="125", vcc_vid="Yes")
    assert "\n".join(out) == text


def test_line_count_and_endings_preserved(tmp_path):
    text = (
        b"* a\r\n.temp 25\r\n.param vcn=1\n\n.param vc=0.7\n"
        b'.lib "$DP_HSPICE_MODEL" TT\r\n.end'
    )  # final line without newline
    tpl = tmp_path / "t.sp"
    tpl.write_bytes(text)
    out = run_gen(gen_args(tpl, ttok="125")).stdout
    # contract §9.1: every generated line ends in "\n", the last one included
    assert out == (
        b"* a\r\n.temp 125\r\n.param vcn=1.188\n\n.param vc=0.69\n"
        b'.lib "$DP_HSPICE_MODEL" TT\r\n.end\n'
    )
    assert out.count(b"\n") == text.count(b"\n") + 1


def test_many_lines_count(tmp_path):
    lines = [
        ".temp 1",
        ".param vcn=1",
        ".param vc=1",
        ".param vctx=1",
        ".param vsh=1",
        ".param vccana=1",
        '.lib "$DP_HSPICE_MODEL" TT',
        "x _lib.lib y",
        "plain",
    ] * 7
    text = "\n".join(lines) + "\n"
    out = gen_lines(tmp_path, text)
    assert len(out) - 1 == len(lines)


@pytest.mark.parametrize("n", [0, 1, 40, 42, 44])
def test_wrong_argument_count(tmp_path, n):
    tpl = tmp_path / "t.sp"
    tpl.write_text(".temp 1\n")
    args = (gen_args(tpl) + ["x"] * 10)[:n]
    p = run_gen(args, check=False)
    assert p.returncode == 2
    assert p.stdout == b""
    err = p.stderr.decode()
    assert err.count("\n") == 1 and "usage" in err


def test_missing_template(tmp_path):
    p = run_gen(gen_args(tmp_path / "nope.sp"), check=False)
    assert p.returncode == 2 and p.stderr.decode().count("\n") == 1


# ---- real fixture: 12 TT netlists byte for byte -----------------------------------
def read_config(path: Path) -> dict:
    cfg = {}
    for line in path.read_text().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            cfg[k] = v
    return cfg


COND_COLS = {  # condition -> 0-based column index of (min, nom, max); c2..c8 = idx 1..7
    "func": (1, 3, 5),
    "perf": (2, 3, 4),
    "htol": (1, 3, 6),
    "hvqk": (1, 3, 7),
}


def read_supply_table(cfg: dict, confdir: Path) -> dict:
    """rail row -> (min, nom, max) raw strings, per contract section 3."""
    name = {"ac": "table_supply_list_ac.csv", "dc": "table_supply_list_dc.csv"}.get(
        cfg["sim_mode"], "table_supply_list.csv"
    )
    cols = COND_COLS[cfg["condition"]]
    rows = {}
    for line in (confdir / name).read_text().splitlines()[1:]:
        f = line.split(",")  # raw cells: quotes are kept (vcctx_NA -> "0.5*vcn")
        rows[f[0]] = tuple(f[c] for c in cols)
    return rows


def fixture_gen_args(template: Path, cfg: dict, rows: dict, corner, ex, ttok, vt):
    parts = vt.split("_")
    t = [p[2:] for p in parts] + ["NA"] * (3 - len(parts))
    s = [cfg["1st_supply_swp"], cfg["2nd_supply_swp"], cfg["3rd_supply_swp"]]
    vals = []
    for rail in (cfg.get("vcc", "vcc"), cfg["vccn"], cfg.get("vccana", "vccana"), cfg["vcctx"]):
        vals += list(rows[rail])
    vid = []
    for r in VID_ROWS:
        vid += list(rows[f"vcc_vid_{r}"])
    return [str(template), corner, ex, ttok, *t, *s, *vals, cfg["vcc_vid"], *vid]


def real_netlists():
    return sorted((FIXTURE / "00bkp_202510301443" / "tb_bkp").glob("typical_*/*/sim_tx.sp"))


def test_real_fixture_has_12_netlists():
    assert len(real_netlists()) == 12


@pytest.mark.parametrize(
    "netlist", real_netlists(), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}"
)
def test_real_tt_netlist_byte_identical(netlist):
    cfg = read_config(FIXTURE / "config.cfg")
    rows = read_supply_table(cfg, FIXTURE / "configuration")
    ex, ttok = netlist.parent.parent.name.split("_", 1)
    args = fixture_gen_args(
        FIXTURE / "template" / "sim_tx.sp", cfg, rows, "TT", ex, ttok, netlist.parent.name
    )
    assert len(args) == 41
    out = run_gen(args).stdout
    assert out == netlist.read_bytes()
    # line 52 (weakpullup.lib enable) untouched
    assert out.split(b"\n")[51].endswith(b'weakpullup.lib" enable')
