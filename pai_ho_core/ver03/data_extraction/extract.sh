#!/usr/bin/env bash
# extract.sh -- ext stage, step 2: measure file -> report.txt (WKPUP2_CONTRACT.md §5 "ext").
#
# Usage: run inside the point directory, after move.sh:   bash extract.sh [tb]   (tb default sim_tx)
#
# Measure file: the first existing of <tb>.mt0, <tb>.ma0, <tb>.md0, looked up first in
# result/ (where move.sh puts it) and then in the current directory.
# Writes ./report.txt:
#   line 1  = line 3 of the measure file (the measurement names),
#   line 2.. = lines 4..end of the measure file (the values),
# each line split on whitespace (blanks, tabs; CRs dropped) and written as exactly 102
# tab-joined fields (101 tabs), padded with empty fields, so lines normally end in a tab.
# A line with more than 102 tokens keeps tokens 102.. in field 102, joined by one space
# (like `read` filling its last variable). A final line without newline is still data.
#
# Exit status:
#   0  report.txt written with a header and at least one data line;
#   2  usage error;
#   3  no usable data, one line on stderr: no measure file (no report.txt is written), a
#      measure file without a names line (no report.txt), or names but no data line
#      (report.txt holds the header only). The ext stage records such a point as failed;
#      srt then writes a `failed` row for it.
set -euo pipefail
export LC_ALL=C

NFIELDS=102
if [[ $# -gt 1 ]]; then
    echo "usage: extract.sh [tb]" >&2
    exit 2
fi
tb=${1:-sim_tx}

mfile=
for ext in mt0 ma0 md0; do
    for dir in result .; do
        if [[ -f $dir/$tb.$ext ]]; then
            mfile=$dir/$tb.$ext
            break 2
        fi
    done
done
if [[ -z $mfile ]]; then
    echo "extract.sh: no measure file $tb.mt0/$tb.ma0/$tb.md0 in result/ or $PWD" >&2
    exit 3
fi

tmp=report.txt.tmp.$$
trap 'rm -f -- "$tmp"' EXIT
rc=0
awk -v nf="$NFIELDS" '
    function emit(   i, j, out, n) {
        n = NF
        out = ""
        for (i = 1; i <= nf; i++) {
            if (i == nf) {
                for (j = nf; j <= n; j++) out = out (j > nf ? " " : "") $j
            } else if (i <= n) {
                out = out $i
            }
            if (i < nf) out = out "\t"
        }
        print out
    }
    { gsub(/\r/, "") }
    NR >= 3 { emit(); nout++ }
    END { exit (nout >= 2 ? 0 : (nout == 1 ? 4 : 5)) }
' "$mfile" > "$tmp" || rc=$?
case $rc in
    0)
        mv -f -- "$tmp" report.txt
        ;;
    4)
        mv -f -- "$tmp" report.txt
        echo "extract.sh: $mfile has a names line but no data line" >&2
        exit 3
        ;;
    5)
        echo "extract.sh: $mfile has no names line (fewer than 3 lines)" >&2
        exit 3
        ;;
    *)
        echo "extract.sh: awk failed on $mfile (status $rc)" >&2
        exit 3
        ;;
esac
exit 0
