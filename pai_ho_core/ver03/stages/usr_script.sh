# shellcheck shell=bash
# usr_script (contract §9.4): sources ./usr_script.sh from the domain directory, calls its
# usr_script function once (it defines core_func), then calls core_func with NO arguments
# once per PVT point, in gen order, each call in a subshell. core_func reads the loop's
# shell variables, as in the real flow:
#   i corner   j extraction   k temperature token (m40 125 85 100)   tmp numeric temperature
#   l vt token (v1min_v2max)  lv1 lv2 lv3 rail levels (min|nom|max, NA when not swept)
#   current_path the domain directory
# and the config's: testbench simulator cpu mem mode vccn vcctx vcc vccana supply1 supply2
# supply3 condition alter_extraction swpl sim_mode gsgf vcc_vid postlay_cross_cornerlist
# typ_ex typ_corner, and bkpfolder: the newest 00bkp_<12 digits> folder name ("" if none).
# The user's code runs without errexit/nounset/pipefail (the real flow ran it under plain
# sh); a core_func call that returns non-zero is reported, and the stage then exits 1.
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh
# shellcheck disable=SC2034  # the variables are read by the user's core_func

stage_usr_script() {
    # paiho_ names: the user's code runs inside this function and may set short names.
    local -a paiho_pts=() paiho_failed=()
    local paiho_p paiho_b paiho_c paiho_e paiho_t paiho_v paiho_1 paiho_2 paiho_3 paiho_n
    if [ ! -f ./usr_script.sh ]; then
        echo "ERROR: ./usr_script.sh not found in $PWD" >&2
        exit 2
    fi
    # The variables of the real flow, as globals (a real usr_script.sh reads them so).
    testbench=$PAIHO_TB
    simulator=$CFG_simulator
    cpu=$CFG_cpu
    mem=$CFG_mem
    mode=$CFG_mode
    vccn=$CFG_vccn
    vcctx=$CFG_vcctx
    vcc=$CFG_vcc
    vccana=$CFG_vccana
    supply1=$CFG_s1
    supply2=$CFG_s2
    supply3=$CFG_s3
    condition=$CFG_condition
    alter_extraction=$CFG_alter_extraction
    swpl=$CFG_alter_string
    sim_mode=$CFG_sim_mode
    gsgf=$CFG_gsgf
    vcc_vid=$CFG_vcc_vid
    postlay_cross_cornerlist=$CFG_cross_cornerlist
    typ_ex=$CFG_typ_ex
    typ_corner=$CFG_typ_corner
    current_path=$PWD
    bkpfolder=
    for paiho_b in 00bkp_*; do
        # 12-digit stamps sort by time; a `.partial` backup is never the newest one.
        if [[ $paiho_b =~ ^00bkp_[0-9]{12}$ ]] && [ -d "$paiho_b" ]; then bkpfolder=$paiho_b; fi
    done
    mapfile -t paiho_pts <<< "$PAIHO_POINTS"
    paiho_n=$(paiho_count "$PAIHO_POINTS")

    set +euo pipefail
    # shellcheck source=/dev/null
    . ./usr_script.sh
    if ! declare -F usr_script > /dev/null; then
        echo "ERROR: ./usr_script.sh defines no usr_script function" >&2
        exit 2
    fi
    usr_script
    if ! declare -F core_func > /dev/null; then
        echo "ERROR: usr_script defined no core_func function" >&2
        exit 2
    fi
    for paiho_p in "${paiho_pts[@]}"; do
        [ -n "$paiho_p" ] || continue
        read -r paiho_c paiho_e paiho_t paiho_v paiho_1 paiho_2 paiho_3 <<< "$paiho_p"
        i=$paiho_c j=$paiho_e k=$paiho_t l=$paiho_v lv1=$paiho_1 lv2=$paiho_2 lv3=$paiho_3
        tmp=$paiho_t
        [ "$paiho_t" != m40 ] || tmp=-40
        ( core_func ) || paiho_failed+=("$(pvt_dir "$paiho_c" "$paiho_e" "$paiho_t" "$paiho_v")")
    done
    set -euo pipefail
    if [ "${#paiho_failed[@]}" -gt 0 ]; then
        echo "ERROR: usr_script: core_func failed for ${#paiho_failed[@]} of $paiho_n points:" >&2
        printf '  %s\n' "${paiho_failed[@]}" >&2
        exit 1
    fi
    echo "usr_script: core_func ran for $paiho_n points"
}
