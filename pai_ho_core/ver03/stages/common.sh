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

# paiho_env_error NAME VALUE WHAT: the one-line refusal of an environment value, exit 2.
# VALUE is shown quoted ('...'; with control characters, a newline say, as printf %q
# writes it: $'a\nb'), so the message stays one line.
paiho_env_error() {
    local shown
    if [[ $2 == *[[:cntrl:]]* ]]; then printf -v shown '%q' "$2"; else shown="'$2'"; fi
    echo "ERROR: $1=$shown $3" >&2
    exit 2
}

# paiho_check_env: every environment value the core reads is checked here, by sim_pvt.sh,
# before the config is read and before anything is written; a bad one is refused with one
# line and exit 2, whatever the stage. An empty value is the same as an unset one (the
# default). Values are never word-split or glob-expanded: lists (PAIHO_CORNERS, PAIHO_TEMPS)
# are names separated by single spaces, split with `read -a` after this check.
paiho_check_env() {
    local name v
    for name in PAIHO_CORNERS PAIHO_TEMPS; do
        v=${!name-}
        [ -z "$v" ] || [[ $v =~ ^[A-Za-z0-9_]+( [A-Za-z0-9_]+)*$ ]] ||
            paiho_env_error "$name" "$v" "must be names (letters, digits, '_') separated by single spaces"
    done
    for name in PAIHO_JOBS PAIHO_SLOTS; do
        v=${!name-}
        [ -z "$v" ] || [[ $v =~ ^[1-9][0-9]{0,5}$ ]] || paiho_env_error "$name" "$v" "must be a positive integer"
    done
    v=${PAIHO_SIM_TIMEOUT-}
    [ -z "$v" ] || { [[ $v =~ ^[0-9]{1,7}(\.[0-9]{1,6})?$ ]] && [[ $v =~ [1-9] ]]; } ||
        paiho_env_error PAIHO_SIM_TIMEOUT "$v" "must be a positive number of seconds"
    v=${PAIHO_WAVE_MAX_BYTES-}
    [ -z "$v" ] || [[ $v =~ ^[1-9][0-9]{0,11}$ ]] || paiho_env_error PAIHO_WAVE_MAX_BYTES "$v" "must be a positive integer"
    v=${PAIHO_BKP_TIMESTAMP-}
    [ -z "$v" ] || [[ $v =~ ^[0-9]{12}$ ]] || paiho_env_error PAIHO_BKP_TIMESTAMP "$v" "must be 12 digits (YYYYMMDDHHMM)"
    case ${PAIHO_MODEL_TRIM-} in
        '' | 0 | 1 | device) ;;
        *) paiho_env_error PAIHO_MODEL_TRIM "$PAIHO_MODEL_TRIM" "not allowed; allowed: 1 (or unset), device, 0" ;;
    esac
    v=${PAIHO_NGSPICE_VERSION-}
    [ -z "$v" ] || [[ $v =~ ^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$ ]] ||
        paiho_env_error PAIHO_NGSPICE_VERSION "$v" "must be a version (letters, digits, '.', '_', '+', '-')"
    for name in PAIHO_SLOT_DIR PAIHO_CACHE PAIHO_SKY130_MODELS; do
        v=${!name-}
        [ -z "$v" ] || { [[ $v == /* ]] && [[ $v != *[[:cntrl:]]* ]]; } ||
            paiho_env_error "$name" "$v" "must be an absolute path (no control characters)"
    done
    v=${PAIHO_CONF_DIR-}
    [ -z "$v" ] || { [[ $v != *[[:cntrl:]]* ]] && [ -d "$v" ]; } ||
        paiho_env_error PAIHO_CONF_DIR "$v" "must be a directory holding the core's CSV tables"
    for name in PDK_ROOT PAIHO_PYTHON NGSPICE; do
        v=${!name-}
        [[ $v != *[[:cntrl:]]* ]] || paiho_env_error "$name" "$v" "must hold no control characters"
    done
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
