#!/usr/bin/env perl
# sky130_lib.pl <table_model_map.csv> <combined_models_dir> [<run_deck> <lib_file>]
#
# Prints (stdout) the SKY130 model library used by ngspice runs: one
# `.lib <CORNER>` section per contract corner of table_model_map.csv, each
# including only the continuous-model parameter files of its fet/res/cap
# corner, the fet/resistor/capacitor models, models_global (scale option and
# the sw_* parameters the fet/resistor models use) and the matching rescap
# files, all with absolute paths. See docs/models.md.
#
# Device trimming (when <run_deck> is given and PAIHO_MODEL_TRIM is not 0):
# the run deck and every non-PDK file it includes (.inc/.include/.lib,
# recursively; relative paths resolved against the including file's
# directory, then the current directory, as ngspice does) are scanned for
# `sky130_fd_pr__<name>` words outside comments. models_fet.spice is then
# replaced by a copy holding only the `.subckt ... .ends` blocks of those
# devices plus the blocks they reference (and any top-level statement), kept
# in file order. A name defined nowhere (not a models_fet subckt, not a
# models_resistors/models_capacitors subckt/model, not defined by the scanned
# files themselves) is an error. <lib_file> (the library being written, the
# deck's $DP_HSPICE_MODEL) and files under <combined_models_dir> are not
# scanned. The trimmed copy lives in the cache directory
#   $PAIHO_CACHE, else $XDG_CACHE_HOME/pai_ho_core, else $HOME/.cache/pai_ho_core
# named models_fet.<key>.spice, key = SHA-1 of (format version, path, size,
# mtime of models_fet.spice, sorted device set); it is written to a temporary
# name and renamed, so concurrent points of a run share it safely.
use strict;
use warnings;
use Cwd qw(getcwd);
use Digest::SHA qw(sha1_hex);
# (File::Spec/File::Path/File::Basename are avoided: they double the start-up
# time of this per-point script; File::Path is loaded only on a cache miss.)

sub fail { my ($msg) = @_; print STDERR "ERROR: $msg\n"; exit 1; }

sub dirname { my ($p) = @_; $p =~ s{/+[^/]*$}{}; return $p eq '' ? '/' : $p; }

@ARGV == 2 || @ARGV == 4
    or fail('usage: sky130_lib.pl <table_model_map.csv> <combined_models_dir> [<run_deck> <lib_file>]');
my ($map, $dir, $deck, $lib_file) = @ARGV;
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

