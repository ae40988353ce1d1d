#!/usr/bin/env perl
# mc_gen.pl -- the Monte Carlo stage's netlists (ours: the real ver03 flow has no Monte Carlo;
# docs/montecarlo.md).
#
# Usage:
#   perl mc_gen.pl --points FILE --creport report/creport.txt --tb TB --samples N --seed S \
#                  --kind mismatch|process+mismatch --at 'worst'|'CORNER/T ...' \
#                  --typ-corner TT --nominal 'CORNER EX T VT'
#
#   FILE     the run's PVT points, one `CORNER EX TTOK VT T1 T2 T3` line each (pvt_points)
#
# Picks the Monte Carlo points: with --at worst, per measurement of creport.txt the point
# whose value lies farthest from the nominal point's (|v - nominal| / |nominal|, the mean
# over the points when the run has no nominal point; ties: the first in loop order; `failed`
# values ignored), only typ-corner points for
# process+mismatch; else every point of each CORNER/T entry. Then writes, per point (loop
# order) and per sample k = 1..N, the point's netlist with its `.lib "$DP_HSPICE_MODEL"
# <CORNER>` lines selecting the mismatch twin <CORNER>_mm (mismatch) or mc_mm
# (process+mismatch) and `.option seed=<seed of k>` after the first of them, into
# mc/<CORNER>_<EX>/<TTOK>_<VT>/s<i> (i = 1.. over every row: same depth as a point
# directory, so the netlist's relative includes resolve alike), and mc/samples.txt:
#   <i> <seed> <CORNER> <EX> <TTOK> <VT> <dir>
# Sample k has the same seed at every point: it is one part, seen at each PVT point.
# With --sample '<row of samples.txt>' (and --tb, --kind only) it writes that one sample's
# netlist again, from its point's netlist (a rerun of one sample: `mc s<i>`), nothing else.
# Exit: 0 ok; 1 a netlist or the creport cannot be read; 2 an --at entry matches no point.
use strict;
use warnings;

