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

sub fail { my ($msg) = @_; print STDERR "ERROR: $msg\n"; exit 1; }

@ARGV == 4 || @ARGV == 7
    or fail('usage: ngspice_mt0.pl <tb.names> <tb.log> <tb.mt0> <version> [<point log> <raw> <wave max>]');
my ($names_file, $log, $mt0, $version, $point_log, $raw, $wave_max) = @ARGV;

open my $nfh, '<', $names_file or fail("$names_file: $!");
my ($title, $temp, @names);
my $alter = 1;
while (my $l = <$nfh>) {
    chomp $l;
    if    ($l =~ /^#title (.*)$/)  { $title = $1; }
    elsif ($l =~ /^#temp (.*)$/)   { $temp  = $1; }
    elsif ($l =~ /^#alter (\d+)$/) { $alter = $1; }
    elsif ($l =~ /^#/)             { }
    elsif ($l ne '')               { push @names, $l; }
}
close $nfh;
defined $title && defined $temp && @names or fail("$names_file: incomplete");

open my $lfh, '<', $log or fail("$log: $!");
my @log = <$lfh>;
close $lfh;
if (defined $point_log) {
    open my $pfh, '>>', $point_log or fail("$point_log: $!");
    print {$pfh} @log;
    my $size = -s $raw;
    if (defined $size && $size > $wave_max) {
        unlink $raw;
        print {$pfh} "pai_ho_core: waveform $raw dropped: $size bytes > PAIHO_WAVE_MAX_BYTES=$wave_max\n";
    }
    close $pfh or fail("$point_log: $!");
    unlink $log;
}
my $in_meas = 0;
my %val;
for my $l (@log) {
    $in_meas = 1 if $l =~ /^\s*Measurements for /;
    next unless $in_meas;
    if ($l =~ /^\s*paiho_fp_(\d+)\s*=\s*(\S+)/) {
        my ($k, $v) = ($1, $2);
        next if exists $val{$k};    # first result wins
        $val{$k} = $v;
    }
}
if (!$in_meas) {
    unlink $mt0;
    exit 4;
}

my $num = qr/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
my @vals;
my $failed = 0;
for my $k (1 .. @names) {
    my $v = $val{$k};
    if (defined $v && $v =~ $num && lc($v) !~ /nan|inf/) {
        push @vals, sprintf('%.8e', $v);
    }
    else {
        push @vals, 'failed';
        $failed++;
    }
}
push @vals, sprintf('%.8e', $temp), sprintf('%.8e', $alter);

my $tmp = "$mt0.tmp$$";
open my $ofh, '>', $tmp or fail("$tmp: $!");
print {$ofh} "\$DATA1 SOURCE='ngspice' VERSION='$version' PARAM_COUNT=0\n";
print {$ofh} ".TITLE '$title'\n";
print {$ofh} join('  ', @names, 'temper', 'alter#'), "\n";
print {$ofh} join('  ', @vals), "\n";
close $ofh or fail("$tmp: $!");
rename $tmp, $mt0 or fail("$mt0: $!");
exit($failed ? 3 : 0);
