#!/usr/bin/env perl
# gen_tb.pl -- PVT testbench generator of the pai_ho_core reference core (ver03).
#
# Clean-room implementation of WKPUP2_CONTRACT.md section 4.
#
# Usage (exactly 41 arguments, see docs/core-design.md):
#   perl gen_tb.pl <template> CORNER EX Ttok t1 t2 t3 s1 s2 s3 \
#        vccmin vccnom vccmax vcnmin vcnnom vcnmax vccanamin vccananom vccanamax \
#        vctxmin vctxnom vctxmax vcc_vid \
#        tt_h_min tt_h_nom tt_h_max tt_c_min tt_c_nom tt_c_max \
#        ff_h_min ff_h_nom ff_h_max ff_c_min ff_c_nom ff_c_max \
#        ss_h_min ss_h_nom ss_h_max ss_c_min ss_c_nom ss_c_max
#
# The generated netlist goes to stdout. Every input line gives exactly one output
# line (line numbers are preserved), and every output line ends in "\n" (contract §9.1: a
# template whose last line lacks a newline still gives a netlist whose last line ends in
# "\n"); a "\r\n" terminator is kept as in the template. The first matching rule wins:
#   1  line contains <any char>"temp "    -> ".temp <n>"   (Ttok m40 -> -40)
#   2  <p>DP_HSPICE_MODEL<rest>           -> <p>DP_HSPICE_MODEL" <CORNER>
#   3  <p>_tparam_typical.spf<rest>       -> <p>_tparam_<EX>.spf"
#      <p>_tparam_typical.red.spf<rest>   -> <p>_tparam_<EX>.red.spf"
#   4  <p>_lib.lib<rest>                  -> <p>_lib.lib" <CORNER>_<EX>_<Ttok>_v1<t1>[_v2<t2>[_v3<t3>]]
#      _v2 only when s2 ne NA; _v3 only (inside _v2) when s3 eq vccn.  Real-flow quirk
#      reproduced on purpose: s3 = vccn_vcctx gets NO _v3 suffix.
#   5  .param vcn=    -> vcn<trend> of the first of s1,s2,s3 that is vccn|vccn_vcctx, else verbatim
#   6  .param vsh=    -> only when vccn (or vccn_vcctx) is swept, NOM = vcnnom literally:
#                        max "((NOM-0.8)*vcn/NOM)+0.05"  nom "((NOM-0.85)*vcn/NOM)"
#                        min "((NOM-0.85)*vcn/NOM)-0.05"; else verbatim
#   7  .param vc=     -> only when s1 eq vcc: VID value when vcc_vid eq Yes and Ttok is
#                        m40 (_c row) or 125 (_h row), corner class tt: TT FSG SFG,
#                        ff: FFG FFG_SSG FFAG, ss: SSG SSG_FFG SSAG; otherwise (85/100,
#                        VID off, unknown corner class) vccmin/nom/max; else verbatim
#   8  .param vctx=   -> t2 trend if s2 eq vcctx, t3 trend if s3 eq vccn_vcctx,
#                        otherwise ALWAYS vctxnom (the only rail forced to nominal)
#   9  .param vccana= -> t1 trend if s1 eq vccana, t2 trend if s2 eq vccana, else verbatim
#  10  anything else verbatim.
# Values are written as given (raw CSV strings, e.g. "0.5*vcn" with its quotes).
#
# Exit status: 0 ok; 2 usage error (wrong argument count, unreadable template,
# a trend that is not min|nom|max where one is needed) with a one-line message on stderr.
use strict;
use warnings;

my $NARGS = 41;

sub usage_die {
    my ($msg) = @_;
    print STDERR "gen_tb.pl: $msg\n";
    exit 2;
}

if (@ARGV != $NARGS) {
    usage_die(sprintf('usage: gen_tb.pl <template> CORNER EX Ttok t1 t2 t3 s1 s2 s3 '
        . '<12 supply values> vcc_vid <18 VID values> (expected %d arguments, got %d)',
        $NARGS, scalar @ARGV));
}

my ($template, $corner, $ex, $ttok, $t1, $t2, $t3, $s1, $s2, $s3) = @ARGV[0 .. 9];
my %val;
@val{qw(vccmin vccnom vccmax vcnmin vcnnom vcnmax vccanamin vccananom vccanamax
        vctxmin vctxnom vctxmax)} = @ARGV[10 .. 21];
my $vcc_vid = $ARGV[22];
my %vid;    # $vid{tt}{h}{min}
{
    my $i = 23;
    for my $class (qw(tt ff ss)) {
        for my $hc (qw(h c)) {
            for my $tr (qw(min nom max)) {
                $vid{$class}{$hc}{$tr} = $ARGV[$i++];
            }
        }
    }
}

my %corner_class = (
    TT => 'tt', FSG => 'tt', SFG => 'tt',
    FFG => 'ff', FFG_SSG => 'ff', FFAG => 'ff',
    SSG => 'ss', SSG_FFG => 'ss', SSAG => 'ss',
);

