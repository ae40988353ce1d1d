# shellcheck shell=bash
# mc (ours: the real ver03 flow has no Monte Carlo; docs/montecarlo.md): Monte Carlo samples
# of the job's PVT points, after srt (worst points come from report/creport.txt) and before
# bkp (report/mcreport.txt goes into the backup with the rest of report/).
#   sim_pvt.sh config.cfg mc [gen|run|ext]     (no step: all three)
#   gen  mc/<CORNER>_<EX>/<T>_<VT>/s<i>/<tb>.sp per sample and mc/samples.txt (mc_gen.pl)
#   run  every sample's netlist through run_point.sh, as the run stage runs a point (slots,
#        PAIHO_SIM_TIMEOUT, PAIHO_JOBS at a time); status lines in mc/mc_log.txt
#   ext  report/mcreport.txt (mc_report.pl)
#   s<i> sample i alone again (wkpup rerun <job> --sample i): mc_one
# Exit: 2 the config has no mc_samples or an unknown step; 1 samples failed (named).
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh

# shellcheck source=/dev/null  # stages/run.sh: run_dir, run_setup
. "$PAIHO_CORE/stages/run.sh"

mc_gen() {
    local points nomvt rc=0
    nomvt=$(pvt_nom_vt)
    points=$(mktemp "${TMPDIR:-/tmp}/paiho_mc.XXXXXX")
    printf '%s\n' "$PAIHO_POINTS" > "$points"
    perl "$PAIHO_CORE/montecarlo/mc_gen.pl" --points "$points" --creport report/creport.txt \
        --tb "$PAIHO_TB" --samples "$CFG_mc_samples" --seed "$CFG_mc_seed" --kind "$CFG_mc_kind" \
        --at "$CFG_mc_at" --typ-corner "$CFG_typ_corner" \
        --nominal "$CFG_typ_corner $CFG_typ_ex 85 $nomvt" || rc=$?
    rm -f -- "$points"
    [ "$rc" -eq 0 ] || exit "$rc"
}

# mc_sample <samples.txt line>: one sample, as run_point runs a point.
mc_sample() {
    local i seed corner ex t vt dir
    read -r i seed corner ex t vt dir <<< "$1"
    run_dir "$dir" "s$i seed=$seed $corner $ex $t $vt" mc/mc_log.txt
}

mc_run() {
    local n samples
    if [ ! -f mc/samples.txt ]; then
        echo "ERROR: mc/samples.txt missing; run 'mc gen' first" >&2
        exit 1
    fi
    samples=$(< mc/samples.txt)
    n=$(paiho_count "$samples")
    run_setup
    : > mc/mc_log.txt
    echo "mc: $n samples with $CFG_simulator, $PAIHO_NJOBS at a time"
    if ! paiho_parallel "$PAIHO_NJOBS" mc_sample <<< "$samples"; then
        local nf i dir
        nf=$(paiho_count "$PAIHO_FAILED")
        echo "ERROR: mc: $nf of $n samples failed:" >&2
        while read -r i _ _ _ _ _ dir; do
            [ -n "$i" ] || continue
            echo "  s$i $dir" >&2
        done <<< "$PAIHO_FAILED"
        return 1
    fi
}

# mc_one <i>: sample i alone again (a rerun): its row from mc/samples.txt, else from the
# newest backup's; its netlist written again from its point's (gen must have written that
# point: PAIHO_CORNERS / PAIHO_TEMPS may limit gen to it); simulated as mc run does; its
# measure file is <dir>/<tb>.mt0.
mc_one() {
    local i=$1 list='' row='' b dir
    [ -f mc/samples.txt ] && list=mc/samples.txt
    if [ -z "$list" ]; then
        for b in 00bkp_*; do
            if [[ $b =~ ^00bkp_[0-9]{12}$ ]] && [ -f "$b/mc/samples.txt" ]; then list=$b/mc/samples.txt; fi
        done
    fi
    if [ -z "$list" ]; then
        echo "ERROR: mc: no mc/samples.txt here or in a backup: run the mc stage first" >&2
        exit 2
    fi
    while IFS= read -r b; do
        [ "${b%% *}" != "$i" ] || row=$b
    done < "$list"
    if [ -z "$row" ]; then
        echo "ERROR: mc: sample $i not in $list" >&2
        exit 2
    fi
    perl "$PAIHO_CORE/montecarlo/mc_gen.pl" --sample "$row" --tb "$PAIHO_TB" --kind "$CFG_mc_kind" || exit 1
    run_setup
    dir=${row##* }
    rm -f -- "$dir/$PAIHO_TB.mt0"
    mc_sample "$row"
}

mc_ext() {
    local i dir
    mkdir -p compiled_waveform
    # each sample's waveform, kept as a point's is (ext): compiled_waveform/<tb>_mc_s<i>.raw
    while read -r i _ _ _ _ _ dir; do
        [ -n "$i" ] || continue
        if [ -f "$dir/$PAIHO_TB.raw" ]; then mv -f "$dir/$PAIHO_TB.raw" "compiled_waveform/${PAIHO_TB}_mc_s$i.raw"; fi
    done < mc/samples.txt
    perl "$PAIHO_CORE/montecarlo/mc_report.pl" --tb "$PAIHO_TB" --samples "$CFG_mc_samples" \
        --seed "$CFG_mc_seed" --kind "$CFG_mc_kind" --at "$CFG_mc_at" \
        --creport report/creport.txt --out report/mcreport.txt
}

stage_mc() {
    local step=${1:-} rc=0
    if [ -z "$CFG_mc_samples" ]; then
        echo "ERROR: mc: config has no mc_samples key: no Monte Carlo in this job" >&2
        exit 2
    fi
    case $step in
        '')
            mc_gen
            mc_run || rc=1
            mc_ext || rc=1
            ;;
        gen) mc_gen ;;
        run) mc_run || rc=1 ;;
        ext) mc_ext || rc=1 ;;
        s[1-9] | s[1-9]*[0-9])
            if ! [[ $step =~ ^s[1-9][0-9]{0,8}$ ]]; then
                echo "ERROR: mc: step '$step' unknown; allowed: gen, run, ext, s<sample> (none: gen, run, ext)" >&2
                exit 2
            fi
            mkdir -p mc
            mc_one "${step#s}" || rc=1
            ;;
        *)
            echo "ERROR: mc: step '$step' unknown; allowed: gen, run, ext, s<sample> (none: gen, run, ext)" >&2
            exit 2
            ;;
    esac
    return "$rc"
}
