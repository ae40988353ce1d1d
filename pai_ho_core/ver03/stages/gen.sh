# shellcheck shell=bash
# gen: one testbench per PVT point, <CORNER>/<ex>/<ex>_<T>/<vt>/<tb>.sp, by gen_tb.pl.
# Needs neither the simulator nor the PDK.
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh

gen_point() {
    local corner ex t vt t1 t2 t3 dir
    read -r corner ex t vt t1 t2 t3 <<< "$1"
    dir=$(pvt_dir "$corner" "$ex" "$t" "$vt")
    mkdir -p "$dir"
    # Written aside and renamed, so an interrupted gen never leaves a half netlist.
    perl "$PAIHO_CORE/tb_gen/gen_tb.pl" "template/$PAIHO_TB.sp" "$corner" "$ex" "$t" \
        "$t1" "$t2" "$t3" "$CFG_s1" "$CFG_s2" "$CFG_s3" \
        "$CFG_vcc_min" "$CFG_vcc_nom" "$CFG_vcc_max" \
        "$CFG_vcn_min" "$CFG_vcn_nom" "$CFG_vcn_max" \
        "$CFG_vccana_min" "$CFG_vccana_nom" "$CFG_vccana_max" \
        "$CFG_vctx_min" "$CFG_vctx_nom" "$CFG_vctx_max" \
        "$CFG_vcc_vid" "${CFG_vid_values[@]}" > "$dir/$PAIHO_TB.sp.tmp"
    mv "$dir/$PAIHO_TB.sp.tmp" "$dir/$PAIHO_TB.sp"
}

stage_gen() {
    local n
    # A template may describe a circuit, never run a program (PaihoGuard.pm): refused here,
    # before anything is written.
    perl "$PAIHO_CORE/tb_gen/tb_guard.pl" "template/$PAIHO_TB.sp" "$PWD" || exit 2
    n=$(paiho_count "$PAIHO_POINTS")
    echo "gen: $n points of $PAIHO_TB ($CFG_mode, $CFG_condition, table $CFG_supply_table)"
    echo "  v1 $CFG_s1   v2 $CFG_s2   v3 $CFG_s3"
    echo "  vcc    $CFG_vcc_min,$CFG_vcc_nom,$CFG_vcc_max   (vcc_vid $CFG_vcc_vid)"
    echo "  vccn   $CFG_vcn_min,$CFG_vcn_nom,$CFG_vcn_max"
    echo "  vccana $CFG_vccana_min,$CFG_vccana_nom,$CFG_vccana_max"
    echo "  vcctx  $CFG_vctx_min,$CFG_vctx_nom,$CFG_vctx_max"
    paiho_jobs
    if ! paiho_parallel "$PAIHO_NJOBS" gen_point <<< "$PAIHO_POINTS"; then
        echo "ERROR: gen failed for:" >&2
        printf '  %s\n' "$PAIHO_FAILED" | sed '/^ *$/d' >&2
        exit 1
    fi
    echo "gen: done, $n testbenches"
}
