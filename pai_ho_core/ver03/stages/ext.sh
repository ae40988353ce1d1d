# shellcheck shell=bash
# ext: per point, move.sh tidies the simulator outputs into result/, extract.sh (or
# extract_alt.sh for .alter sweeps) turns the measure file into report.txt, which goes to
# report/report_<CORNER>_<EX>_<T>_<vt>.txt; waveforms go to compiled_waveform/; result/ is
# removed. The scripts run from the core where they are (the real flow copied them into
# every point directory first). A point without a measure file gets no report; srt then
# writes `failed` in its row. Exit 1 when any point had nothing to extract.
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh

ext_point() {
    local corner ex t vt dir name f base suffix rc=0
    read -r corner ex t vt _ <<< "$1"
    dir=$(pvt_dir "$corner" "$ex" "$t" "$vt")
    name="${corner}_${ex}_${t}_${vt}"
    if [ ! -d "$dir" ]; then
        echo "ext: $dir: no such point directory" >&2
        return 3
    fi
    (
        cd "$dir"
        bash "$PAIHO_CORE/data_extraction/move.sh" "$PAIHO_TB"
        if [ "$CFG_alter_extraction" = Yes ]; then
            bash "$PAIHO_CORE/data_extraction/extract_alt.sh" "$PAIHO_TB" "$CFG_alter_string"
        else
            bash "$PAIHO_CORE/data_extraction/extract.sh" "$PAIHO_TB"
        fi
    ) || rc=$?
    if [ -f "$dir/report.txt" ]; then
        mv "$dir/report.txt" "report/report_$name.txt"
    fi
    if [ -d "$dir/result" ]; then
        for f in "$dir"/result/*; do
            [ -e "$f" ] || continue
            base=$(basename "$f")
            suffix=${base#"$PAIHO_TB"}
            case $base in
                *.fsdb|*.tr[0-9]*|*.ac[0-9]*|*.sw[0-9]*|*.raw)
                    mv "$f" "compiled_waveform/${PAIHO_TB}_${name}${suffix}" ;;
            esac
        done
        rm -rf "$dir/result"
    fi
    return "$rc"
}

stage_ext() {
    local n
    n=$(paiho_count "$PAIHO_POINTS")
    mkdir -p report compiled_waveform
    # Sequential, as in the real flow: it is file shuffling, a fraction of a second a point.
    if ! paiho_parallel 1 ext_point <<< "$PAIHO_POINTS"; then
        local nf
        nf=$(paiho_count "$PAIHO_FAILED")
        echo "ERROR: ext: $nf of $n points had no measurements (their creport rows will say failed):" >&2
        local c e t v d
        while read -r c e t v _; do
            [ -n "$c" ] || continue
            d=$(pvt_dir "$c" "$e" "$t" "$v")
            echo "  $d" >&2
        done <<< "$PAIHO_FAILED"
        exit 1
    fi
    echo "ext: done, $n reports in report/"
}
