# shellcheck shell=bash
# usr_script: sources ./usr_script.sh from the domain and calls its usr_script function,
# which defines core_func; core_func is then called once per point as
# `core_func CORNER EX TTOK VT`, in loop order.

stage_usr_script() {
    if [ ! -f ./usr_script.sh ]; then
        echo "ERROR: ./usr_script.sh not found in $(pwd)" >&2
        exit 2
    fi
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
    local corner ex t vt
    while read -r corner ex t vt _; do
        [ -n "$corner" ] || continue
        core_func "$corner" "$ex" "$t" "$vt"
    done <<< "$PAIHO_POINTS"
}
