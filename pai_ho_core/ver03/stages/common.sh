# shellcheck shell=bash
# Helpers shared by the stages: testbench name, CPU budget, parallel loop, logging.
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh

# The testbench is the one *.sp file in template/ (the real flow took whatever
# `ls template | grep -e '.sp'` printed; here anything but exactly one is an error).
paiho_find_tb() {
    local -a sp=()
    [ -d template ] || { echo "ERROR: $PWD/template: directory not found; run sim_pvt.sh from the domain directory" >&2; exit 2; }
    shopt -s nullglob
    sp=(template/*.sp)
    shopt -u nullglob
    if [ "${#sp[@]}" -ne 1 ]; then
        echo "ERROR: template/ must hold exactly one *.sp testbench, found ${#sp[@]}: ${sp[*]:-none}" >&2
        exit 2
    fi
    # A directory or a dangling link named *.sp would give empty netlists.
    if [ ! -f "${sp[0]}" ] || [ ! -r "${sp[0]}" ]; then
        echo "ERROR: ${sp[0]}: the testbench template is not a readable regular file" >&2
        exit 2
    fi
    PAIHO_TB=${sp[0]#template/}
    PAIHO_TB=${PAIHO_TB%.sp}
    if ! [[ $PAIHO_TB =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]]; then
        echo "ERROR: ${sp[0]}: testbench name '$PAIHO_TB' not allowed; allowed: letters, digits, '_', '.', '-' (not first)" >&2
        exit 2
    fi
    export PAIHO_TB
}

# The number of cores (1 when nproc is missing or prints nonsense).
paiho_ncpu() {
    local n
    n=$(nproc 2>/dev/null) || n=1
    case $n in ''|*[!0-9]*|0) n=1 ;; esac
    echo "$n"
}

# paiho_posint NAME VALUE: VALUE is a positive integer (no sign, no leading zero), else a
# one-line error and exit 2. Called in the stage's own shell, never inside $(...), so the
# exit cannot be lost in a command substitution.
paiho_posint() {
    if ! [[ $2 =~ ^[1-9][0-9]{0,5}$ ]]; then
        echo "ERROR: $1='$2' must be a positive integer" >&2
        exit 2
    fi
}

# Sets PAIHO_NJOBS: how many points may run at once on this machine: PAIHO_JOBS, else
# every core.
paiho_jobs() {
    PAIHO_NJOBS=${PAIHO_JOBS-}
    [ -n "$PAIHO_NJOBS" ] || PAIHO_NJOBS=$(paiho_ncpu)
    paiho_posint PAIHO_JOBS "$PAIHO_NJOBS"
}

# paiho_count TEXT: the number of non-empty lines of TEXT.
paiho_count() {
    local line n=0
    while IFS= read -r line; do
        [ -z "$line" ] || n=$((n + 1))
    done <<< "$1"
    echo "$n"
}

# paiho_now: microseconds since the epoch (bash's EPOCHREALTIME, always 6 decimals: no
# process per call; the run stage takes two per point).
paiho_now() { printf '%s\n' "${EPOCHREALTIME/[.,]/}"; }

# paiho_elapsed <var> <start> <end>: sets <var> to end - start (paiho_now values) in seconds
# with two decimals (rounded), in bash arithmetic.
paiho_elapsed() {
    local d=$((($3 - $2 + 5000) / 10000))
    printf -v "$1" '%d.%02d' $((d / 100)) $((d % 100))
}

# paiho_parallel <max> <func>: runs `func <line>` for every stdin line, at most <max> at
# once. Returns the number of failed calls (capped at 255) and leaves the failed lines, in
# input order, in PAIHO_FAILED (newline-separated).
paiho_parallel() {
    local max=$1 func=$2 line i=0 running=0 n=0
    local -A idx_of=() reaped=()
    local -a order=() failed=()
    PAIHO_FAILED=""
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        while [ "$running" -ge "$max" ]; do paiho_reap_one; done
        "$func" "$line" &
        idx_of[$!]=$i
        # a pid the kernel reuses (pid_max 32768 wraps within a ~1,000-point job) is a new
        # job: forget that an earlier job of that pid was reaped, or its end is never
        # counted and the loop waits forever
        unset "reaped[$!]"
        order[i]=$line
        i=$((i + 1))
        running=$((running + 1))
    done
    while [ "$running" -gt 0 ]; do paiho_reap_one; done
    for i in "${!order[@]}"; do
        if [ -n "${failed[i]:-}" ]; then
            PAIHO_FAILED+="${order[i]}"$'\n'
            n=$((n + 1))
        fi
    done
    [ "$n" -le 255 ] || n=255
    return "$n"
}

# Waits for one child of paiho_parallel and books its result (uses the caller's locals).
# `wait -n -p` needs bash >= 5.1, checked by sim_pvt.sh. When bash has already reaped the
# child that ended, `wait -n` finds no job and leaves pid unset: the child is then found by
# pid (gone from the process table) and its saved status collected with `wait <pid>`. A
# return without booking anything (nothing ended yet) is fine: the callers loop.
paiho_reap_one() {
    local pid='' rc=0 p
    wait -n -p pid || rc=$?
    if [ -z "${pid:-}" ] || [ -z "${idx_of[$pid]+set}" ]; then
        pid=''
        rc=0
        for p in "${!idx_of[@]}"; do
            [ -z "${reaped[$p]:-}" ] || continue
            ! kill -0 "$p" 2>/dev/null || continue
            pid=$p
            wait "$p" || rc=$?
            break
        done
        if [ -z "$pid" ]; then
            sleep 0.02
            return 0
        fi
    fi
    [ -z "${reaped[$pid]:-}" ] || return 0
    reaped[$pid]=1
    running=$((running - 1))
    [ "$rc" -eq 0 ] || failed[${idx_of[$pid]}]=1
}

# Marker that the simulator writes as the last line of a successful log.
paiho_success_marker() {
    case $CFG_simulator in
        ngspice) echo "ngspice Successfully Completed" ;;
        primesim) echo "PrimeSim Successfully Completed" ;;
        *) echo "FineSim Successfully Completed" ;;
    esac
}

# paiho_point_done <dir>: the point's log ends with the success marker.
paiho_point_done() {
    local log="$1/$PAIHO_TB.log" marker
    marker=$(paiho_success_marker)
    [ -f "$log" ] && grep -q -- "$marker" "$log"
}
