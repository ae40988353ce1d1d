#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# runme.sh [script_opt] — the whole job, run from the domain directory:
#   Gen_run_compile_all (default)  gen -> run -> ext -> srt [-> mc] -> bkp [-> usr_script]
#   Gen_only                       gen
#   run_only_all                   run
#   run_only_cworst_CCworst_T      run of the cworst extraction (polo)
#   run_only_cbest_CCbest_T        run of the cbest extraction (polo)
#   compile_only                   ext -> srt -> bkp
# usr_script=Yes in the environment adds the usr_script stage at the end.
# Each step is logged to script_logging.log as `YYYYmmddHHMMSS :: <msg>`.
# When points fail, the job still extracts and sorts (their creport rows say `failed`), runs
# chk (job_stat.log, rerun.sh), and stops before bkp so that nothing of the failed points is
# deleted; it exits 1.
set -euo pipefail

core=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
opt=${1:-Gen_run_compile_all}
cfg=${PAIHO_CONFIG:-config.cfg}

# The environment and the config file are checked before script_logging.log is written:
# a job refused at its first stage leaves nothing behind (sim_pvt.sh checks them again).
# shellcheck source=stages/common.sh
. "$core/stages/common.sh"
paiho_check_env
if [ ! -f "$cfg" ] || [[ $cfg == *[[:cntrl:]]* ]]; then
    paiho_env_error PAIHO_CONFIG "$cfg" "must name the job's config file (default config.cfg); not found"
fi

log() {
    local ts
    ts=$(date +%Y%m%d%H%M%S)
    echo "$ts :: $*" >> script_logging.log
    echo "== $*"
}

stage() {
    log "start $*"
    if bash "$core/sim_pvt.sh" "$cfg" "$@"; then
        log "done $*"
    else
        local rc=$?
        log "FAILED $* (exit $rc)"
        return "$rc"
    fi
}

compile_all() {
    local job_failed=${1:-0}
    stage ext || job_failed=1
    stage srt
    if [ "$job_failed" -ne 0 ]; then
        stage chk || true
        log "points failed: backup skipped, point directories kept; see job_stat.log and rerun.sh"
        exit 1
    fi
    # Monte Carlo (ours, config key mc_samples): after srt, before bkp; failed samples keep
    # the directories (no bkp), as failed points do.
    if grep -q '^mc_samples:' "$cfg"; then
        if ! stage mc; then
            log "samples failed: backup skipped, mc/ kept; see mc/mc_log.txt"
            exit 1
        fi
    fi
    stage bkp
}

case $opt in
    Gen_run_compile_all)
        stage gen
        job_failed=0
        stage run || job_failed=1
        compile_all "$job_failed"
        if [ "${usr_script:-No}" = Yes ]; then stage usr_script; fi
        ;;
    Gen_only) stage gen ;;
    run_only_all) stage run ;;
    run_only_cworst_CCworst_T) stage run cworst_CCworst_T ;;
    run_only_cbest_CCbest_T) stage run cbest_CCbest_T ;;
    compile_only) compile_all 0 ;;
    *)
        echo "ERROR: script_opt '$opt' unknown; allowed: Gen_run_compile_all, Gen_only, run_only_all, run_only_cworst_CCworst_T, run_only_cbest_CCbest_T, compile_only" >&2
        exit 2
        ;;
esac
