#!/usr/bin/env bash
# move.sh -- ext stage, step 1: tidy one PVT point directory (WKPUP2_CONTRACT.md §5 "ext").
#
# Usage: run inside the point directory:   bash move.sh [tb]      (tb default: sim_tx)
#
# 1. Deletes simulator junk: *.pd0, *.fp.log*, *pdmi*, ##* (NetBatch job logs) and the
#    testbench's own .pa*, .st*, .ic*, .lis, .elog files (<tb>.*, <tb>_a<N>.*, <tb>#<N>.*).
#    Deviation from the real script, on purpose: the real `*ic*` glob would delete any file
#    whose name contains "ic" (a netlist named e.g. "sim_ic.sp"); we only delete <tb>*.ic*.
# 2. Moves the measure files and waveforms of the testbench into result/:
#    extensions mt<N>, ma<N>, md<N>, ac<N>, sw<N>, tr<N>, fsdb and raw (the ngspice
#    rawfile the reference core keeps as the point's waveform), for the names
#    <tb>.<ext>, PrimeSim <tb>_a<N>.<ext> and FineSim <tb>#<N>.<ext>.
# Never touches <tb>.sp, <tb>.log, report.txt or the scripts. Exits 0 even when there is
# nothing to move (extract.sh then reports the missing measure file).
set -euo pipefail
export LC_ALL=C
shopt -s nullglob dotglob

tb=${1:-sim_tx}
if [[ $# -gt 1 ]]; then
    echo "usage: move.sh [tb]" >&2
    exit 2
fi

# own outputs of the testbench: <tb>.x, <tb>_aN.x, <tb>#N.x
own_files() {
    local f base
    for f in "$tb".* "$tb"_a*.* "$tb"\#*.*; do
        base=${f%.*}
        if [[ $base == "$tb" || $base =~ ^"$tb"_a[0-9]+$ || $base =~ ^"$tb"\#[0-9]+$ ]]; then
            printf '%s\n' "$f"
        fi
    done
}

# 1. junk
for f in *.pd0 *.fp.log* *pdmi* '##'*; do
    [[ -e $f || -L $f ]] && rm -rf -- "$f"
done
own=$(own_files)
while IFS= read -r f; do
    [[ -n $f ]] || continue
    ext=${f##*.}
    case $ext in
        pa* | st* | ic* | lis | elog) rm -rf -- "$f" ;;
    esac
done <<< "$own"

# 2. measure files and waveforms
mkdir -p result
own=$(own_files)
while IFS= read -r f; do
    [[ -n $f ]] || continue
    ext=${f##*.}
    if [[ $ext =~ ^(mt|ma|md|ac|sw|tr)[0-9]+$ || $ext == fsdb || $ext == raw ]]; then
        mv -f -- "$f" result/
    fi
done <<< "$own"
exit 0
