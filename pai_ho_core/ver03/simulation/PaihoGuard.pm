package PaihoGuard;
# PaihoGuard -- a netlist may describe a circuit, never run a program (issue #8 item 7).
#
# scan_netlist($file, %opt) reads a SPICE file and, recursively, every file it pulls in with
# .include/.inc/.lib, and returns undef when none holds a construct that makes ngspice run
# a program or load code, else one line "<file>:<line>: <construct>: <why>". Refused:
#   - `.control` ... `.endc` (ngspice's control language: shell, codemodel, osdi, source,
#     write, ...) and a lone `.endc`;
#   - `*ng_script` / `*ng_script_with_params` on a file's first line (the whole file is a
#     control script);
#   - a first word `shell`, `codemodel`, `osdi`, `exec`, `system`, `.exec`, `.shell`,
#     `.system`, `.osdi`, `.hdl`, or one starting `pre_` (control commands, HSPICE's
#     Verilog-A loader, commands of other simulators; `load`/`source` are left alone: outside
#     .control they are an inductor and a switch named so);
#   - the XSPICE models that start or load programs: `d_process` (runs its process_file)
#     and `d_cosim` (loads a shared library);
#   - a backquote (command substitution in ngspice's control language) outside comments.
# Comment lines (`*`) and inline comments (` $ `, ` ; `) are ignored, except for line 1.
# %opt: base => directory against which relative include paths are tried after the
# including file's own directory; skip => { canonical path => 1 } files not to read (the
# model library the run stage writes itself); missing_ok => 1 skips includes that do not
# exist (gen: the files are needed only at run time); env => 1 expands $VAR / ${VAR} in
# include paths (an unset variable makes the path unknown: skipped); from_base_first => 1
# resolves the top file's relative paths from base first.
use strict;
use warnings;
# (Cwd is loaded only when $PWD does not name the working directory: its XS library costs
# ~2.5 ms of start-up per point; cwd() and realpath() below do what the core needs of it)

my %BAD_WORD = map { $_ => 1 } qw(
    .control .endc shell codemodel osdi exec system
    .exec .shell .system .osdi .hdl
);

sub _dirname { my ($p) = @_; $p =~ s{/+[^/]*$}{}; return $p eq '' ? '/' : $p; }

# The physical working directory: $PWD (what the shell exported) with its symlinks resolved
# when it names the same directory as '.', else Cwd::getcwd().
sub cwd {
    my $pwd = $ENV{PWD};
    if (defined $pwd && $pwd =~ m{^/}) {
        my @here = stat '.';
        my @there = stat $pwd;
        if (@here && @there && $here[0] == $there[0] && $here[1] == $there[1]) {
            my $real = realpath($pwd);
            return $real if defined $real;
        }
    }
    require Cwd;
    return Cwd::getcwd();
}

# The absolute path of an existing file with every symlink, `.` and `..` resolved (as
# realpath(3)); undef when it does not exist or has a symlink loop.
# (What a directory component resolved to is remembered for the process: a point's perl
# resolves the same PDK and domain directories dozens of times, ~750 readlink/stat calls
# otherwise. Only components found to exist are remembered, and never the last component,
# so a file the process removes, creates or replaces is looked at afresh.)
my %COMPONENT;    # '/a/b' => readlink target, or '' for an existing non-link

sub realpath {
    my ($p) = @_;
    $p = cwd() . "/$p" unless $p =~ m{^/};
    my @todo = split m{/+}, $p;
    my @done;
    my $links = 0;
    while (@todo) {
        my $seg = shift @todo;
        next if $seg eq '' || $seg eq '.';
        if ($seg eq '..') { pop @done; next; }
        my $cur = '/' . join('/', @done, $seg);
        my $to = @todo ? $COMPONENT{$cur} : undef;
        if (!defined $to) {
            $to = readlink $cur;
            if (!defined $to) {
                -e $cur or return;
                $to = '';
            }
            $COMPONENT{$cur} = $to if @todo;
        }
        if ($to ne '') {
            return if ++$links > 64;
            @done = () if $to =~ m{^/};
            unshift @todo, split m{/+}, $to;
            next;
        }
        push @done, $seg;
    }
    return '/' . join('/', @done);
}

