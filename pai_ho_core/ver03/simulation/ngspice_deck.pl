#!/usr/bin/env perl
# ngspice_deck.pl <tb.sp> <tb> [<table_model_map.csv> <combined_models_dir> <lib_file>
#                  [<ngspice> <ngspice version> <wave max bytes>]]
#
# Turns a generated (HSPICE-flavoured) netlist into ngspice 39 run decks, in the current
# directory (the point directory). The input netlist is only read.
#
# Changes, line by line (line count is kept except for the lines added before .end):
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
#
# .alter sweeps (ngspice has no .alter): the netlist up to the first `.alter <title>` is the
# base run; each alter block (its lines up to the next .alter or .end) is one more run of
# the whole netlist with the block's statements applied, cumulatively as in HSPICE (block k
# runs with the changes of blocks 1..k). Statements an alter block may hold:
#   .param a=v [b=w ...]     each assignment replaces the value of that top-level parameter
#                            (or adds `.param a=v` when there is none)
#   .lib "file" section      replaces the section of the .lib line of the same file (or adds it)
#   .temp t                  replaces the .temp line (or adds it)
#   .option(s) ...           added
#   .inc/.include "file"     added
#   <element> ...            replaces the top-level element of the same name (case-insensitive,
#                            with its + continuation lines), or adds it
#   .model name ...          replaces the top-level .model of the same name, or adds it
#   comments and blank lines
# Anything else in an alter block (.subckt, .meas, analyses, .data, .del, .save, ...) is
# refused with one line. Runs and files (run k of n alters):
#   base     <tb>.cir      <tb>.mnames      measure file <tb>.mt0    waveform <tb>.raw
#   alter k  <tb>_a<k>.cir <tb>_a<k>.mnames measure file <tb>.mt0<k> waveform <tb>_a<k>.raw
# so the measure files are <tb>.mt0, <tb>.mt01, <tb>.mt02 ... (what extract_alt.sh reads,
# ordered by alter), each titled with its alter's title (the base keeps the netlist's).
#
# Safety: before anything is written, the netlist and every file it includes (recursively,
# but not the model library the run stage writes, $DP_HSPICE_MODEL) are checked by
# PaihoGuard.pm: a deck that would run a program (.control, shell, d_process, ...) is
# refused, so nothing of it reaches ngspice.
#
# Writes each run's .mnames: `#title <title>`, `#temp <temperature>`, `#alter <alter#>`,
# `#wave <vector>` lines (the vectors the run stage writes to the waveform: those the .meas
# lines use, none when the deck has .save lines: then every saved vector), then the
# measurement names, one per line in .meas order.
# Prints one line per run on stdout: <deck> TAB <mnames> TAB <mt0> TAB <raw>.
# With the three model arguments it also writes, in the same process (one perl start per
# point), the SKY130 model library <lib_file> for the run decks (Sky130Lib.pm, trimmed as
# $PAIHO_MODEL_TRIM says) and starts the point log <tb>.log with one line saying which
# models_fet the library includes (and, when the bin probe could not decide, why).
# With the three run arguments as well (run_point.sh: one perl process per point) it then
# runs the decks itself: each run is `<ngspice> -p <deck>` fed the core's fixed script (run,
# write the waveform, rusage, quit) with its output in <tb>.run.log; the run's measure file
# is written (PaihoMt0.pm), the output appended to <tb>.log, an oversized waveform dropped;
# every run is tried, and the log ends `ngspice Successfully Completed` only when every run
# exited 0 and every measurement has a value; otherwise `ERROR: run_point: <why>` on stderr
# naming the first failure, exit 1.
# Exit 0 ok; 1 an error (one line on stderr).
use strict;
use warnings;
# this script's directory on @INC (FindBin/lib cost ~10 ms of start-up per point)
BEGIN { unshift @INC, (__FILE__ =~ m{^(.*)/[^/]*$} ? $1 : '.'); }
use PaihoGuard ();

sub fail {
    my ($msg) = @_;
    $msg =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord($1))/ge;
    print STDERR "ERROR: $msg\n";
    exit 1;
}