my $fet_file = "$dir/continuous/models_fet.spice";
my $fet_include = $fet_file;
my $trim_note = 'models_fet: whole file';
if (defined $deck && ($ENV{PAIHO_MODEL_TRIM} // '1') ne '0') {
    my @devices = scan_devices($deck, $lib_file, $dir);
    $fet_include = trimmed_fet($fet_file, \@devices);
    $trim_note = 'models_fet: trimmed to ' . (@devices ? join(' ', map { $_->[0] } @devices) : '(no sky130 device)');
}

my @common = (
    "$dir/continuous/models_global.spice", $fet_include,
    "$dir/continuous/models_resistors.spice", "$dir/continuous/models_capacitors.spice",
);

print "* SKY130 model library for ngspice, written by pai_ho_core sky130_lib.pl\n";
print "* models: $dir\n";
print "* $trim_note\n";
print "* map: table_model_map.csv (corner -> fet/res/cap corner + rescap)\n";
for my $r (@rows) {
    my ($corner, $fet, $res, $cap, $rescap) = @$r;
    my @files = (
        "$dir/continuous/parameters_fet_$fet.spice",
        "$dir/continuous/parameters_res_$res.spice",
        "$dir/continuous/parameters_cap_$cap.spice",
        @common,
        "$dir/rescap/$rescap.spice",
        "$dir/rescap/${rescap}__lin.spice",
    );
    print "\n.lib $corner\n";
    print "* fet=$fet res=$res cap=$cap rescap=$rescap\n";
    print ".param mc_mm_switch=0 mc_pr_switch=0 corner_factor=1 process_mc_factor=1 mismatch_factor=1\n";
    for my $f (@files) {
        -f $f or fail("$f: missing model file");
        print ".include \"$f\"\n";
    }
    print ".endl $corner\n";
}
exit 0;

# ---------------------------------------------------------------------------

# Reads a SPICE file as logical lines: [line number, text] with `+`
# continuations joined, comment lines dropped, inline `$ ...` / `; ...`
# comments removed.
sub logical_lines {
    my ($file) = @_;
    open my $in, '<', $file or return;
    my @out;
    my $no = 0;
    while (my $l = <$in>) {
        $no++;
        $l =~ s/\r?\n$//;
        next if $l =~ /^\s*\*/;
        $l =~ s/\s[\$;].*$//;
        if ($l =~ /^\s*\+(.*)$/) {
            $out[-1][1] .= " $1" if @out;
            next;
        }
        push @out, [$no, $l];
    }
    close $in;
    return \@out;
}

sub resolve_include {
    my ($name, $from_dir) = @_;
    $name =~ s{^~(?=/)}{$ENV{HOME} // '~'}e;
    return $name if $name =~ m{^/};
    for my $base ($from_dir, getcwd()) {
        my $p = "$base/$name";
        return $p if -f $p;
    }
    return "$from_dir/$name";
}

# Absolute, with symlinks resolved when the file exists.
sub canon {
    my ($p) = @_;
    $p = getcwd() . "/$p" unless $p =~ m{^/};
    my $real = -e $p ? Cwd::realpath($p) : undef;
    return $real if defined $real;
    1 while $p =~ s{/\.?/}{/} || $p =~ s{/[^/]+/\.\./}{/};
    return $p;
}

# Returns the sorted sky130_fd_pr__* names the deck (and the non-PDK files it
# includes) use, minus the ones those files define themselves.
sub scan_devices {
    my ($top, $skip_lib, $pdk_dir) = @_;
    my $pdk = canon($pdk_dir);
    my %skip;
    $skip{ canon($skip_lib) } = 1 if defined $skip_lib;
    my (%used, %local, %seen);
    my @todo = ([canon($top), undef]);
    while (my $item = shift @todo) {
        my ($file, $from) = @$item;
        next if $seen{$file}++;
        my $lines = logical_lines($file);
        defined $lines or fail(($from // 'run deck') . ": cannot read $file: $!");
        my $fdir = dirname($file);
        for my $ln (@$lines) {
            my ($no, $l) = @$ln;
            if ($l =~ /^\s*\.(?:inc|include|lib)\s+(?:"([^"]*)"|'([^']*)'|(\S+))(\s+\S+)?/i) {
                my $name = $1 // $2 // $3;
                # `.lib <section>` inside a library file opens a section
                next if !defined $4 && !defined $1 && !defined $2 && $l =~ /^\s*\.lib\b/i && !-f resolve_include($name, $fdir);
                my $inc = canon(resolve_include($name, $fdir));
                next if $skip{$inc} || index($inc, "$pdk/") == 0;
                -f $inc or fail("$file line $no: included file $name not found ($inc)");
                push @todo, [$inc, "$file line $no"];
                next;
            }
            if ($l =~ /^\s*\.(?:subckt|model)\s+(\S+)/i) {
                $local{ lc $1 } = 1;
            }
            while ($l =~ /\b(sky130_fd_pr__\w+)/gi) {
                $used{ lc $1 } //= "$file line $no";
            }
        }
    }
    delete @used{ keys %local };
    return map { [$_, $used{$_}] } sort keys %used;
}

# Index of a PDK model file: { blocks => [[name|undef, text]], subckt => {name => idx} }
sub index_fet {
    my ($file) = @_;
    open my $in, '<', $file or fail("$file: $!");
    my (@blocks, %subckt, $cur, $depth);
    $depth = 0;
    my $top = '';
    while (my $l = <$in>) {
        if ($depth == 0) {
            if ($l =~ /^\s*\.subckt\s+(\S+)/i) {
                push @blocks, [undef, $top] if $top =~ /\S/;
                $top = '';
                $cur = [lc $1, $l];
                $depth = 1;
                next;
            }
            # top-level statements (none in the 2021+ files) are kept; comments are not
            $top .= $l unless $l =~ /^\s*(?:\*.*)?\r?$/;
            next;
        }
        $cur->[1] .= $l;
        if ($l =~ /^\s*\.subckt\b/i) { $depth++; }
        elsif ($l =~ /^\s*\.ends\b/i) {
            if (--$depth == 0) {
                $subckt{ $cur->[0] } = scalar @blocks;
                push @blocks, $cur;
                $cur = undef;
            }
        }
    }
    close $in;
    $depth == 0 or fail("$file: unterminated .subckt $cur->[0]");
    push @blocks, [undef, $top] if $top =~ /\S/;
    return { blocks => \@blocks, subckt => \%subckt };
}

sub pdk_names {
    my (@files) = @_;
    my %names;
    for my $f (@files) {
        open my $in, '<', $f or fail("$f: $!");
        while (my $l = <$in>) {
            $names{ lc $1 } = 1 if $l =~ /^\s*\.(?:subckt|model)\s+(\S+)/i;
        }
        close $in;
    }
    return \%names;
}

sub cache_dir {
    return $ENV{PAIHO_CACHE} if defined $ENV{PAIHO_CACHE} && $ENV{PAIHO_CACHE} ne '';
    return "$ENV{XDG_CACHE_HOME}/pai_ho_core"
        if defined $ENV{XDG_CACHE_HOME} && $ENV{XDG_CACHE_HOME} ne '';
    return "$ENV{HOME}/.cache/pai_ho_core" if defined $ENV{HOME} && $ENV{HOME} ne '';
    fail('model cache: set PAIHO_CACHE (none of PAIHO_CACHE, XDG_CACHE_HOME, HOME is set)');
}

# Returns the path of the trimmed models_fet copy for the device set.
sub trimmed_fet {
    my ($file, $devices) = @_;
    my @st = stat $file or fail("$file: $!");
    my $abs = canon($file);
    my $key = sha1_hex(join "\n", 'paiho-fet-trim-1', $abs, $st[7], $st[9], map { $_->[0] } @$devices);
    my $cdir = cache_dir();
    my $out = "$cdir/models_fet." . substr($key, 0, 20) . '.spice';
    return $out if -f $out;

    my $idx = index_fet($file);
    my $sub = $idx->{subckt};
    my $other;    # names models_resistors/models_capacitors define
    my %keep;
    my @queue;
    for my $d (@$devices) {
        my ($name, $where) = @$d;
        if (exists $sub->{$name}) { push @queue, $name; next; }
        $other //= pdk_names(map { dirname($file) . "/models_$_.spice" } qw(resistors capacitors));
        next if $other->{$name};
        fail("device $name ($where) is not defined in the SKY130 continuous models "
            . '(models_fet, models_resistors, models_capacitors of ' . dirname($file) . ')');
    }
    while (defined(my $name = shift @queue)) {
        next if $keep{$name}++;
        my $text = $idx->{blocks}[ $sub->{$name} ][1];
        while ($text =~ /\b(sky130_fd_pr__\w+)/gi) {
            my $ref = lc $1;
            push @queue, $ref if exists $sub->{$ref} && !$keep{$ref};
        }
    }
    my $body = "* models_fet.spice trimmed by pai_ho_core sky130_lib.pl\n* from: $abs\n"
        . '* subckts: ' . join(' ', sort keys %keep) . "\n";
    for my $b (@{ $idx->{blocks} }) {
        my ($name, $text) = @$b;
        $body .= $text if !defined $name || $keep{$name};
    }
    require File::Path;
    eval { File::Path::make_path($cdir); 1 } or fail("model cache $cdir: cannot create: $@");
    -d $cdir && -w _ or fail("model cache $cdir: not a writable directory");
    my $tmp = "$out.tmp.$$." . int(rand(1e9));
    open my $o, '>', $tmp or fail("model cache: $tmp: $!");
    print {$o} $body;
    close $o or fail("model cache: $tmp: $!");
    rename $tmp, $out or do { unlink $tmp; fail("model cache: $out: $!"); };
    return $out;
}