# Absolute and normalised (symlinks resolved when the file exists).
sub canon {
    my ($p) = @_;
    $p = cwd() . "/$p" unless $p =~ m{^/};
    if (-e $p) {
        my $real = realpath($p);
        return $real if defined $real;
    }
    my @out;
    for my $seg (split m{/+}, $p) {
        next if $seg eq '' || $seg eq '.';
        if ($seg eq '..') { pop @out; next; }
        push @out, $seg;
    }
    return '/' . join('/', @out);
}

# The construct a line uses that runs a program, or undef.
sub line_problem {
    my ($line, $first) = @_;
    if ($first && $line =~ /^\s*\*\s*ng_script/i) {
        return ('*ng_script', 'the whole file would be an ngspice control script');
    }
    return if $line =~ /^\s*\*/;
    (my $code = $line) =~ s/\s[\$;].*$//;
    if ($code =~ /^\s*(\S+)/) {
        my $w = lc $1;
        return ($w, 'control-language command that runs programs or loads code') if $BAD_WORD{$w};
        return ($w, 'ngspice pre_ command (loads code before the circuit)') if $w =~ /^pre_/;
    }
    return ('d_process', 'XSPICE model that runs a program') if $code =~ /\bd_process\b/i;
    return ('d_cosim', 'XSPICE model that loads a shared library') if $code =~ /\bd_cosim\b/i;
    return ('`', 'backquote command substitution') if $code =~ /`/;
    return;
}

sub _resolve {
    my ($name, $from_dir, $base) = @_;
    $name =~ s{^~(?=/)}{$ENV{HOME} // '~'}e;
    return $name if $name =~ m{^/};
    for my $d ($from_dir, (defined $base ? ($base) : ())) {
        my $p = canon("$d/$name");
        return $p if -f $p;
    }
    return canon("$from_dir/$name");
}

sub scan_netlist {
    my ($top, %opt) = @_;
    my %seen;
    my $top_file = canon($top);
    my @todo = ($top_file);
    while (defined(my $file = shift @todo)) {
        next if $seen{$file}++;
        next if $opt{skip} && $opt{skip}{$file};
        # from_base_first: the top file will be simulated from base (gen scans the template
        # for the point directories), so its relative paths start there.
        my $fdir = $file eq $top_file && $opt{from_base_first} ? $opt{base} : _dirname($file);
        open my $in, '<', $file or return "$file: cannot read: $!";
        my $n = 0;
        while (my $l = <$in>) {
            $n++;
            $l =~ s/\r?\n\z//;
            if (my ($what, $why) = line_problem($l, $n == 1)) {
                close $in;
                return "$file:$n: $what: $why; a testbench may not run programs";
            }
            next unless $l =~ /^\s*\.(?:inc|include|lib)\s+(?:"([^"]*)"|'([^']*)'|(\S+))(\s+\S+)?/i;
            my $name = $1 // $2 // $3;
            # `.lib <section>` inside a library file opens a section, it includes nothing
            next if $l =~ /^\s*\.lib\b/i && !defined $4 && !defined $1 && !defined $2
                && !-f _resolve($name, $fdir, $opt{base});
            if ($name =~ /\$/) {
                next unless $opt{env};
                my $unset = 0;
                $name =~ s{\$\{(\w+)\}|\$(\w+)}{
                    my $v = $ENV{defined $1 ? $1 : $2};
                    $unset = 1 unless defined $v;
                    defined $v ? $v : '';
                }ge;
                next if $unset;
            }
            my $inc = _resolve($name, $fdir, $opt{base});
            next if $opt{skip} && $opt{skip}{$inc};
            if (!-f $inc) {
                next if $opt{missing_ok};
                close $in;
                return "$file:$n: included file $name not found ($inc)";
            }
            push @todo, $inc;
        }
        close $in;
    }
    return;
}

1;
