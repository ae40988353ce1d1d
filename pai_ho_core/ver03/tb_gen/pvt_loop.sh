# shellcheck shell=bash
# Sourced by sim_pvt.sh. The one place that enumerates PVT points, in the real loop order:
# corner -> extraction -> temperature -> voltage combo, then TT/typical at 85 and 100 with
# the nominal combo. Every stage iterates over `pvt_points`.
# shellcheck disable=SC2154  # CFG_* come from read_cfg.sh

# Prints "VT T1 T2 T3" lines for the swept-supply combos of one temperature class:
# `pvt_combos corner` (m40/125) or `pvt_combos nominal` (85/100).
pvt_combos() {
    local kind=$1 ns=1 a b c
    [ "$CFG_s2" != NA ] && ns=2
    [ "$CFG_s3" != NA ] && ns=3
    if [ "$kind" = nominal ]; then
        pvt_combo_line "$ns" nom nom nom
        return
    fi
    if [ "$CFG_condition" = htol ] || [ "$CFG_condition" = hvqk ]; then
        pvt_combo_line "$ns" max max max
        return
    fi
    for a in min max; do
        if [ "$ns" -eq 1 ]; then pvt_combo_line 1 "$a" NA NA; continue; fi
        for b in min max; do
            if [ "$ns" -eq 2 ]; then pvt_combo_line 2 "$a" "$b" NA; continue; fi
            for c in min max; do pvt_combo_line 3 "$a" "$b" "$c"; done
        done
    done
    pvt_combo_line "$ns" nom nom nom
}

pvt_combo_line() {
    local ns=$1 t1=$2 t2=$3 t3=$4
    case $ns in
        1) echo "v1$t1 $t1 NA NA" ;;
        2) echo "v1${t1}_v2$t2 $t1 $t2 NA" ;;
        3) echo "v1${t1}_v2${t2}_v3$t3 $t1 $t2 $t3" ;;
    esac
}

# The nominal combo's vt token (v1nom, v1nom_v2nom, v1nom_v2nom_v3nom).
pvt_nom_vt() {
    local combo
    combo=$(pvt_combos nominal)
    echo "${combo%% *}"
}

# pvt_points [ex]: "CORNER EX TTOK VT T1 T2 T3" lines; ex limits them to one extraction.
# PAIHO_CORNERS and PAIHO_TEMPS (space-separated) keep only a subset of the corners and of
# the temperature tokens (m40 125 85 100); anything outside the run's own lists is refused.
pvt_points() {
    local all
    pvt_check_subset PAIHO_CORNERS "${PAIHO_CORNERS:-}" "$CFG_typ_list $CFG_cross_list" || return 2
    pvt_check_subset PAIHO_TEMPS "${PAIHO_TEMPS:-}" "m40 125 85 100" || return 2
    all=$(pvt_all_points "${1:-}") || return 2
    [ -n "$all" ] || return 0
    awk -v corners=" ${PAIHO_CORNERS:-} " -v temps=" ${PAIHO_TEMPS:-} " '
        (corners == "  " || index(corners, " " $1 " ")) && (temps == "  " || index(temps, " " $3 " "))
    ' <<< "$all"
}

# pvt_check_subset NAME "given" "allowed": every given token is allowed, none repeated.
# "given" was checked by paiho_check_env (names separated by single spaces); both lists are
# split with `read -a` (no glob expansion).
pvt_check_subset() {
    local name=$1 tok seen=" " list=" "
    local -a given=() allowed=()
    read -r -a given <<< "$2"
    read -r -a allowed <<< "$3"
    for tok in "${allowed[@]}"; do
        [[ "$list" == *" $tok "* ]] || list+="$tok "
    done
    list=${list# }
    list=${list% }
    for tok in "${given[@]}"; do
        if [[ " $3 " != *" $tok "* ]]; then
            echo "ERROR: $name: '$tok' not in this run; allowed: ${list// /, }" >&2
            return 2
        fi
        if [[ "$seen" == *" $tok "* ]]; then
            echo "ERROR: $name: '$tok' given twice; allowed: each value once" >&2
            return 2
        fi
        seen+="$tok "
    done
}

pvt_all_points() {
    local ex=${1:-} corner e t combo combos nominal allowed known=no
    local -a cross_ex
    read -r -a cross_ex <<< "$CFG_cross_ex"
    if [ -n "$ex" ] && [ "$ex" != "$CFG_typ_ex" ]; then
        allowed=$CFG_typ_ex
        if [ "$CFG_polo" = Yes ]; then
            for e in "${cross_ex[@]}"; do
                allowed+=", $e"
                [ "$e" != "$ex" ] || known=yes
            done
        fi
        if [ "$known" != yes ]; then
            echo "ERROR: extraction '$ex' not in this run; allowed: $allowed" >&2
            return 2
        fi
    fi
    combos=$(pvt_combos corner)
    nominal=$(pvt_combos nominal)
    if [ -z "$ex" ] || [ "$ex" = "$CFG_typ_ex" ]; then
        for corner in $CFG_typ_list; do
            for t in m40 125; do
                while read -r combo; do echo "$corner $CFG_typ_ex $t $combo"; done <<< "$combos"
            done
        done
    fi
    if [ "$CFG_polo" = Yes ]; then
        for corner in $CFG_cross_list; do
            for e in "${cross_ex[@]}"; do
                [ -z "$ex" ] || [ "$ex" = "$e" ] || continue
                for t in m40 125; do
                    while read -r combo; do echo "$corner $e $t $combo"; done <<< "$combos"
                done
            done
        done
    fi
    if [ -z "$ex" ] || [ "$ex" = "$CFG_typ_ex" ]; then
        for t in 85 100; do
            echo "$CFG_typ_corner $CFG_typ_ex $t $nominal"
        done
    fi
}

# Directory of a point, relative to the domain.
pvt_dir() {
    echo "$1/$2/$2_$3/$4"
}