@ARGV == 2 || @ARGV == 5 || @ARGV == 8
    or fail('usage: ngspice_deck.pl <tb.sp> <tb> [<table_model_map.csv> <combined_models_dir> <lib_file>'
        . ' [<ngspice> <version> <wave max bytes>]]');
my ($in, $tb, $model_map, $models_dir, $lib_out, $ngspice, $ng_version, $wave_max) = @ARGV;
$tb =~ /\A[A-Za-z0-9_][A-Za-z0-9_.-]*\z/ or fail("bad testbench name '$tb'");
# run mode: the outputs of an earlier run go first, so a run that fails leaves none behind
# (here rather than an rm per point in run_point.sh)
# (readdir rather than glob: File::Glob costs ~0.7 ms of start-up)
if (defined $wave_max && opendir(my $dh, '.')) {
    my $old = qr/\A\Q$tb\E(?:\.mt0.*|(?:_a.*)?\.(?:cir|mnames|raw)|\.scan\.cir|\.probe\.cir|\.run\.log|\.log)\z/s;
    unlink grep { $_ =~ $old } readdir $dh;
    unlink "$lib_out.probe" if defined $lib_out;    # a bin probe's, left by a killed run
    closedir $dh;
}

# ---------------------------------------------------------------- safety first
{
    my %skip;
    if (defined $ENV{DP_HSPICE_MODEL} && $ENV{DP_HSPICE_MODEL} ne '') {
        $skip{ PaihoGuard::canon($ENV{DP_HSPICE_MODEL}) } = 1;
    }
    my $err = PaihoGuard::scan_netlist($in, skip => \%skip, env => 1, missing_ok => 1);
    fail("deck refused: $err") if defined $err;
}

open my $ifh, '<', $in or fail("$in: $!");
my @lines = <$ifh>;
close $ifh;

my $title;
my $temp = 27;
my @meas;    # [name, analysis]
my %seen;
my $has_save = 0;
my %wave;    # vector -> first seen order
my $nwave = 0;

sub env_subst {
    my ($path, $lineno) = @_;
    $path =~ s{\$\{(\w+)\}|\$(\w+)}{
        my $v = defined $1 ? $1 : $2;
        defined $ENV{$v} or fail("$in line $lineno: environment variable $v (in a .lib/.inc path) is not set");
        $ENV{$v};
    }ge;
    return $path;
}

