"""What each config.cfg key means, in one line: the help text the web form shows beside
every key and the "Key help" table of docs/config.md (tests/test_web_compare_trend.py checks
the doc against this dict, so the text has one source)."""

from __future__ import annotations

from collections.abc import Mapping

KEY_HELP: Mapping[str, str] = {
    "mode": "layout stage: prelay (schematic) or polo/postlay (the post-layout netlist branch)",
    "vccn": "pad supply rail: the supply-table row (e.g. 1p8v) giving vccn's min/nom/max volts",
    "vcctx": "transmit supply rail: the vcctx_* supply-table row (vcctx_NA: not used)",
    "1st_supply_swp": "the rail swept as v1 (min/nom/max from its row and condition)",
    "2nd_supply_swp": "the rail swept as v2, or NA for a one-supply job",
    "3rd_supply_swp": "the rail swept as v3, or NA; needs a 2nd sweep",
    "condition": "which supply-table columns give min/max: perf, func, htol or hvqk",
    "CPU #": "CPUs asked of the batch system per simulation (1..9999)",
    "MEM [G]": "memory in GiB asked of the batch system per simulation (1..9999)",
    "alter_extraction": "Yes: read every .alter run of the bench, one creport row each (swp)",
    "alter_string#": "how many characters of each .alter run's .TITLE make its swp label",
    "sim_mode": "analysis and supply table: ac, dc, or tran/tr (table_supply_list.csv)",
    "gs/gf_corner": "Yes: add the cross corners (FFG_SSG, SSG_FFG) to the corner list",
    "vcc_vid": "Yes: vcc volts from the per-corner vcc_vid_* rows (VID) instead of the vcc row",
    "simulator": "the simulator the core drives: ngspice here (primesim, finesim on site)",
    "vcc": "core supply row: vcc or a vcc_* row (not vcc_vid_*); default vcc",
    "vccana": "analog supply row: a vccana* row; default vccana",
    "postlay_cross_cornerlist": "post-layout cross corners: default, full, or custom:<corners>",
    "mc_samples": "Monte Carlo (ours): samples per chosen point, 1..99999; present = an mc stage",
    "mc_seed": "Monte Carlo: the run's seed, 0..999999999 (sample k's seed derives from it); 1",
    "mc_kind": "Monte Carlo: mismatch (at the PVT corners) or process+mismatch (at TT)",
    "mc_at": "Monte Carlo: worst (each measurement's worst PVT point) or CORNER/T entries",
}
