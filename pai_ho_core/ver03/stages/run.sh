# shellcheck shell=bash
# run: simulate every point where it lies, PAIHO_JOBS at a time (default: every core).
# PAIHO_SIM_TIMEOUT (seconds, default none) bounds one simulation. Every point is tried;
# the stage fails afterwards naming each point that did not complete.
# PAIHO_SLOT_DIR makes the CPU budget machine-wide: every simulation first takes one of
# PAIHO_SLOTS (default: every core) lock files there, so several jobs started at once (by
# the harness's parallel workers, say) never run more simulations together than that.
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh

# Holds one machine-wide slot on fd 9 until the calling subshell exits.
run_take_slot() {
    local slots=${PAIHO_SLOTS:-$(nproc 2>/dev/null || echo 1)} i
    mkdir -p "$PAIHO_SLOT_DIR"
    while :; do
        for ((i = 0; i < slots; i++)); do
            exec 9>> "$PAIHO_SLOT_DIR/slot.$i"
            if flock -n 9; then return 0; fi
            exec 9>&-
        done
        sleep 0.05
    done
}

run_point() {
    local corner ex t vt dir start rc=0 status
    read -r corner ex t vt _ <<< "$1"
    dir=$(pvt_dir "$corner" "$ex" "$t" "$vt")
    [ -z "${PAIHO_SLOT_DIR:-}" ] || run_take_slot
    start=$(paiho_now)
    if [ ! -f "$dir/$PAIHO_TB.sp" ]; then
        echo "ERROR: $dir/$PAIHO_TB.sp missing; run the gen stage first" >&2
        rc=3
    elif [ -n "${PAIHO_SIM_TIMEOUT:-}" ]; then
        timeout --kill-after=5 "$PAIHO_SIM_TIMEOUT" \
            bash "$PAIHO_CORE/simulation/run_point.sh" "$dir" "$PAIHO_TB" "$CFG_simulator" "$CFG_cpu" || rc=$?
    else
        bash "$PAIHO_CORE/simulation/run_point.sh" "$dir" "$PAIHO_TB" "$CFG_simulator" "$CFG_cpu" || rc=$?
    fi
    status=Done
    [ "$rc" -eq 0 ] || status="failed (exit $rc)"
    [ "$rc" -ne 124 ] || status="failed (timeout ${PAIHO_SIM_TIMEOUT}s)"
    # One line per point; short appends are atomic, so parallel points never interleave.
    printf '%s %s %s %s %s %ss\n' "$corner" "$ex" "$t" "$vt" "$status" "$(paiho_elapsed "$start" "$(paiho_now)")" \
        | tee -a job_log.txt
    return "$rc"
}

stage_run() {
    local n jobs
    n=$(printf '%s\n' "$PAIHO_POINTS" | grep -c .)
    jobs=$(paiho_jobs)
    echo "run: $n points with $CFG_simulator, $jobs at a time"
    if ! paiho_parallel "$jobs" run_point <<< "$PAIHO_POINTS"; then
        local nf
        nf=$(printf '%s' "$PAIHO_FAILED" | grep -c .)
        echo "ERROR: run: $nf of $n points failed:" >&2
        printf '%s' "$PAIHO_FAILED" | while read -r c e t v _; do
            echo "  $(pvt_dir "$c" "$e" "$t" "$v")" >&2
        done
        exit 1
    fi
    echo "run: done, $n points"
}
