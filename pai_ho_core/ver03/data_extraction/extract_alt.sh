#!/usr/bin/env bash
# extract_alt.sh -- ext stage, step 2 for .alter sweeps (config alter_extraction:Yes),
# WKPUP2_CONTRACT.md §5 "ext".
#
# Usage: run inside the point directory, after move.sh:
#   bash extract_alt.sh [tb [alter_string#]]      (defaults: sim_tx, 0)
#
# Measure files (looked up in result/, else in the current directory), one per alter N:
#   <tb>.mt<N>   (<tb>.mt0, <tb>.mt1, ...)
#   <tb>_a<N>.mt0 (PrimeSim)     <tb>#<N>.mt0 (FineSim)
# ordered by N (ties by name). The kind is the first of mt, ma, md that has any file.
# Unlike the real script nothing is renamed (the real one renames to <tb>.mt0N first).
# Writes ./report.txt (contract §9.3):
#   line 1   = "swp" + the tokens of line 3 of the first file (file 0), padded to 102 fields;
#   line 1+k = swp token of file k + the tokens of line 4 of file k, padded to 102 fields;
# so every line has 103 tab-joined fields (102 tabs). The swp token is what the real script's
# `read var0 var1 <<< "<line 2>"`, `tr -d "[='=]"` and unquoted `echo` leave: the whole rest
# of line 2 after its first word (".TITLE"), every ' deleted (= is kept: "[='=]" is a tr
# equivalence class of '), runs of blanks collapsed to one space, leading and trailing
# blanks dropped; then cut to its first alter_string# characters (0 keeps nothing).
# Unlike the real unquoted echo, a * or ? in a title is never expanded against file names.
# A file without a data line gives its swp token followed by one `failed` per name of
# the header (never silently dropped).
#
# Exit status: 0 ok; 2 usage error; 3 (one line on stderr) no measure file or file 0 has no
# names line (no report.txt written), or some alter had no data line (report.txt written).
set -euo pipefail
export LC_ALL=C
shopt -s nullglob

NFIELDS=102
if [[ $# -gt 2 ]]; then
    echo "usage: extract_alt.sh [tb [alter_string#]]" >&2
    exit 2
fi
tb=${1:-sim_tx}
swpl=${2:-0}
if ! [[ $swpl =~ ^[0-9]+$ ]]; then
    echo "extract_alt.sh: alter_string# must be a non-negative integer, got '$swpl'" >&2
    exit 2
fi

# pad_fields SWP F1 F2 ...: print SWP then F1.. as exactly NFIELDS tab-joined fields
# (NFIELDS + 1 fields in all); fields NFIELDS.. are joined by one space into the last one.
pad_fields() {
    local swp=$1
    shift
    local -a f=("$@")
    local i line=$swp$'\t'
    for ((i = 0; i < NFIELDS - 1; i++)); do
        line+="${f[i]:-}"$'\t'
    done
    local IFS=' '
    line+="${f[*]:NFIELDS-1}"
    printf '%s\n' "$line"
}

# swp_token LINE2: the swp column of one alter (see above).
swp_token() {
    local first rest
    local -a words=()
    read -r first rest <<< "$1" || true
    : "$first"
    rest=${rest//\'/}
    read -r -a words <<< "$rest" || true
    local IFS=' '
    rest="${words[*]}"
    printf '%s' "${rest:0:swpl}"
}

# list "N<TAB>path" for one kind in one directory
list_files() {
    local dir=$1 kind=$2 f name n
    for f in "$dir/$tb".* "$dir/$tb"_a*."${kind}0" "$dir/$tb"\#*."${kind}0"; do
        name=${f##*/}
        n=
        if [[ $name =~ ^"$tb"\.${kind}([0-9]+)$ ]]; then
            n=${BASH_REMATCH[1]}
        elif [[ $name =~ ^"$tb"_a([0-9]+)\.${kind}0$ ]]; then
            n=${BASH_REMATCH[1]}
        elif [[ $name =~ ^"$tb"\#([0-9]+)\.${kind}0$ ]]; then
            n=${BASH_REMATCH[1]}
        fi
        [[ -n $n && -f $f ]] && printf '%d\t%s\n' "$((10#$n))" "$f"
    done
    return 0
}

files=()
for kind in mt ma md; do
    for dir in result .; do
        listing=$(list_files "$dir" "$kind")
        [[ -n $listing ]] || continue
        sorted=$(sort -t $'\t' -k1,1n -k2,2 <<< "$listing")
        while IFS=$'\t' read -r _ f; do files+=("$f"); done <<< "$sorted"
        break 2
    done
done
if [[ ${#files[@]} -eq 0 ]]; then
    echo "extract_alt.sh: no measure file $tb.mt<N>/$tb""_a<N>.mt0/$tb#<N>.mt0 (or ma/md) in result/ or $PWD" >&2
    exit 3
fi

header=$(sed -n '3{s/\r//g;p;}' "${files[0]}")
if [[ -z ${header//[[:space:]]/} ]]; then
    echo "extract_alt.sh: ${files[0]} has no names line" >&2
    exit 3
fi
read -r -a names <<< "$header"

tmp=report.txt.tmp.$$
trap 'rm -f -- "$tmp"' EXIT
missing=0
{
    pad_fields swp "${names[@]}"
    for f in "${files[@]}"; do
        line2=$(sed -n '2{s/\r//g;p;}' "$f")
        tok=$(swp_token "$line2")
        vals=()
        read -r -a vals < <(sed -n '4{s/\r//g;p;}' "$f") || true
        if [[ ${#vals[@]} -eq 0 ]]; then
            missing=$((missing + 1))
            for _ in "${names[@]}"; do vals+=(failed); done
            echo "extract_alt.sh: $f has no data line; writing failed values" >&2
        fi
        pad_fields "$tok" "${vals[@]}"
    done
} > "$tmp"
mv -f -- "$tmp" report.txt
if [[ $missing -gt 0 ]]; then
    echo "extract_alt.sh: $missing of ${#files[@]} alter(s) without data in $PWD" >&2
    exit 3
fi
exit 0
