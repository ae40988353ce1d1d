#!/usr/bin/env perl
# srt_report.pl -- srt stage: writes report/creport.txt (WKPUP2_CONTRACT.md §5,
# "creport.txt exact format").
#
# Usage:
#   perl srt_report.pl --supply SUPPLY_FILE --nsupply 1|2|3 --names HEADER_REPORT \
#                      --list POINTS_FILE --out CREPORT
#
#   SUPPLY_FILE    exactly 8 lines, written verbatim as creport lines 1-8, e.g.
#                    supply condition
#                    v1: vcc
#                    v2: vccn
#                    v3: NA
#                    vcc_vid: vcc_ff_h#0.675,0.75,0.88; ...      (or "vcc none vid: a,b,c")
#                    vccana: 0.715,0.75,0.785
#                    vccn: 0.99,1.1,1.188
#                    vcctx: "0.5*vcn","0.5*vcn","0.5*vcn"
#                  (line 9 of the creport is always empty).
#   --nsupply N    number of swept supplies = number of v columns (v1[ v2[ v3]]).
#   HEADER_REPORT  report whose line 1 gives the measurement names (the real flow uses
#                  report/report_TT_typical_85_<nom-vt>.txt). If it is missing or has no
#                  line 1, the first report of POINTS_FILE that has one is used (warning).
#   POINTS_FILE    one line per PVT point, in creport row order, TAB-separated:
#                    CORNER  EX  TEMP  lv1 [lv2 [lv3]]  REPORT_PATH
#                  (3 + N + 1 fields; TEMP numeric: -40 125 85 100; lv = min|nom|max).
#                  "-" reads the list from stdin.
#   CREPORT        output file (written atomically).
#
# Output: lines 1-8 from SUPPLY_FILE, an empty line 9, then the table header
#   process\textract\ttemp\tv1[\tv2[\tv3]]\t<names padded to 100 slots>
# then per point, per data line (lines 2.. of its report; one row per alter in alter mode,
# where the report's own first column is swp):
#   CORNER\tEX\tTEMP\tlv1[\tlv2[\tlv3]]\t<first 100 fields of the data line, padded to 100>
# A point whose report is missing or has no data line gets ONE row with `failed` in each
# measurement slot (as many as the header has names, at least one) -- never dropped.
# Every line ends in "\n".
#
# Exit status: 0 ok; 2 usage error (one line on stderr); 3 creport written but no
# measurement names were found anywhere (every row is failed).
use strict;
use warnings;
use Getopt::Long qw(GetOptions);

my $SLOTS = 100;

sub usage_die {
    my ($msg) = @_;
    print STDERR "srt_report.pl: $msg\n";
    exit 2;
}

my ($supply_file, $nsupply, $names_file, $list_file, $out_file);
GetOptions(
    'supply=s'  => \$supply_file,
    'nsupply=i' => \$nsupply,
    'names=s'   => \$names_file,
    'list=s'    => \$list_file,
    'out=s'     => \$out_file,
) or usage_die('usage: srt_report.pl --supply FILE --nsupply 1|2|3 --names REPORT --list FILE --out FILE');
usage_die('usage: srt_report.pl --supply FILE --nsupply 1|2|3 --names REPORT --list FILE --out FILE')
    if @ARGV || grep { !defined } ($supply_file, $nsupply, $names_file, $list_file, $out_file);
usage_die("--nsupply must be 1, 2 or 3, got $nsupply") unless $nsupply =~ /\A[123]\z/;

# Read a text file as a list of lines without terminators ("\n" or "\r\n").
sub read_lines {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or return;
    my @lines;
    while (my $l = <$fh>) {
        $l =~ s/\r?\n\z//;
        push @lines, $l;
    }
    close($fh);
    return \@lines;
}

# Split on tabs keeping empty fields, return exactly $SLOTS fields.
sub slots {
    my ($line) = @_;
    my @f = split /\t/, $line, -1;
    $#f = $SLOTS - 1;
    return map { defined $_ ? $_ : '' } @f;
}

my $supply = read_lines($supply_file) or usage_die("cannot read supply file '$supply_file': $!");
usage_die(sprintf("supply file '%s' must have exactly 8 lines, has %d", $supply_file, scalar @$supply))
    unless @$supply == 8;

my @points;
{
    my $list;
    if ($list_file eq '-') {
        my @l = <STDIN>;
        s/\r?\n\z// for @l;
        $list = \@l;
    } else {
        $list = read_lines($list_file) or usage_die("cannot read points list '$list_file': $!");
    }
    my $want = 3 + $nsupply + 1;
    my $n = 0;
    for my $l (@$list) {
        $n++;
        next if $l eq '';
        my @f = split /\t/, $l, -1;
        usage_die("points list line $n: expected $want TAB-separated fields, got " . scalar(@f))
            unless @f == $want;
        push @points, { prefix => [ @f[0 .. $want - 2] ], report => $f[-1] };
    }
}

# Measurement names.
my $names_line;
{
    my $h = read_lines($names_file);
    if ($h && @$h) {
        $names_line = $h->[0];
    } else {
        for my $p (@points) {
            my $r = read_lines($p->{report});
            if ($r && @$r) {
                $names_line = $r->[0];
                print STDERR "srt_report.pl: warning: header report '$names_file' unusable; "
                    . "names taken from '$p->{report}'\n";
                last;
            }
        }
    }
}
my $rc = 0;
my @names;
if (defined $names_line) {
    @names = slots($names_line);
} else {
    @names = ('') x $SLOTS;
    print STDERR "srt_report.pl: no measurement names found (no usable report); all rows failed\n";
    $rc = 3;
}
my $nnames = 0;
for my $i (0 .. $#names) {
    $nnames = $i + 1 if $names[$i] ne '';
}
my @failed = slots(join("\t", ('failed') x ($nnames > 0 ? $nnames : 1)));

my @out = (@$supply, '');
push @out, join("\t", 'process', 'extract', 'temp', (map { "v$_" } 1 .. $nsupply), @names);
my $nfailed = 0;
for my $p (@points) {
    my $r = read_lines($p->{report});
    my @data = ($r && @$r > 1) ? @{$r}[1 .. $#$r] : ();
    if (!@data) {
        $nfailed++;
        push @out, join("\t", @{ $p->{prefix} }, @failed);
        next;
    }
    push @out, join("\t", @{ $p->{prefix} }, slots($_)) for @data;
}

my $tmp = "$out_file.tmp.$$";
open(my $oh, '>:raw', $tmp) or usage_die("cannot write '$tmp': $!");
print {$oh} map { "$_\n" } @out;
close($oh) or usage_die("cannot write '$tmp': $!");
rename($tmp, $out_file) or usage_die("cannot rename '$tmp' to '$out_file': $!");
print STDERR "srt_report.pl: $nfailed of " . scalar(@points) . " point(s) failed\n" if $nfailed;
exit $rc;