sub trend_ok {
    my ($tr, $what) = @_;
    usage_die("trend '$tr' for $what is not min|nom|max") unless $tr =~ /\A(?:min|nom|max)\z/;
    return $tr;
}

# Temperature value for the .temp line: m40 -> -40, other tokens as is.
my $temp_value = $ttok;
$temp_value =~ s/\Am/-/;

# _lib.lib section name.
my $lib_section = "${corner}_${ex}_${ttok}_v1$t1";
if ($s2 ne 'NA') {
    $lib_section .= "_v2$t2";
    $lib_section .= "_v3$t3" if $s3 eq 'vccn';    # quirk: not for vccn_vcctx
}

# Which trend drives vcn (and vsh)?
my $vcn_trend;
for my $pair ([$s1, $t1], [$s2, $t2], [$s3, $t3]) {
    if ($pair->[0] eq 'vccn' || $pair->[0] eq 'vccn_vcctx') {
        $vcn_trend = $pair->[1];
        last;
    }
}

# Computed replacement values (undef = keep the template line).
my ($vcn_line_val, $vsh_line_val, $vc_line_val, $vctx_line_val, $vccana_line_val);
if (defined $vcn_trend) {
    my $tr  = trend_ok($vcn_trend, 'vccn');
    my $nom = $val{vcnnom};
    $vcn_line_val = $val{"vcn$tr"};
    $vsh_line_val = $tr eq 'max' ? "\"(($nom-0.8)*vcn/$nom)+0.05\""
                  : $tr eq 'nom' ? "\"(($nom-0.85)*vcn/$nom)\""
                  :                "\"(($nom-0.85)*vcn/$nom)-0.05\"";
}
if ($s1 eq 'vcc') {
    my $tr = trend_ok($t1, 'vcc');
    my $hc = $ttok eq 'm40' ? 'c' : $ttok eq '125' ? 'h' : undef;
    my $class = $corner_class{$corner};
    if ($vcc_vid eq 'Yes' && defined $hc && defined $class) {
        $vc_line_val = $vid{$class}{$hc}{$tr};
    } else {
        $vc_line_val = $val{"vcc$tr"};
    }
}
if ($s2 eq 'vcctx') {
    $vctx_line_val = $val{'vctx' . trend_ok($t2, 'vcctx')};
} elsif ($s3 eq 'vccn_vcctx') {
    $vctx_line_val = $val{'vctx' . trend_ok($t3, 'vccn_vcctx')};
} else {
    $vctx_line_val = $val{vctxnom};
}
if ($s1 eq 'vccana') {
    $vccana_line_val = $val{'vccana' . trend_ok($t1, 'vccana')};
} elsif ($s2 eq 'vccana') {
    $vccana_line_val = $val{'vccana' . trend_ok($t2, 'vccana')};
}

usage_die("template '$template' is not a regular file") unless -f $template;
open(my $in, '<:raw', $template) or usage_die("cannot read template '$template': $!");
my $text = do { local $/; <$in> };
usage_die("cannot read template '$template': $!") unless defined $text;
close($in) or usage_die("cannot read template '$template': $!");

binmode(STDOUT, ':raw');
my @out;
for my $raw (split /(?<=\n)/, $text) {
    my ($line, $eol) = $raw =~ /\A(.*?)(\r?\n|)\z/s;
    my $new;
    if ($line =~ /.temp /) {
        $new = ".temp $temp_value";
    } elsif ($line =~ /(.+)DP_HSPICE_MODEL(.+)/) {
        $new = "$1DP_HSPICE_MODEL\" $corner";
    } elsif ($line =~ /(.+)_tparam_typical\.spf(.+)/) {
        $new = "$1_tparam_$ex.spf\"";
    } elsif ($line =~ /(.+)_tparam_typical\.red\.spf(.+)/) {
        $new = "$1_tparam_$ex.red.spf\"";
    } elsif ($line =~ /(.+)_lib\.lib(.+)/) {
        $new = "$1_lib.lib\" $lib_section";
    } elsif ($line =~ /\.param vcn=/) {
        $new = defined $vcn_line_val ? ".param vcn=$vcn_line_val" : $line;
    } elsif ($line =~ /\.param vsh=/) {
        $new = defined $vsh_line_val ? ".param vsh=$vsh_line_val" : $line;
    } elsif ($line =~ /\.param vc=/) {
        $new = defined $vc_line_val ? ".param vc=$vc_line_val" : $line;
    } elsif ($line =~ /\.param vctx=/) {
        $new = ".param vctx=$vctx_line_val";
    } elsif ($line =~ /\.param vccana=/) {
        $new = defined $vccana_line_val ? ".param vccana=$vccana_line_val" : $line;
    } else {
        $new = $line;
    }
    push @out, $new . ($eol eq '' ? "\n" : $eol);
}
print @out or usage_die("cannot write the netlist: $!");
close(STDOUT) or usage_die("cannot write the netlist: $!");
exit 0;
