#!/usr/bin/env perl
# sky130_lib.pl <table_model_map.csv> <combined_models_dir> [<run_deck> <lib_file>]
#
# Prints (stdout) the SKY130 model library used by ngspice runs (Sky130Lib.pm: one
# `.lib <CORNER>` section per contract corner of table_model_map.csv; see docs/models.md).
# With <run_deck>, models_fet is trimmed as $PAIHO_MODEL_TRIM says: unset or 1 to the size
# bins the deck's instances use (asked of ngspice; the probe writes the device-trimmed
# library to <lib_file>, the file the deck includes, while it runs), `device` to the
# devices the deck uses, 0 not at all. The run stage does the same in the process that
# writes the run decks (ngspice_deck.pl); this entry is for tools and tests.
use strict;
use warnings;
# this script's directory on @INC (FindBin/lib cost ~10 ms of start-up per point)
BEGIN { unshift @INC, (__FILE__ =~ m{^(.*)/[^/]*$} ? $1 : '.'); }
use Sky130Lib ();

@ARGV == 2 || @ARGV == 4
    or Sky130Lib::fail('usage: sky130_lib.pl <table_model_map.csv> <combined_models_dir> [<run_deck> <lib_file>]');
my ($map, $dir, $deck, $lib_file) = @ARGV;
my ($text) = Sky130Lib::library($map, $dir, defined $deck ? (decks => [$deck], lib_file => $lib_file) : ());
print $text;
exit 0;
