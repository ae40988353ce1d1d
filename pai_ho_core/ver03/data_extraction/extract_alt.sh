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
# Writes ./report.txt:
#   line 1   = "swp" + the tokens of line 3 of the first file (file 0);
#   line 1+k = swp token of file k + the tokens of line 4 of file k, where the swp token is
#              the 2nd whitespace token of line 2 (".TITLE 'swp01'") with every ' and =
#              removed, cut to its first alter_string# characters (0 keeps nothing);
# every line written as exactly 102 tab-joined fields (101 tabs), padded with empty fields.
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

# pad_fields F1 F2 ...: print the fields as exactly NFIELDS tab-joined fields; fields
# NFIELDS.. are joined by one space into the last one.
pad_fields() {
    local -a f=("$@")
    local i line=
    for ((i = 0; i < NFIELDS - 1; i++)); do
        line+="${f[i]:-}"$'\t'
    done
    local IFS=' '
    line+="${f[*]:NFIELDS-1}"
    printf '%s\n' "$line"
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
        mapfile -t files < <(list_files "$dir" "$kind" | sort -t "$(printf '\t')" -k1,1n -k2,2 | cut -f2-)
        [[ ${#files[@]} -gt 0 ]] && break 2
    done
done
if [[ ${#files[@]} -eq 0 ]]; then
    echo "extract_alt.sh: no measure file $tb.mt<N>/$tb""_a<N>.mt0/$tb#<N>.mt0 (or ma/md) in result/ or $(pwd)" >&2
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
        tt=()
        read -r -a tt < <(sed -n '2{s/\r//g;p;}' "$f") || true
        tok=${tt[1]:-}
        tok=${tok//\'/}
        tok=${tok//=/}
        tok=${tok:0:swpl}
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
    echo "extract_alt.sh: $missing of ${#files[@]} alter(s) without data in $(pwd)" >&2
    exit 3
fi
exit 0
