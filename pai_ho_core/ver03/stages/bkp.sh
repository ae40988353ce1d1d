# shellcheck shell=bash
# bkp: 00bkp_<YYYYMMDDHHMM>/ (local time, 12 digits, as the real flow) receives report/,
# compiled_waveform/, simulation.log (the log of TT/typical/85/nominal), tb_bkp/ (the
# generated netlists of TT/typical), job_stat.log when chk ran and mc/samples.txt,
# mc/mc_log.txt of a Monte Carlo job; then every corner directory and mc/ are removed. PAIHO_BKP_TIMESTAMP (12 digits) fixes the stamp, for reruns and tests.
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh

stage_bkp() {
    local ts dest nomvt src corner
    ts=${PAIHO_BKP_TIMESTAMP:-$(date +%Y%m%d%H%M)}
    if ! [[ $ts =~ ^[0-9]{12}$ ]]; then
        echo "ERROR: PAIHO_BKP_TIMESTAMP='$ts' must be 12 digits (YYYYMMDDHHMM)" >&2
        exit 2
    fi
    dest="00bkp_$ts"
    if [ ! -f report/creport.txt ]; then
        echo "ERROR: report/creport.txt missing: nothing to back up; run ext and srt first" >&2
        exit 1
    fi
    if [ -e "$dest" ]; then
        echo "ERROR: $dest already exists; wait a minute or set PAIHO_BKP_TIMESTAMP" >&2
        exit 1
    fi
    # Built under a temporary name and renamed last, so a backup directory is always whole.
    mkdir "$dest.partial"
    mv report "$dest.partial/"
    if [ -d compiled_waveform ]; then mv compiled_waveform "$dest.partial/"; fi
    nomvt=$(pvt_nom_vt)
    src="$CFG_typ_corner/$CFG_typ_ex/${CFG_typ_ex}_85/$nomvt/$PAIHO_TB.log"
    if [ -f "$src" ]; then cp "$src" "$dest.partial/simulation.log"; fi
    if [ -d "$CFG_typ_corner/$CFG_typ_ex" ]; then
        (
            cd "$CFG_typ_corner/$CFG_typ_ex" || exit 1
            found=$(find . -name "$PAIHO_TB.sp" -print)
            sorted=$(sort <<< "$found")
            while IFS= read -r f; do
                [ -n "$f" ] || continue
                mkdir -p "$OLDPWD/$dest.partial/tb_bkp/${f%/*}"
                cp "$f" "$OLDPWD/$dest.partial/tb_bkp/$f"
            done <<< "$sorted"
        )
    fi
    for f in job_stat.log job_log.txt; do
        if [ -f "$f" ]; then mv "$f" "$dest.partial/"; fi
    done
    # Monte Carlo (ours): the sample list and status lines are kept, the sample dirs removed
    if [ -d mc ]; then
        mkdir "$dest.partial/mc"
        for f in mc/samples.txt mc/mc_log.txt; do
            if [ -f "$f" ]; then mv "$f" "$dest.partial/mc/"; fi
        done
    fi
    rm -f rerun.sh
    mv "$dest.partial" "$dest"
    # Corner names come from a table that a site may replace: read_cfg.pl refuses unsafe
    # ones, and they are checked again here, right before the only recursive delete.
    for corner in $CFG_typ_list $CFG_cross_list; do
        if ! [[ $corner =~ ^[A-Za-z0-9][A-Za-z0-9_]*$ ]]; then
            echo "ERROR: bkp: corner name '$corner' not allowed; corner directories kept" >&2
            exit 1
        fi
    done
    for corner in $CFG_typ_list $CFG_cross_list; do
        rm -rf -- "./$corner"
    done
    rm -rf -- ./mc
    echo "bkp: $dest"
}
