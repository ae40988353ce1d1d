# shellcheck shell=bash
# chk: job_stat.log lists every point as Done / not-complete / not-start; rerun.sh holds
# the commands that rerun the ones not done (none when all are done). Exit 1 when any point
# is not done.
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh

stage_chk() {
    local corner ex t vt dir status n=0 bad=0 here
    here=$(pwd)
    {
        echo "corners   status"
        while read -r corner ex t vt _; do
            [ -n "$corner" ] || continue
            dir=$(pvt_dir "$corner" "$ex" "$t" "$vt")
            if paiho_point_done "$dir"; then
                status=Done
            elif [ -f "$dir/$PAIHO_TB.log" ]; then
                status="not-complete, check if error"
            else
                status=not-start
            fi
            echo "$corner $ex $t $vt    $status"
        done <<< "$PAIHO_POINTS"
    } > job_stat.log.tmp
    mv job_stat.log.tmp job_stat.log
    # rerun.sh as the real chk writes it (contract §9.5): it starts empty; each point not
    # done appends `cd <point dir>` and its submit line, and leaves the marker file `rerun`;
    # at the end the marker is deleted if present, else rerun.sh is (a clean run has none).
    rm -f rerun
    : > rerun.sh
    while read -r corner ex t vt status; do
        [ "$corner" != corners ] || continue
        [ "$status" != Done ] || continue
        dir=$(pvt_dir "$corner" "$ex" "$t" "$vt")
        {
            printf 'cd %q\n' "$here/$dir"
            printf 'bash %q . %q %q %q\n' "$PAIHO_CORE/simulation/run_point.sh" \
                "$PAIHO_TB" "$CFG_simulator" "$CFG_cpu"
        } >> rerun.sh
        : > rerun
    done < job_stat.log
    if [ -e rerun ]; then
        echo "rerun.sh script generated for un-completed job"
        rm -f rerun
    else
        rm -f rerun.sh
    fi
    while read -r corner ex t vt status; do
        [ "$corner" != corners ] || continue
        n=$((n + 1))
        [ "$status" = Done ] || bad=$((bad + 1))
    done < job_stat.log
    echo "chk: $((n - bad)) of $n points done; details in job_stat.log"
    if [ "$bad" -gt 0 ]; then
        echo "chk: $bad point(s) not done; rerun.sh reruns them" >&2
        return 1
    fi
}