# The output vectors a .meas line reads: v(a) v(a,b) vdb(a) ... -> v(a) [v(b)]; i(x) ... -> i(x).
# Only plain names are taken (they go into the run stage's `write` command).
sub meas_vectors {
    my ($l) = @_;
    while ($l =~ /\b(v|vm|vdb|vp|vr|vi|vph|i|im|idb|ip|ir|ii)\(\s*([^()]*?)\s*\)/gi) {
        my ($kind, $args) = (lc substr($1, 0, 1), $2);
        for my $node (split /\s*,\s*/, $args) {
            next unless $node =~ /\A[A-Za-z0-9_][A-Za-z0-9_.:#\[\]<>-]*\z/;
            next if $node eq '0' && $kind eq 'v';
            my $vec = "$kind(" . lc($node) . ')';
            $wave{$vec} //= $nwave++;
        }
    }
    return;
}

# Converts one physical line (the same rules for the netlist and for the alter blocks).
# Returns the converted line; records measurements when $record is true.
sub convert {
    my ($l, $lineno, $record) = @_;
    if ($l =~ /^\s*\.(?:lib|inc|include)\b/i) {
        $l =~ s{(["'])([^"']*)\1}{$1 . env_subst($2, $lineno) . $1}ge;
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
            if ($record) {
                $seen{$name}++ and fail("$in line $lineno: measurement '$name' defined twice");
                push @meas, [$name, $an];
                meas_vectors($l);
            }
        }
        else {
            fail("$in line $lineno: cannot parse .meas line");
        }
    }
    return $l;
}

# ---------------------------------------------------------------- the netlist
# @base: [lineno, text, eol] of the lines before the first .alter (or all lines)
# @alters: { title, lineno, lines => [[lineno, text, eol] ...] }
my (@base, @alters, $end_seen);
my $in_subckt = 0;
for my $i (0 .. $#lines) {
    my $l = $lines[$i];
    my $lineno = $i + 1;
    my $eol = ($l =~ s/(\r?\n)$//) ? $1 : '';
    if ($i == 0 && $l !~ /^\s*\./) {
        # SPICE title line: keep as default title if no .title
        (my $t = $l) =~ s/^\s+|\s+$//g;
        $title = $t if $t ne '' && $t !~ /^\*/;
    }
    if ($end_seen) {
        push @base, [$lineno, $l, $eol] unless @alters;
        next;
    }
    if ($l =~ /^\s*\.alter\b\s*(.*?)\s*$/i) {
        push @alters, { title => $1, lineno => $lineno, lines => [] };
        next;
    }
    if ($l =~ /^\s*\.end\s*$/i) {
        $end_seen = 1;
        push @base, [$lineno, $l, $eol] unless @alters;
        next;
    }
    if (@alters) {
        push @{ $alters[-1]{lines} }, [$lineno, convert($l, $lineno, 0), $eol];
        next;
    }
    $in_subckt++ if $l =~ /^\s*\.subckt\b/i;
    $in_subckt-- if $l =~ /^\s*\.ends\b/i && $in_subckt > 0;
    if ($l =~ /^\s*\.title\s+(.*?)\s*$/i) {
        $title = $1;
    }
    elsif ($l =~ /^\s*\.temp(?:erature)?\s+(\S+)/i) {
        $temp = $1;
    }
    elsif ($l =~ /^\s*\.save\b/i && !$in_subckt) {
        $has_save = 1;
    }
    push @base, [$lineno, convert($l, $lineno, 1), $eol];
}

@meas or fail("$in: no .meas lines");
$title = 'untitled' unless defined $title && $title ne '';

sub check_temp {
    my ($t) = @_;
    $t =~ /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/ or fail("$in: .temp value '$t' is not a number");
}
check_temp($temp);

my @twins;
for my $k (0 .. $#meas) {
    my ($name, $an) = @{ $meas[$k] };
    push @twins, sprintf(".meas %s paiho_fp_%d param='%s'\n", $an, $k + 1, $name);
}
my $twin_note = "* full-precision twins of the measurements (pai_ho_core)\n";

sub write_file {
    my ($path, @content) = @_;
    open my $ofh, '>', $path or fail("$path: $!");
    print {$ofh} @content;
    close $ofh or fail("$path: $!");
}

my @runs;    # [deck, mnames, mt0, raw]
sub write_run {
    my ($deck, $mnames, $mt0, $raw, $run_title, $run_temp, $alter_no, $outl) = @_;
    write_file($deck, @$outl);
    my @w = $has_save ? () : sort { $wave{$a} <=> $wave{$b} } keys %wave;
    write_file($mnames, "#title $run_title\n#temp $run_temp\n#alter $alter_no\n",
        (map { "#wave $_\n" } @w), map { "$_->[0]\n" } @meas);
    push @runs, [$deck, $mnames, $mt0, $raw];
}

if (!@alters) {
    # the deck as before: every line, the twins inserted before the last .end
    my @outl = map { $_->[1] . $_->[2] } @base;
    my $end_idx;
    for my $i (reverse 0 .. $#outl) {
        if ($outl[$i] =~ /^\s*\.end\s*$/i) { $end_idx = $i; last; }
    }
    if (defined $end_idx) {
        splice @outl, $end_idx, 0, $twin_note, @twins;
    }
    else {
        $outl[-1] .= "\n" if @outl && $outl[-1] !~ /\n$/;
        push @outl, $twin_note, @twins, ".end\n";
    }
    write_run("$tb.cir", "$tb.mnames", "$tb.mt0", "$tb.raw", $title, $temp, 1, \@outl);
}
else {
    # ---------------------------------------------------------- alter emulation
    # The deck as a list of statements: [kind, key, [physical lines]]; kind/key identify
    # what an alter statement may replace (param lines are edited in place instead).
    my @deck;
    my $depth = 0;
    for my $ln (@base) {
        my ($no, $text, $eol) = @$ln;
        my $line = "$text" . ($eol eq '' ? "\n" : $eol);
        if ($text =~ /^\s*\+/ && @deck) {
            push @{ $deck[-1][2] }, $line;
            next;
        }
        my ($kind, $key) = ('other', undef);
        if ($depth == 0) {
            if ($text =~ /^\s*\.lib\s+(?:"([^"]*)"|'([^']*)'|(\S+))\s+\S+/i) {
                ($kind, $key) = ('lib', $1 // $2 // $3);
            }
            elsif ($text =~ /^\s*\.temp(?:erature)?\s/i) { ($kind, $key) = ('temp', 'temp'); }
            elsif ($text =~ /^\s*\.param\b/i)             { ($kind, $key) = ('param', undef); }
            elsif ($text =~ /^\s*\.model\s+(\S+)/i)       { ($kind, $key) = ('model', lc $1); }
            elsif ($text =~ /^\s*([A-Za-z]\S*)/)          { ($kind, $key) = ('element', lc $1); }
        }
        $depth++ if $text =~ /^\s*\.subckt\b/i;
        $depth-- if $text =~ /^\s*\.ends\b/i && $depth > 0;
        push @deck, [$kind, $key, [$line]];
    }

    my $run_temp = $temp;
    my @added;    # statements an alter adds at the end of the deck
    write_run("$tb.cir", "$tb.mnames", "$tb.mt0", "$tb.raw", $title, $temp, 1,
        [(map { @{ $_->[2] } } @deck), $twin_note, @twins, ".end\n"]);

    for my $k (1 .. @alters) {
        my $a = $alters[$k - 1];
        # the block's statements, continuation lines joined to their first line
        my @stmts;
        for my $ln (@{ $a->{lines} }) {
            my ($no, $text, $eol) = @$ln;
            my $line = $text . ($eol eq '' ? "\n" : $eol);
            next if $text =~ /^\s*(?:\*.*)?$/;
            if ($text =~ /^\s*\+/) {
                @stmts or fail("$in line $no: continuation line without a statement in .alter block '$a->{title}'");
                push @{ $stmts[-1][1] }, $line;
                $stmts[-1][2] .= ' ' . ($text =~ s/^\s*\+//r);
                next;
            }
            push @stmts, [$no, [$line], $text];
        }
        for my $st (@stmts) {
            my ($no, $plines, $text) = @$st;
            $text =~ s/\s[\$;].*$//;
            if ($text =~ /^\s*\.param\b(.*)$/i) {
                my $assigns = $1;
                my @pairs;
                while ($assigns =~ /\G\s*([A-Za-z_]\w*)\s*=\s*('[^']*'|\{[^}]*\}|[^\s'{]+)/gc) {
                    push @pairs, [$1, $2];
                }
                $assigns =~ /\G\s*$/gc && @pairs
                    or fail("$in line $no: cannot parse .param in .alter block '$a->{title}'");
                for my $pv (@pairs) {
                    my ($name, $value) = @$pv;
                    my $done = 0;
                    for my $s (@deck, @added) {
                        next unless $s->[0] eq 'param';
                        for my $pl (@{ $s->[2] }) {
                            $done = 1
                                if $pl =~ s/(^|[\s+])(\Q$name\E\s*=\s*)(?:'[^']*'|\{[^}]*\}|[^\s'{]+)/$1$2$value/i;
                        }
                    }
                    push @added, ['param', undef, [".param $name=$value\n"]] unless $done;
                }
            }
            elsif ($text =~ /^\s*\.lib\s+(?:"([^"]*)"|'([^']*)'|(\S+))\s+\S+\s*$/i) {
                my $file = $1 // $2 // $3;
                replace_or_add(\@deck, \@added, 'lib', $file, $plines);
            }
            elsif ($text =~ /^\s*\.temp(?:erature)?\s+(\S+)\s*$/i) {
                check_temp($1);
                $run_temp = $1;
                replace_or_add(\@deck, \@added, 'temp', 'temp', $plines);
            }
            elsif ($text =~ /^\s*\.(?:options?|inc|include)\b/i) {
                push @added, ['other', undef, $plines];
            }
            elsif ($text =~ /^\s*\.model\s+(\S+)/i) {
                replace_or_add(\@deck, \@added, 'model', lc $1, $plines);
            }
            elsif ($text =~ /^\s*([A-Za-z]\S*)/) {
                replace_or_add(\@deck, \@added, 'element', lc $1, $plines);
            }
            else {
                (my $what = $text) =~ s/^\s*(\S+).*$/$1/;
                fail("$in line $no: '$what' is not supported in an .alter block (alter '$a->{title}'); "
                    . 'allowed: .param, .lib, .temp, .option, .include, .model, element lines');
            }
        }
        write_run("${tb}_a$k.cir", "${tb}_a$k.mnames", "$tb.mt0$k", "${tb}_a$k.raw",
            $a->{title}, $run_temp, $k + 1,
            [(map { @{ $_->[2] } } @deck, @added), $twin_note, @twins, ".end\n"]);
    }
}

sub replace_or_add {
    my ($deck, $added, $kind, $key, $plines) = @_;
    for my $s (@$deck, @$added) {
        next unless $s->[0] eq $kind && defined $s->[1] && $s->[1] eq $key;
        $s->[2] = [@$plines];
        return;
    }
    push @$added, [$kind, $key, [@$plines]];
    return;
}

if (defined $model_map) {
    require Sky130Lib;
    my ($text, $note) = Sky130Lib::library($model_map, $models_dir,
        decks => [map { $_->[0] } @runs], lib_file => $lib_out);
    Sky130Lib::write_atomic($lib_out, $text, 'model library');
    write_file("$tb.log", "pai_ho_core: $note\n");
}
if (defined $ngspice) {
    run_all($ngspice, $ng_version, $wave_max);
    exit 0;
}
print map { join("\t", @$_) . "\n" } @runs;
exit 0;

# Runs every deck (see the header); returns when all succeeded, else exits 1.
sub run_all {
    my ($ng, $version, $max) = @_;
    require PaihoMt0;
    my $dir = PaihoGuard::cwd();
    my @w = $has_save ? () : sort { $wave{$a} <=> $wave{$b} } keys %wave;
    my $first_err = '';
    for my $r (@runs) {
        my ($deck, $mnames, $mt0, $raw) = @$r;
        my $rc = run_ngspice($ng, $deck, "$tb.run.log", "run\nwrite $raw" . join('', map { " $_" } @w) . "\nrusage\nquit\n");
        my $mrc = PaihoMt0::write_mt0($mnames, "$tb.run.log", $mt0, $version, "$tb.log", $raw, $max);
        next if $first_err ne '';
        if ($rc != 0) {
            $first_err = "ngspice exited $rc for $dir/$deck (see $dir/$tb.log)";
        }
        elsif ($mrc == 3) {
            $first_err = "failed measurement(s) in $dir/$mt0 (see $dir/$tb.log)";
        }
        elsif ($mrc == 4) {
            $first_err = "ngspice produced no measurements for $dir/$deck (see $dir/$tb.log)";
        }
    }
    if ($first_err ne '') {
        print STDERR "ERROR: run_point: $first_err\n";
        exit 1;
    }
    open my $log, '>>', "$tb.log" or fail("$tb.log: $!");
    print {$log} "ngspice Successfully Completed\n";
    close $log or fail("$tb.log: $!");
    return;
}

# One ngspice run in pipe mode, fed $script on stdin, output to $out; its exit status as
# the shell gives it (128 + signal when killed).
sub run_ngspice {
    my ($ng, $deck, $out, $script) = @_;
    local $SIG{PIPE} = 'IGNORE';
    pipe(my $rd, my $wr) or fail("pipe: $!");
    my $pid = fork // fail("fork: $!");
    if (!$pid) {
        close $wr;
        open STDIN, '<&', $rd or exit 127;
        open STDOUT, '>', $out or exit 127;
        open STDERR, '>&', \*STDOUT or exit 127;
        $ENV{OMP_NUM_THREADS} = 1;
        $ENV{NGSPICE_MEAS_PRECISION} = 16;
        { exec { $ng } $ng, '-p', $deck; }
        print STDERR "pai_ho_core: cannot run $ng: $!\n";
        exit 127;
    }
    close $rd;
    print {$wr} $script;
    close $wr;
    waitpid($pid, 0);
    return ($? & 127) ? 128 + ($? & 127) : $? >> 8;
}
