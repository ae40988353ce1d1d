#!/usr/bin/env perl
# mc_report.pl -- report/mcreport.txt of the Monte Carlo stage (ours; docs/montecarlo.md).
#
# Usage: perl mc_report.pl --tb TB --samples N --seed S --kind K --at AT --creport FILE --out FILE
#
# Reads mc/samples.txt (mc_gen.pl) and each sample's <dir>/<TB>.mt0 (the base run), and
# writes, atomically:
#   mc_kind: <kind>
#   mc_seed: <seed>
#   mc_samples: <N>            (per point)
#   mc_at: <worst | CORNER/T ...>
#   mc_points: <number of PVT points sampled>
#   <empty line>
#   sample<TAB>seed<TAB>process<TAB>extract<TAB>temp<TAB>v1[<TAB>v2[<TAB>v3]]<TAB><names...>
#   one row per sample, in sample order: index, seed, the point's creport columns (temp
#   numeric), then each measurement as the measure file writes it (%.8e), `failed` when the
#   measurement failed or the sample has no measure file.
# The measurement names are those of the creport's header (without temper, alter#, swp), so
# the columns are the PVT report's. Every line ends in "\n".
# Exit: 0 ok; 1 some sample had no measure file (its row says failed; named on stderr).
use strict;
use warnings;

sub fail { my ($msg, $rc) = @_; print STDERR "ERROR: mc: $msg\n"; exit($rc // 1); }

my %opt;
while (@ARGV) {
    my $k = shift @ARGV;
    $k =~ /\A--(tb|samples|seed|kind|at|creport|out)\z/ or fail("usage: unknown argument '$k'", 2);
    @ARGV or fail("usage: $k needs a value", 2);
    $opt{$1} = shift @ARGV;
}
for my $k (qw(tb samples seed kind at creport out)) {
    defined $opt{$k} or fail("usage: --$k missing", 2);
}

open my $cfh, '<', $opt{creport} or fail("$opt{creport}: cannot read ($!)");
my @head;
while (my $line = <$cfh>) {
    next unless $. == 10;
    chomp $line;
    @head = split /\t/, $line, -1;
    last;
}
close $cfh;
@head or fail("$opt{creport}: no table header (line 10)");
my $nv = grep { /\Av[123]\z/ } @head[3 .. $#head];
my %skip = map { $_ => 1 } ('', 'temper', 'alter#', 'swp');
my @names = grep { !$skip{$_} } @head[3 + $nv .. $#head];

open my $sfh, '<', 'mc/samples.txt' or fail("mc/samples.txt: cannot read ($!); run mc gen first");
my @samples = map { [split ' '] } grep { /\S/ } <$sfh>;
close $sfh;

my $out = "mc_kind: $opt{kind}\nmc_seed: $opt{seed}\nmc_samples: $opt{samples}\nmc_at: $opt{at}\n";
my %pts = map { ("$_->[2] $_->[3] $_->[4] $_->[5]" => 1) } @samples;
$out .= 'mc_points: ' . scalar(keys %pts) . "\n\n";
$out .= join("\t", 'sample', 'seed', 'process', 'extract', 'temp', (map { "v$_" } 1 .. $nv), @names) . "\n";
my @missing;
for my $s (@samples) {
    my ($i, $seed, $c, $e, $t, $vt, $dir) = @$s;
    my @lv = $vt =~ /v[123](min|max|nom)/g;
    my %val = read_mt0("$dir/$opt{tb}.mt0");
    push @missing, $dir unless %val;
    $out .= join("\t", $i, $seed, $c, $e, ($t eq 'm40' ? -40 : $t), @lv[0 .. $nv - 1],
        map { $val{ lc $_ } // 'failed' } @names) . "\n";
}

sub read_mt0 {
    my ($path) = @_;
    open my $fh, '<', $path or return ();
    my @lines = grep { !/\A[\$.]/ } <$fh>;
    close $fh;
    my @tok = map { split ' ' } @lines;
    my $half = int(@tok / 2);
    return () if @tok < 2 || @tok % 2;
    my %v;
    for my $j (0 .. $half - 1) {
        my $val = $tok[$half + $j];
        $v{ lc $tok[$j] } = $val =~ /\A[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?\z/ ? $val : 'failed';
    }
    return %v;
}

my $tmp = "$opt{out}.tmp";
open my $ofh, '>', $tmp or fail("$tmp: $!");
print {$ofh} $out;
close $ofh or fail("$tmp: $!");
rename $tmp, $opt{out} or fail("$opt{out}: $!");
printf "mc: %s, %d samples\n", $opt{out}, scalar(@samples);
if (@missing) {
    print STDERR 'ERROR: mc: ' . scalar(@missing) . ' of ' . scalar(@samples) . " samples had no measurements (their rows say failed):\n";
    print STDERR "  $_\n" for @missing;
    exit 1;
}
exit 0;
