# shellcheck shell=bash
# chk: job_stat.log lists every point as Done / not-complete / not-start; rerun.sh holds
# the commands that rerun the ones not done. Exit 1 when any point is not done.
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
    {
        echo "#!/usr/bin/env bash"
        echo "# Reruns the points that chk found not done. Written by sim_pvt.sh chk."
        echo "set -e"
        while read -r corner ex t vt status; do
            [ "$status" != Done ] || continue
            dir=$(pvt_dir "$corner" "$ex" "$t" "$vt")
            printf 'cd %q && bash %q . %q %q %q\n' "$here/$dir" "$PAIHO_CORE/simulation/run_point.sh" \
                "$PAIHO_TB" "$CFG_simulator" "$CFG_cpu"
        done < <(tail -n +2 job_stat.log)
    } > rerun.sh
    n=$(tail -n +2 job_stat.log | grep -c .) || true
    bad=$(tail -n +2 job_stat.log | grep -vc '    Done$') || true
    echo "chk: $((n - bad)) of $n points done; details in job_stat.log"
    if [ "$bad" -gt 0 ]; then
        echo "chk: $bad point(s) not done; rerun.sh reruns them" >&2
        return 1
    fi
}