sub fail { my ($msg, $rc) = @_; print STDERR "ERROR: mc: $msg\n"; exit($rc // 1); }

my %opt;
while (@ARGV) {
    my $k = shift @ARGV;
    $k =~ /\A--(points|creport|tb|samples|seed|kind|at|typ-corner|nominal|sample)\z/ or fail("usage: unknown argument '$k'", 2);
    @ARGV or fail("usage: $k needs a value", 2);
    $opt{$1} = shift @ARGV;
}
for my $k (defined $opt{sample} ? qw(tb kind) : qw(points tb samples seed kind at typ-corner nominal)) {
    defined $opt{$k} or fail("usage: --$k missing", 2);
}
if (defined $opt{sample}) {
    my ($i, $seed, $c, $e, $t, $vt, $dir) = split ' ', $opt{sample};
    defined $dir && $i =~ /\A[1-9][0-9]*\z/ && $seed =~ /\A[1-9][0-9]*\z/
        or fail("--sample: expected '<i> <seed> <CORNER> <EX> <T> <VT> <dir>'", 2);
    $dir eq "mc/${c}_$e/${t}_$vt/s$i" or fail("--sample: directory '$dir' is not mc/${c}_$e/${t}_$vt/s$i", 2);
    $opt{kind} eq 'mismatch' || $opt{kind} eq 'process+mismatch' or fail("mc_kind '$opt{kind}' unknown", 2);
    write_sample([$c, $e, $t, $vt], $opt{kind}, $opt{tb}, $i, $seed);
    print "mc: s$i seed=$seed $c $e $t $vt: netlist written\n";
    exit 0;
}
my ($n, $seed0, $kind) = @opt{qw(samples seed kind)};
$n =~ /\A[1-9][0-9]{0,4}\z/ or fail("mc_samples '$n' not 1..99999", 2);
$seed0 =~ /\A(?:0|[1-9][0-9]{0,8})\z/ or fail("mc_seed '$seed0' not 0..999999999", 2);
$kind eq 'mismatch' || $kind eq 'process+mismatch' or fail("mc_kind '$kind' unknown", 2);

# seed of part k: a 32-bit mix of (mc_seed, k) (every product stays below 2**63: exact perl integers), 1..2**31-2
sub part_seed {
    my ($s, $k) = @_;
    my $m = 4294967296;
    my $x = ($s * 2654435761 + $k * 40503 + 1) % $m;
    for (1 .. 2) {
        $x = ($x ^ ($x >> 16)) % $m;
        $x = ($x * 73244475) % $m;
    }
    $x = $x ^ ($x >> 16);
    return 1 + $x % 2147483646;
}

# ---------------------------------------------------------------- the run's points
my @points;    # [corner, ex, ttok, vt, levels...]
open my $pfh, '<', $opt{points} or fail("$opt{points}: $!");
while (my $line = <$pfh>) {
    my @f = split ' ', $line;
    next unless @f;
    push @points, [@f];
}
close $pfh;
@points or fail('no PVT points in this run', 2);
my %by_key;    # "CORNER EX TEMP l1 [l2 [l3]]" (creport row) -> point index
for my $i (0 .. $#points) {
    my ($c, $e, $t, $vt, @lv) = @{ $points[$i] };
    my $temp = $t eq 'm40' ? -40 : $t;
    $by_key{ join ' ', $c, $e, $temp, grep { $_ ne 'NA' } @lv } = $i;
}
my $typ = $opt{'typ-corner'};

my @chosen;
if ($opt{at} eq 'worst') {
    @chosen = worst_points();
} else {
    my %pick;
    for my $entry (split / /, $opt{at}) {
        my ($c, $t) = split m{/}, $entry, 2;
        my @hit = grep { $points[$_][0] eq $c && $points[$_][2] eq $t } 0 .. $#points;
        @hit or fail("mc_at: '$entry' names no PVT point of this run (PAIHO_CORNERS / PAIHO_TEMPS?)", 2);
        $pick{$_} = 1 for @hit;
    }
    @chosen = sort { $a <=> $b } keys %pick;
}

sub worst_points {
    defined $opt{creport} or fail('usage: --creport missing', 2);
    open my $fh, '<', $opt{creport} or fail("$opt{creport}: cannot read ($!); run ext and srt first");
    my @lines = <$fh>;
    close $fh;
    @lines >= 10 or fail("$opt{creport}: no table (fewer than 10 lines)");
    chomp @lines;
    my @head = split /\t/, $lines[9], -1;
    my $nv = grep { /\Av[123]\z/ } @head[3 .. $#head];
    my %skip = map { $_ => 1 } ('', 'temper', 'alter#', 'swp');
    my @cols = grep { !$skip{ $head[$_] } } 3 + $nv .. $#head;
    my %vals;    # col -> [[point index, value] ...]
    my ($nc, $ne, $nt, $nvt) = split ' ', $opt{nominal};
    my %nominal;
    my $nomkey = nominal_key($nc, $ne, $nt, $nvt, $nv);
    for my $line (@lines[10 .. $#lines]) {
        my @f = split /\t/, $line, -1;
        next if @f < 3 + $nv;
        my $key = join ' ', @f[0 .. 2 + $nv];
        my $pi = $by_key{$key};
        for my $c (@cols) {
            my $v = $f[$c] // '';
            next unless $v =~ /\A[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\z/;
            if ($key eq $nomkey) { $nominal{$c} //= $v; }
            push @{ $vals{$c} }, [$pi, $v] if defined $pi;
        }
    }
    my %pick;
    for my $c (@cols) {
        next unless $vals{$c};
        # the reference: the nominal point's value; without it (a corner/temperature subset
        # leaving TT 85 out), the mean over the run's points
        my $nom = $nominal{$c};
        if (!defined $nom) {
            $nom = 0;
            $nom += $_->[1] for @{ $vals{$c} };
            $nom /= @{ $vals{$c} };
        }
        my ($best, $dev) = (undef, -1);
        for my $pv (@{ $vals{$c} }) {
            my ($pi, $v) = @$pv;
            next if $kind eq 'process+mismatch' && $points[$pi][0] ne $typ;
            my $d = abs($v - $nom) / (abs($nom) || 1);
            ($best, $dev) = ($pi, $d) if $d > $dev || ($d == $dev && $pi < $best);
        }
        $pick{$best} = 1 if defined $best;
    }
    %pick or fail("$opt{creport}: no measurement with a value: no worst point");
    return sort { $a <=> $b } keys %pick;
}

# The creport key of the nominal point (its vt token back to levels).
sub nominal_key {
    my ($c, $e, $t, $vt, $nv) = @_;
    my @lv = $vt =~ /v[123](min|max|nom)/g;
    return join ' ', $c, $e, ($t eq 'm40' ? -40 : $t), @lv[0 .. $nv - 1];
}

# ---------------------------------------------------------------- the sample netlists
my $tb = $opt{tb};
$tb =~ /\A[A-Za-z0-9_][A-Za-z0-9_.-]*\z/ or fail("bad testbench name '$tb'", 2);
system('rm', '-rf', '--', 'mc') == 0 or fail('mc: cannot remove the previous Monte Carlo directory');
mkdir 'mc' or fail("mc: $!");
my @rows;
my $i = 0;
for my $pi (@chosen) {
    my ($c, $e, $t, $vt) = @{ $points[$pi] };
    for my $k (1 .. $n) {
        $i++;
        my $seed = part_seed($seed0, $k);
        my $dir = write_sample($points[$pi], $kind, $tb, $i, $seed);
        push @rows, "$i $seed $c $e $t $vt $dir\n";
    }
}

# write_sample([CORNER, EX, T, VT], kind, tb, i, seed): the sample's netlist, from its
# point's: the model section switched to the Monte Carlo one, the seed after it. Its dir.
sub write_sample {
    my ($pt, $kind, $tb, $i, $seed) = @_;
    my ($c, $e, $t, $vt) = @$pt;
    my $src = "$c/$e/${e}_$t/$vt/$tb.sp";
    open my $fh, '<', $src or fail("$src: cannot read ($!); run gen first");
    my $text = do { local $/; <$fh> };
    close $fh;
    my $section = $kind eq 'mismatch' ? "${c}_mm" : 'mc_mm';
    my $hits = ($text =~ s/^(\s*\.lib\s+"?\$DP_HSPICE_MODEL"?\s+)\Q$c\E([ \t]*)$/$1$section$2/mgi);
    $hits or fail("$src: no '.lib \"\$DP_HSPICE_MODEL\" $c' line to select the Monte Carlo models");
    $text =~ s/^(\s*\.lib\s+"?\$DP_HSPICE_MODEL"?\s+\Q$section\E[ \t]*\n)/$1.option seed=$seed\n/mi;
    my $dir = "mc/${c}_$e/${t}_$vt/s$i";
    for my $d ('mc', "mc/${c}_$e", "mc/${c}_$e/${t}_$vt", $dir) {
        -d $d or mkdir $d or fail("$d: $!");
    }
    open my $out, '>', "$dir/$tb.sp" or fail("$dir/$tb.sp: $!");
    print {$out} $text;
    close $out or fail("$dir/$tb.sp: $!");
    return $dir;
}
open my $sfh, '>', 'mc/samples.txt.tmp' or fail("mc/samples.txt: $!");
print {$sfh} @rows;
close $sfh or fail("mc/samples.txt: $!");
rename 'mc/samples.txt.tmp', 'mc/samples.txt' or fail("mc/samples.txt: $!");
printf "mc: %d samples (%d per point) at %d point(s), %s, mc_seed %s\n", scalar(@rows), $n, scalar(@chosen), $kind, $seed0;
exit 0;
