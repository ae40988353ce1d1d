#!/usr/bin/env perl
# ngspice_mt0.pl <tb.names> <tb.log> <tb.mt0> <ngspice version> [<point log> <raw> <wave max>]
#
# Writes the PrimeSim-style measure file from an ngspice log:
#   $DATA1 SOURCE='ngspice' VERSION='<v>' PARAM_COUNT=0
#   .TITLE '<title>'
#   name1  name2 ...  temper  alter#
#   v1  v2 ...  <temp>  <alter#>
# Every number is %.8e; a measurement without a value is `failed`. <tb.names> (written by
# ngspice_deck.pl) gives the title, the temperature and alter# (1 for the base run, k+1
# for the k-th .alter block).
# Values come from the full-precision twins `paiho_fp_<i>` that
# ngspice_deck.pl added (printed with NGSPICE_MEAS_PRECISION digits).
# With the three optional arguments (the run stage, once per run: fewer processes per point)
# it first appends <tb.log> (the run's ngspice output) to <point log> and removes it, and
# removes the waveform <raw> when it is larger than <wave max> bytes, with a line in
# <point log> saying so.
# Exit: 0 every measurement has a value; 3 some failed (mt0 written);
#       4 the log has no measurement section (no mt0 written); 1 usage/io.
use strict;
use warnings;
# this script's directory on @INC (no FindBin: start-up time)
BEGIN { unshift @INC, (__FILE__ =~ m{^(.*)/[^/]*$} ? $1 : '.'); }
use PaihoMt0 ();

sub fail { my ($msg) = @_; print STDERR "ERROR: $msg\n"; exit 1; }

@ARGV == 4 || @ARGV == 7
    or fail('usage: ngspice_mt0.pl <tb.names> <tb.log> <tb.mt0> <version> [<point log> <raw> <wave max>]');
exit PaihoMt0::write_mt0(@ARGV);

