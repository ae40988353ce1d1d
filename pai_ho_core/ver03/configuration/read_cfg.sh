# shellcheck shell=bash
# Sourced by sim_pvt.sh. Validates the config and loads it, with its corner lists and
# supply values, into CFG_* variables (see read_cfg.pl for the list).
# PAIHO_CONF_DIR points at another configuration/ directory (a site's real tables).

paiho_read_cfg() {
    local cfg=$1 conf_dir=${PAIHO_CONF_DIR:-$PAIHO_CORE/configuration} out
    [ -f "$cfg" ] || { echo "ERROR: $cfg: config file not found" >&2; exit 2; }
    out=$(perl "$PAIHO_CORE/configuration/read_cfg.pl" "$cfg" "$conf_dir") || exit 2
    eval "$out"
    # shellcheck disable=SC2206,SC2034  # space-separated numbers by construction; used by the stages
    CFG_vid_values=($CFG_vid)
}
