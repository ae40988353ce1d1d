#!/usr/bin/env bash
# runme.sh [script_opt]: the PVT job of this domain (default gen -> run -> ext -> srt -> bkp).
# The core is $PAIHO_CORE, or ../../../pai_ho_core relative to this script (repo layout
# domains/<family>/<voltage>/runme.sh). script_opt: see the core's runme_script/runme.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
core=${PAIHO_CORE:-$here/../../../pai_ho_core}
if [ ! -f "$core/ver03/runme_script/runme.sh" ]; then
    echo "ERROR: runme.sh: core not found at $core (set PAIHO_CORE)" >&2
    exit 2
fi
cd "$here"
exec bash "$core/ver03/runme_script/runme.sh" "$@"
