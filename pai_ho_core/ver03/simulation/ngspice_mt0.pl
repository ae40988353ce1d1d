#!/usr/bin/env perl
# ngspice_mt0.pl <tb.names> <tb.log> <tb.mt0> <ngspice version>
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
# Exit: 0 every measurement has a value; 3 some failed (mt0 written);
#       4 the log has no measurement section (no mt0 written); 1 usage/io.
use strict;
use warnings;

sub fail { my ($msg) = @_; print STDERR "ERROR: $msg\n"; exit 1; }

@ARGV == 4 or fail('usage: ngspice_mt0.pl <tb.names> <tb.log> <tb.mt0> <version>');
my ($names_file, $log, $mt0, $version) = @ARGV;

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
my $in_meas = 0;
my %val;
while (my $l = <$lfh>) {
    $in_meas = 1 if $l =~ /^\s*Measurements for /;
    next unless $in_meas;
    if ($l =~ /^\s*paiho_fp_(\d+)\s*=\s*(\S+)/) {
        my ($k, $v) = ($1, $2);
        next if exists $val{$k};    # first result wins
        $val{$k} = $v;
    }
}
close $lfh;
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
