# shellcheck shell=bash
# srt: report/creport.txt: the 9-line supply header, then one row per point in loop order
# (srt_report.pl writes it; a point without a report gets a row of `failed`).
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh

stage_srt() {
    local ns=1 nomvt supply list corner ex t vt t1 t2 t3 temp v rc=0
    local -a vid=("${CFG_vid_values[@]}")
    [ "$CFG_s2" != NA ] && ns=2
    [ "$CFG_s3" != NA ] && ns=3
    if [ ! -d report ]; then
        echo "ERROR: report/ missing; run the ext stage first" >&2
        exit 1
    fi
    # One temporary directory, removed however the stage ends (exit on error included).
    PAIHO_SRT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/paiho_srt.XXXXXX")
    trap 'rm -rf -- "$PAIHO_SRT_TMP"' EXIT
    supply=$PAIHO_SRT_TMP/supply
    list=$PAIHO_SRT_TMP/list
    {
        echo "supply condition"
        echo "v1: $CFG_s1"
        echo "v2: $CFG_s2"
        echo "v3: $CFG_s3"
        if [ "$CFG_vcc_vid" = Yes ]; then
            # CFG_vid holds tt_h tt_c ff_h ff_c ss_h ss_c (generator order); the report
            # lists ff, tt, ss.
            printf 'vcc_vid: vcc_ff_h#%s,%s,%s; vcc_ff_c#%s,%s,%s; vcc_tt_h#%s,%s,%s; vcc_tt_c#%s,%s,%s; vcc_ss_h#%s,%s,%s; vcc_ss_c#%s,%s,%s\n' \
                "${vid[@]:6:3}" "${vid[@]:9:3}" "${vid[@]:0:3}" "${vid[@]:3:3}" "${vid[@]:12:3}" "${vid[@]:15:3}"
        else
            echo "vcc none vid: $CFG_vcc_min,$CFG_vcc_nom,$CFG_vcc_max"
        fi
        echo "vccana: $CFG_vccana_min,$CFG_vccana_nom,$CFG_vccana_max"
        echo "vccn: $CFG_vcn_min,$CFG_vcn_nom,$CFG_vcn_max"
        echo "vcctx: $CFG_vctx_min,$CFG_vctx_nom,$CFG_vctx_max"
    } > "$supply"
    while read -r corner ex t vt t1 t2 t3; do
        [ -n "$corner" ] || continue
        temp=$t
        [ "$t" != m40 ] || temp=-40
        v=$t1
        [ "$ns" -lt 2 ] || v+=$'\t'$t2
        [ "$ns" -lt 3 ] || v+=$'\t'$t3
        printf '%s\t%s\t%s\t%s\treport/report_%s_%s_%s_%s.txt\n' "$corner" "$ex" "$temp" "$v" "$corner" "$ex" "$t" "$vt"
    done <<< "$PAIHO_POINTS" > "$list"
    nomvt=$(pvt_nom_vt)
    perl "$PAIHO_CORE/data_extraction/srt_report.pl" --supply "$supply" --nsupply "$ns" \
        --names "report/report_${CFG_typ_corner}_${CFG_typ_ex}_85_$nomvt.txt" \
        --list "$list" --out report/creport.txt || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "ERROR: srt: creport.txt not written completely (srt_report.pl exit $rc)" >&2
        exit 1
    fi
    local nfailed nlines
    nfailed=$(grep -c $'\tfailed' report/creport.txt) || true
    [ "$nfailed" != 0 ] || nfailed=
    nlines=$(wc -l < report/creport.txt)
    echo "srt: report/creport.txt, $((nlines - 10)) rows${nfailed:+, $nfailed failed}"
}
