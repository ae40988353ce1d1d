# shellcheck shell=bash
# usr_script.sh -- an example for the usr_script stage, in the style of the real flow's
# (Example/example_alt_with_usr_sceipt): no arguments, only the loop's global variables.
# Copy it into a domain directory next to config.cfg, then after a job:
#   sh <core>/ver03/sim_pvt.sh config.cfg usr_script      (or usr_script=Yes bash runme.sh)
# It reads every point's report from the newest backup,
#   $current_path/$bkpfolder/report/report_${i}_${j}_${k}_${l}.txt
# and writes usr_summary.txt in the domain directory: one tab-separated row per PVT point
# (corner, extraction, numeric temperature, vt, the levels of v1 v2 v3, then the point's
# measurement values), under a header row with the measurement names.
#
# Globals set by the core before each core_func call: i j k tmp l lv1 lv2 lv3 current_path,
# and once: bkpfolder testbench simulator cpu mem mode ... (see docs/core.md).
# shellcheck disable=SC2154  # set by the core, not here
# shellcheck disable=SC2317  # core_func is called by the core

usr_script() {
    summary=$current_path/usr_summary.txt
    if [ -z "$bkpfolder" ]; then
        echo "usr_script.sh: no 00bkp_* backup in $current_path" >&2
        return 1
    fi
    # the measurement names: line 1 of the nominal TT report, trailing tabs dropped
    nomvt=$(nominal_vt)
    names=$(sed -n '1{s/\t*$//;p;}' "$current_path/$bkpfolder/report/report_${typ_corner}_${typ_ex}_85_$nomvt.txt")
    printf 'corner\textraction\ttemp\tvt\tlv1\tlv2\tlv3\t%s\n' "$names" > "$summary"

    core_func() {
        report=$current_path/$bkpfolder/report/report_${i}_${j}_${k}_${l}.txt
        if [ ! -f "$report" ]; then
            echo "usr_script.sh: $report missing" >&2
            return 1
        fi
        values=$(sed -n '2{s/\t*$//;p;}' "$report")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$j" "$tmp" "$l" "$lv1" "$lv2" "$lv3" "$values" >> "$summary"
    }
}

# v1nom, v1nom_v2nom or v1nom_v2nom_v3nom, from the config's swept supplies
nominal_vt() {
    vt=v1nom
    if [ "$supply2" != NA ]; then vt=${vt}_v2nom; fi
    if [ "$supply3" != NA ]; then vt=${vt}_v3nom; fi
    echo "$vt"
}
