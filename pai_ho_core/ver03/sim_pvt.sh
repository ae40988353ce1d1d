#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# sim_pvt.sh <config.cfg> <stage> [ex]
#
# The PVT flow, one stage per call, run from the domain directory (the one holding
# config.cfg, template/ and runme.sh):
#   gen         write one testbench per PVT point from template/<tb>.sp (gen_tb.pl)
#   run         simulate every point (locally, PAIHO_JOBS at a time; default: all cores)
#   chk         job_stat.log + rerun.sh: which points finished, which did not
#   ext         report/report_<CORNER>_<EX>_<T>_<vt>.txt per point, waveforms to compiled_waveform/
#   srt         report/creport.txt, every point in loop order
#   mc          Monte Carlo samples (ours, config key mc_samples): [gen|run|ext] -> report/mcreport.txt
#   bkp         00bkp_<YYYYMMDDHHMM>/ holding report/, simulation.log, tb_bkp/; corner dirs removed
#   usr_script  source ./usr_script.sh and loop its core_func over the points
# [ex] limits run/chk/ext to one extraction (polo: typical, cworst_CCworst_T, cbest_CCbest_T);
# for mc it is the step (gen, run or ext).
#
# Exit status: 0 ok; 1 a stage failed (the failed points are named); 2 bad usage or config.

# The real flow is started with `sh`; this one needs bash, so it hands itself over.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
# The parallel loop reaps its children with `wait -n -p` (bash 5.1).
if [ "${BASH_VERSINFO[0]}" -lt 5 ] || { [ "${BASH_VERSINFO[0]}" -eq 5 ] && [ "${BASH_VERSINFO[1]}" -lt 1 ]; }; then
    echo "ERROR: sim_pvt.sh needs bash >= 5.1 (wait -n -p); this is bash $BASH_VERSION" >&2
    exit 2
fi
set -euo pipefail
export LC_ALL=C

PAIHO_CORE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PAIHO_CORE
PAIHO_STAGES="gen run chk ext srt mc bkp usr_script"

usage="usage: sh sim_pvt.sh <config.cfg> <stage> [ex]   (stages: $PAIHO_STAGES)"
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "$usage" >&2
    exit 2
fi
cfg=$1
stage=$2
ex=${3:-}
# The stage must be one of the names, whole: "gen run", "" or "gen*" are refused here (one
# line, the usage in it), never sourced.
ok=no
for s in $PAIHO_STAGES; do
    [ "$stage" != "$s" ] || ok=yes
done
if [ "$ok" != yes ]; then
    # (a stage given with a newline or other control character is shown as printf %q does)
    if [[ $stage == *[[:cntrl:]]* ]]; then printf -v shown '%q' "$stage"; else shown="'$stage'"; fi
    echo "ERROR: stage $shown unknown; $usage" >&2
    exit 2
fi

# shellcheck source=configuration/read_cfg.sh
. "$PAIHO_CORE/configuration/read_cfg.sh"
# shellcheck source=tb_gen/pvt_loop.sh
. "$PAIHO_CORE/tb_gen/pvt_loop.sh"
# shellcheck source=stages/common.sh
. "$PAIHO_CORE/stages/common.sh"
# shellcheck source=/dev/null
. "$PAIHO_CORE/stages/$stage.sh"

paiho_check_env
paiho_read_cfg "$cfg"
paiho_find_tb
step=
if [ "$stage" = mc ]; then
    step=$ex
    ex=
fi
PAIHO_POINTS=$(pvt_points "$ex") || exit 2
export PAIHO_POINTS
"stage_$stage" "${step:-$ex}"
