#!/usr/bin/env perl
# ngspice_deck.pl <tb.sp> <tb.run.sp> <tb.names>
#
# Turns a generated (HSPICE-flavoured) netlist into an ngspice 39 run deck.
# The input netlist is only read. Changes, line by line (line count is kept
# except for the lines added before .end):
#   - $NAME / ${NAME} inside a quoted .lib/.inc/.include path is replaced by
#     the environment variable NAME (HSPICE does this, ngspice 39 does not);
#     an unset variable is an error.
#   - `.param name="expr"` -> `.param name='expr'`: ngspice 39 takes a
#     double-quoted .param value as a string, not an expression.
#   - in .meas lines: `.mea` -> `.meas`, `param "expr"` / `param="expr"` ->
#     `param='expr'`, `key="expr"` -> `key='expr'`.
#   - for every measurement (in .meas order) a full-precision twin
#     `.meas <analysis> paiho_fp_<i> param='<name>'` is added before .end:
#     ngspice prints FIND/WHEN results with 7 significant digits only, but
#     param measurements with NGSPICE_MEAS_PRECISION digits.
# Writes the measurement names, one per line in .meas order, to <tb.names>;
# line 1 of that file is `#title <title>`, line 2 `#temp <temperature>`.
use strict;
use warnings;

sub fail { my ($msg) = @_; print STDERR "ERROR: $msg\n"; exit 1; }

@ARGV == 3 or fail('usage: ngspice_deck.pl <tb.sp> <tb.run.sp> <tb.names>');
my ($in, $out, $names_file) = @ARGV;

open my $ifh, '<', $in or fail("$in: $!");
my @lines = <$ifh>;
close $ifh;

my $title;
my $temp = 27;
my @meas;    # [name, analysis]
my %seen;

sub env_subst {
    my ($path, $lineno) = @_;
    $path =~ s{\$\{(\w+)\}|\$(\w+)}{
        my $v = defined $1 ? $1 : $2;
        defined $ENV{$v} or fail("$in line $lineno: environment variable $v (in a .lib/.inc path) is not set");
        $ENV{$v};
    }ge;
    return $path;
}

# logical lines (for .meas with + continuations) are only needed to find
# names; the measurement name is always on the first physical line.
my @outl;
for my $i (0 .. $#lines) {
    my $l = $lines[$i];
    my $lineno = $i + 1;
    my $eol = ($l =~ s/(\r?\n)$//) ? $1 : '';
    if ($i == 0 && $l !~ /^\s*\./) {
        # SPICE title line: keep as default title if no .title
        (my $t = $l) =~ s/^\s+|\s+$//g;
        $title = $t if $t ne '' && $t !~ /^\*/;
    }
    if ($l =~ /^\s*\.(?:lib|inc|include)\b/i) {
        $l =~ s{(["'])([^"']*)\1}{$1 . env_subst($2, $lineno) . $1}ge;
    }
    elsif ($l =~ /^\s*\.title\s+(.*?)\s*$/i) {
        $title = $1;
    }
    elsif ($l =~ /^\s*\.temp(?:erature)?\s+(\S+)/i) {
        $temp = $1;
    }
    elsif ($l =~ /^\s*\.param\b/i) {
        $l =~ s/=\s*"([^"]*)"/='$1'/g;
    }
    elsif ($l =~ /^\s*\.mea(?:s|sure)?\s/i) {
        $l =~ s/^(\s*)\.mea\s/$1.meas /i;
        $l =~ s/\bparam\s*=?\s*"([^"]*)"/param='$1'/gi;
        $l =~ s/=\s*"([^"]*)"/='$1'/g;
        if ($l =~ /^\s*\.mea(?:s|sure)?\s+(\w+)\s+(\S+)/i) {
            my ($an, $name) = (lc $1, lc $2);
            $name =~ /^[a-z_][\w]*$/ or fail("$in line $lineno: unsupported measurement name '$name'");
            $seen{$name}++ and fail("$in line $lineno: measurement '$name' defined twice");
            push @meas, [$name, $an];
        }
        else {
            fail("$in line $lineno: cannot parse .meas line");
        }
    }
    push @outl, $l . $eol;
}

@meas or fail("$in: no .meas lines");
$temp =~ /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/ or fail("$in: .temp value '$temp' is not a number");
$title = 'untitled' unless defined $title && $title ne '';

my @twins;
for my $k (0 .. $#meas) {
    my ($name, $an) = @{ $meas[$k] };
    push @twins, sprintf(".meas %s paiho_fp_%d param='%s'\n", $an, $k + 1, $name);
}

# insert twins before the last .end (or append when there is none)
my $end_idx;
for my $i (reverse 0 .. $#outl) {
    if ($outl[$i] =~ /^\s*\.end\s*$/i) { $end_idx = $i; last; }
}
if (defined $end_idx) {
    splice @outl, $end_idx, 0, "* full-precision twins of the measurements (pai_ho_core)\n", @twins;
}
else {
    $outl[-1] .= "\n" if @outl && $outl[-1] !~ /\n$/;
    push @outl, "* full-precision twins of the measurements (pai_ho_core)\n", @twins, ".end\n";
}

open my $ofh, '>', $out or fail("$out: $!");
print {$ofh} @outl;
close $ofh or fail("$out: $!");

open my $nfh, '>', $names_file or fail("$names_file: $!");
print {$nfh} "#title $title\n#temp $temp\n";
print {$nfh} "$_->[0]\n" for @meas;
close $nfh or fail("$names_file: $!");
exit 0;
