# shellcheck shell=bash
# run: simulate every point where it lies, PAIHO_JOBS at a time (default: every core).
# PAIHO_SIM_TIMEOUT (seconds, default none) bounds one simulation. Every point is tried;
# the stage fails afterwards naming each point that did not complete.
# PAIHO_SLOT_DIR makes the CPU budget machine-wide: every simulation first takes one of
# PAIHO_SLOTS (default: every core) lock files there, so several jobs started at once (by
# the harness's parallel workers, say) never run more simulations together than that.
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh

# Holds one machine-wide slot on fd 9 until the calling subshell exits (PAIHO_NSLOTS is
# checked by stage_run). Waiters queue on one lock (fd 8, blocking: no CPU spent), so only
# the first of them looks for a free slot: every slot tried at once, then a wait of at most
# 50 ms on one of them in turn. (Every waiter polling every slot cost a third of a core with
# six waiters, taken from the simulations.)
run_take_slot() {
    local i k=0
    exec 8>> "$PAIHO_SLOT_DIR/queue"
    flock 8
    while :; do
        for ((i = 0; i < PAIHO_NSLOTS; i++)); do
            exec 9>> "$PAIHO_SLOT_DIR/slot.$i"
            if flock -n 9; then
                exec 8>&-
                return 0
            fi
            exec 9>&-
        done
        exec 9>> "$PAIHO_SLOT_DIR/slot.$k"
        if flock -w 0.05 9; then
            exec 8>&-
            return 0
        fi
        exec 9>&-
        k=$(((k + 1) % PAIHO_NSLOTS))
    done
}

run_point() {
    local corner ex t vt
    read -r corner ex t vt _ <<< "$1"
    # (pvt_dir, without a subshell: once per point)
    run_dir "$corner/$ex/${ex}_$t/$vt" "$corner $ex $t $vt" job_log.txt
}

# run_dir <dir> <label> <log>: simulates the netlist of one directory (a PVT point, or a
# Monte Carlo sample: stages/mc.sh) under the slot budget and the timeout; appends
# `<label> <status> <elapsed>s` to <log> and prints it.
run_dir() {
    local dir=$1 label=$2 joblog=$3 start end elapsed line rc=0 status
    [ -z "${PAIHO_SLOT_DIR:-}" ] || run_take_slot
    start=${EPOCHREALTIME/[.,]/} # paiho_now, without a subshell
    if [ ! -f "$dir/$PAIHO_TB.sp" ]; then
        echo "ERROR: $dir/$PAIHO_TB.sp missing; run the gen stage first" >&2
        rc=3
    elif [ -n "${PAIHO_SIM_TIMEOUT:-}" ]; then
        timeout --kill-after=5 "$PAIHO_SIM_TIMEOUT" \
            bash "$PAIHO_CORE/simulation/run_point.sh" "$dir" "$PAIHO_TB" "$CFG_simulator" "$CFG_cpu" || rc=$?
    else
        # run_point.sh read into a forked copy of this shell rather than a new bash
        # (~2 ms less per point: no exec, no start-up), with its arguments and exit status.
        # Bash ignores errexit here (inside `if ! paiho_parallel`): run_point.sh checks each
        # command itself. Traps are reset in a subshell; the stage's variables are visible
        # to it (it reads only exported ones).
        # shellcheck source=/dev/null
        (. "$PAIHO_CORE/simulation/run_point.sh" "$dir" "$PAIHO_TB" "$CFG_simulator" "$CFG_cpu") || rc=$?
    fi
    status=Done
    [ "$rc" -eq 0 ] || status="failed (exit $rc)"
    [ "$rc" -ne 124 ] || status="failed (timeout ${PAIHO_SIM_TIMEOUT}s)"
    # One line per point; short appends are atomic, so parallel points never interleave.
    end=${EPOCHREALTIME/[.,]/}
    paiho_elapsed elapsed "$start" "$end"
    printf -v line '%s %s %ss' "$label" "$status" "$elapsed"
    printf '%s\n' "$line" >> "$joblog"
    printf '%s\n' "$line"
    return "$rc"
}

# run_setup: the run's budget (PAIHO_NJOBS, PAIHO_NSLOTS), its timeout checked, and the
# per-job constants (models directory, ngspice version) resolved once.
run_setup() {
    paiho_jobs
    if [ -n "${PAIHO_SLOT_DIR:-}" ]; then
        PAIHO_NSLOTS=${PAIHO_SLOTS-}
        [ -n "$PAIHO_NSLOTS" ] || PAIHO_NSLOTS=$(paiho_ncpu)
        paiho_posint PAIHO_SLOTS "$PAIHO_NSLOTS"
        mkdir -p -- "$PAIHO_SLOT_DIR"
    elif [ -n "${PAIHO_SLOTS-}" ]; then
        paiho_posint PAIHO_SLOTS "$PAIHO_SLOTS"
    fi
    if [ -n "${PAIHO_SIM_TIMEOUT-}" ] && { ! [[ $PAIHO_SIM_TIMEOUT =~ ^[0-9]{1,7}(\.[0-9]{1,6})?$ ]] || ! [[ $PAIHO_SIM_TIMEOUT =~ [1-9] ]]; }; then
        echo "ERROR: PAIHO_SIM_TIMEOUT='$PAIHO_SIM_TIMEOUT' must be a positive number of seconds" >&2
        exit 2
    fi
    if [ "$CFG_simulator" = ngspice ]; then
        # What is the same for every point (models directory, ngspice version) is resolved
        # once here, not per point; when it cannot be, each point says why.
        local consts k v
        if consts=$(bash "$PAIHO_CORE/simulation/job_env.sh" 2>/dev/null); then
            while IFS='=' read -r k v; do
                case $k in
                    PAIHO_SKY130_MODELS | PAIHO_NGSPICE_VERSION) export "$k=$v" ;;
                esac
            done <<< "$consts"
        fi
    fi
}

stage_run() {
    local n
    n=$(paiho_count "$PAIHO_POINTS")
    run_setup
    echo "run: $n points with $CFG_simulator, $PAIHO_NJOBS at a time"
    if ! paiho_parallel "$PAIHO_NJOBS" run_point <<< "$PAIHO_POINTS"; then
        local nf
        nf=$(paiho_count "$PAIHO_FAILED")
        echo "ERROR: run: $nf of $n points failed:" >&2
        local c e t v d
        while read -r c e t v _; do
            [ -n "$c" ] || continue
            d=$(pvt_dir "$c" "$e" "$t" "$v")
            echo "  $d" >&2
        done <<< "$PAIHO_FAILED"
        exit 1
    fi
    echo "run: done, $n points"
}
