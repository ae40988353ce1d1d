package Sky130Lib;
# Sky130Lib -- the SKY130 model library of an ngspice run (used by sky130_lib.pl and, in the
# same perl process as the run decks, by ngspice_deck.pl).
#
# library($map, $dir, %opt) returns ($text, $note): one `.lib <CORNER>` section per contract
# corner of table_model_map.csv, each including only the continuous-model parameter files of
# its fet/res/cap corner, models_global (scale option, sw_* parameters), the fet models, the
# resistor/capacitor models and the matching rescap files, all with absolute paths; $note is
# one line saying which models_fet the sections include and why. %opt:
#   decks => [run decks]  the decks that will include the library (trimming needs them)
#   lib_file => path      the library file those decks include (never scanned; the bin
#                         probe loads <path>.probe through copies of the decks)
#   trim => 'bins' | 'device' | 'none'   (default: $PAIHO_MODEL_TRIM: 0 none, device, else bins)
#
# Device trimming (trim device or bins): the decks and every non-PDK file they include
# (.inc/.include/.lib, recursively; relative paths resolved against the including file's
# directory, then the current directory, as ngspice does) are scanned for
# `sky130_fd_pr__<name>` words outside comments; models_fet.spice is replaced by a copy
# holding only the `.subckt ... .ends` blocks of those devices plus the blocks they reference
# (and any top-level statement), in file order. A name defined nowhere (not a models_fet
# subckt, not a models_resistors/models_capacitors subckt/model, not defined by the scanned
# files themselves) is an error. Cache file models_fet.<key>.spice, key = SHA-1 of (format,
# path, size, mtime of models_fet.spice, device set).
#
# Bin trimming (trim bins, the default): ngspice itself is asked which size bin each MOS
# instance bound to -- a probe run loads each run deck with the device-trimmed library and
# prints `showmod m : lmin lmax wmin wmax` -- and the copy keeps, inside the kept device
# subckts, only the binned `.model <name>.<n>` cards whose lmin/lmax/wmin/wmax were reported
# (every unbinned card stays). Bins depend on the instance geometry only (W, L, nf, m and
# the scale option; a card's lmin/lmax/wmin/wmax are literal numbers, checked), so the probe
# result is cached under a key of the circuit's geometry: every instance (X/M) line,
# .subckt/.ends line, .model/.option line, .param line inside a subckt and `.lib <file>
# <section>` line of the scanned files -- plus, when any geometry value is not a literal
# number (a {parameter} or 'expression'), every top-level .param and .temp line as well --
# the ngspice version and the PDK files (path, size, mtime of models_fet and models_global).
# Corner, temperature and voltages are not in the key when the geometry is literal: they
# cannot move a bin. Cache files: probe.<key>.bins (the probe's answer) and
# models_fet.bins.<key>.spice (the copy, keyed by the bin set). When the probe cannot decide
# (ngspice fails to load a deck, an instance's bin matches no card, a card's bin limits are
# expressions), the device-trimmed copy is used and $note says why (cached as well).
#
# The probe loads a copy of the device-trimmed file whose binned cards hold only the words
# that choose a bin (type, level, version, lmin, lmax, wmin, wmax): models_fet.<key>.probe.spice.
#
# Resistors and capacitors (trim bins or device): models_resistors, models_capacitors and the
# rescap files of every corner of the map (their .include lines -- the ~60 cap_vpp cell model
# files -- inlined) are copied with every top-level .param kept and only the .model/.subckt
# blocks the circuit reaches (named by a deck's sky130 device or a word of its R/C/X lines, or
# by a kept block); unsure (another kind of statement, a file missing) = all kept whole.
#
# Cache directory: $PAIHO_CACHE, else $XDG_CACHE_HOME/pai_ho_core, else
# $HOME/.cache/pai_ho_core. Every file is written to a temporary name and renamed; the probe
# of one key runs under an flock of probe.<key>.lock, so concurrent points probe once.
# Errors: fail() prints `ERROR: <message>` and exits 1.
use strict;
use warnings;
use PaihoGuard ();    # cwd(), realpath(): Cwd's XS library costs ~2.5 ms per point

# (File::Spec/File::Path/File::Basename are avoided: they double the start-up time of
# this per-point code; File::Path is loaded only on a cache miss; the code only a
# miss of the library memo needs is in Sky130LibMiss.pm, compiled only then.)

sub fail { my ($msg) = @_; print STDERR "ERROR: $msg\n"; exit 1; }

sub dirname { my ($p) = @_; $p =~ s{/+[^/]*$}{}; return $p eq '' ? '/' : $p; }

my %FET_OK = map { $_ => 1 } qw(tt ff ss fs sf);
my %RC_OK  = map { $_ => 1 } qw(nom high low);

sub read_map {
    my ($map) = @_;
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
        $FET_OK{$fet} or fail("$map line $n: fet '$fet'; allowed: tt ff ss fs sf");
        $RC_OK{$res}  or fail("$map line $n: res '$res'; allowed: nom high low");
        $RC_OK{$cap}  or fail("$map line $n: cap '$cap'; allowed: nom high low");
        $rescap =~ /^res_[a-z]+__cap_[a-z]+$/ or fail("$map line $n: bad rescap '$rescap'");
        push @rows, [$corner, $fet, $res, $cap, $rescap];
    }
    close $fh;
    @rows or fail("$map: no corners");
    return \@rows;
}

sub trim_mode {
    my $v = $ENV{PAIHO_MODEL_TRIM} // '';
    return 'none'   if $v eq '0';
    return 'device' if $v eq 'device';
    return 'bins'   if $v eq '' || $v eq '1';
    $v =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
    fail("PAIHO_MODEL_TRIM='$v' not allowed; allowed: 1 (or unset), device, 0");
}

sub library {
    my ($map, $dir, %opt) = @_;
    $dir =~ s{/+$}{};
    -d "$dir/continuous" or fail("$dir: not a SKY130 combined_models directory (no continuous/)");
    my $rows = read_map($map);
    my $mode = $opt{trim} // trim_mode();
    my @decks = @{ $opt{decks} // [] };
    $mode = 'none' unless @decks;

    my $fet_file = "$dir/continuous/models_fet.spice";
    my $fet_include = $fet_file;
    my $note = 'models_fet: whole file';
    my @rc;    # the models_resistors / models_capacitors the library includes (default: whole)
    my %rescap;    # rescap name => [its two files as the library includes them] (default: whole)
    if ($mode ne 'none') {
        # every rescap of the map (the memo's answer serves every corner of the circuit)
        my %rnames = map { $_->[4] => 1 } @$rows;
        my @rnames = sort keys %rnames;
        my @rescap_files = map { ("$dir/rescap/$_.spice", "$dir/rescap/${_}__lin.spice") } @rnames;
        my ($devices, $geo, $sections, $refs) = scan_devices(\@decks, $opt{lib_file}, $dir);
        # only the sections the decks select: ngspice reads every section of a .lib file
        # (a Monte Carlo deck selects a mismatch twin, <CORNER>_mm, or mc_mm: mc_rows)
        my @used = grep { $sections->{ lc $_->[0] } } @$rows, @{ mc_rows($rows) };
        $rows = \@used if @used;
        my $names = @$devices ? join(' ', map { $_->[0] } @$devices) : '(no sky130 device)';
        # the answer of an earlier point with the same inputs (the common case: every point
        # of a job) skips the SHA-1 keys below and Digest::SHA's load
        my @rc_files = map { "$dir/continuous/models_$_.spice" } qw(resistors capacitors);
        my $memo_key = join "\n", 'paiho-lib-memo-4', $mode,
            ($mode eq 'bins' ? ngspice_version() : ()),
            fingerprint($fet_file, "$dir/continuous/models_global.spice", @rc_files),
            '# rescap', (map { ($_, (stat $_)[7] // -1, (stat _)[9] // -1) } @rescap_files),
            (map { $_->[0] } @$devices), '# names', @$refs, '# geometry', $geo;
        my $memo = memo_get($memo_key);
        my @trimmed;    # models_resistors, models_capacitors, then @rescap_files
        my @deps;       # the files the trimmed copies were made from (the memo checks them)
        if ($memo) {
            ($fet_include, $note, @trimmed) = @$memo;
        }
        else {
            require Sky130LibMiss;
            # (first: a device defined nowhere fails the point before any copy is written)
            $fet_include = trimmed_fet($fet_file, $devices, @rescap_files);
            $note = "models_fet: trimmed to $names";
            @trimmed = trimmed_rc(\@rc_files, [(map { $_->[0] } @$devices), @$refs], \@rescap_files, \@deps);
            my %in_key = map { $_ => 1 } @rc_files, @rescap_files;    # (checked by the key already)
            @deps = grep { !$in_key{$_} } @deps;
        }
        if (@trimmed == 2 + @rescap_files) {
            @rc = @trimmed[0, 1];
            $rescap{ $rnames[$_] } = [@trimmed[2 + 2 * $_, 3 + 2 * $_]] for 0 .. $#rnames;
        }
        if (!$memo) {
            if ($mode eq 'bins') {
                # (the probe loads the decks with the device-trimmed models_fet and the
                # resistor/capacitor/rescap files as the points will)
                my ($bins, $why) = bin_probe($map, $dir, $rows, \@decks, $opt{lib_file}, $fet_file,
                    $fet_include, $devices, $geo, \%rescap, @rc);
                if (defined $bins) {
                    $fet_include = trimmed_bins($fet_file, $fet_include, $bins);
                    $note = 'models_fet: bin-trimmed to ' . scalar(@$bins) . " bins of $names";
                }
                else {
                    $note = "models_fet: trimmed to $names (device level: bin probe undecided: $why)";
                }
            }
            memo_put($memo_key, \@deps, $fet_include, $note, @trimmed);
        }
    }
    return (lib_text($dir, $rows, $fet_include, $note, \%rescap, @rc), $note);
}

# The Monte Carlo sections (ours; docs/montecarlo.md), written only when a deck selects them:
# <CORNER>_mm, the mismatch twin of each corner of the map (SKY130's tt_mm, ss_hh_mm ...: the
# same files with mc_mm_switch=1), and mc_mm, process and mismatch at TT (SKY130's mc section,
# whose process draws are the parameters files' MC_PR_SWITCH terms, with mc_mm_switch=1 too).
sub mc_rows {
    my ($rows) = @_;
    my @mc = map { ["$_->[0]_mm", @{$_}[1 .. 4], 1, 0] } @$rows;
    push @mc, ['mc_mm', 'tt', 'nom', 'nom', 'res_typical__cap_typical', 1, 1];
    return \@mc;
}

sub lib_text {
    my ($dir, $rows, $fet_include, $note, $rescap_files, @rc) = @_;
    @rc = map { "$dir/continuous/models_$_.spice" } qw(resistors capacitors) unless @rc;
    my @common = ("$dir/continuous/models_global.spice", $fet_include, @rc);
    my $out = "* SKY130 model library for ngspice, written by pai_ho_core sky130_lib.pl\n"
        . "* models: $dir\n* $note\n"
        . "* map: table_model_map.csv (corner -> fet/res/cap corner + rescap)\n";
    for my $r (@$rows) {
        my ($corner, $fet, $res, $cap, $rescap, $mm, $pr) = @$r;
        my @files = (
            "$dir/continuous/parameters_fet_$fet.spice",
            "$dir/continuous/parameters_res_$res.spice",
            "$dir/continuous/parameters_cap_$cap.spice",
            @common,
            @{ $rescap_files->{$rescap} // ["$dir/rescap/$rescap.spice", "$dir/rescap/${rescap}__lin.spice"] },
        );
        $out .= "\n.lib $corner\n* fet=$fet res=$res cap=$cap rescap=$rescap\n"
            . '.param mc_mm_switch=' . ($mm // 0) . ' mc_pr_switch=' . ($pr // 0)
            . " corner_factor=1 process_mc_factor=1 mismatch_factor=1\n";
        for my $f (@files) {
            -f $f or fail("$f: missing model file");
            $out .= ".include \"$f\"\n";
        }
        $out .= ".endl $corner\n";
    }
    return $out;
}

# Writes $text to $path through a temporary name in the same directory.
sub write_atomic {
    my ($path, $text, $what) = @_;
    my $tmp = "$path.tmp.$$." . int(rand(1e9));
    open my $o, '>', $tmp or fail("$what: $tmp: $!");
    print {$o} $text;
    close $o or do { unlink $tmp; fail("$what: $tmp: $!"); };
    rename $tmp, $path or do { unlink $tmp; fail("$what: $path: $!"); };
    return;
}

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
    for my $base ($from_dir, PaihoGuard::cwd()) {
        my $p = "$base/$name";
        return $p if -f $p;
    }
    return "$from_dir/$name";
}

# Absolute, with symlinks resolved when the file exists.
sub canon {
    my ($p) = @_;
    $p = PaihoGuard::cwd() . "/$p" unless $p =~ m{^/};
    my $real = -e $p ? PaihoGuard::realpath($p) : undef;
    return $real if defined $real;
    1 while $p =~ s{/\.?/}{/} || $p =~ s{/[^/]+/\.\./}{/};
    return $p;
}

my $NUM = qr/[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[a-zA-Z]*/;

# Returns ([sorted [name, where]] of the sky130_fd_pr__* names the decks (and the non-PDK
# files they include) use, minus the ones those files define themselves; the geometry text
# of the bin probe key; {lower-case section => 1} of the .lib lines naming the library;
# [sorted words of their R, C and X lines] (the models/subckts they may name)).
sub scan_devices {
    my ($tops, $skip_lib, $pdk_dir) = @_;
    my $pdk = canon($pdk_dir);
    my %skip;
    $skip{ canon($skip_lib) } = 1 if defined $skip_lib;
    my (%used, %local, %seen, @geo, @varying, %sections, %refs);
    my $literal = 1;
    my @todo = map { [canon($_), undef] } @$tops;
    while (my $item = shift @todo) {
        my ($file, $from) = @$item;
        next if $seen{$file}++;
        my $lines = logical_lines($file);
        defined $lines or fail(($from // 'run deck') . ": cannot read $file: $!");
        my $fdir = dirname($file);
        my $depth = 0;
        for my $ln (@$lines) {
            my ($no, $l) = @$ln;
            if ($l =~ /^\s*\.(?:inc|include|lib)\s+(?:"([^"]*)"|'([^']*)'|(\S+))(\s+\S+)?/i) {
                my $name = $1 // $2 // $3;
                my $section = $4;
                # `.lib <section>` inside a library file opens a section
                next if !defined $section && !defined $1 && !defined $2 && $l =~ /^\s*\.lib\b/i && !-f resolve_include($name, $fdir);
                my $inc = canon(resolve_include($name, $fdir));
                if ($skip{$inc}) {
                    $sections{ lc($section =~ s/^\s+//r) } = 1 if defined $section;
                    next;
                }
                next if index($inc, "$pdk/") == 0;
                -f $inc or fail("$file line $no: included file $name not found ($inc)");
                push @geo, "lib $name$section" if defined $section;
                push @todo, [$inc, "$file line $no"];
                next;
            }
            my $g = lc $l;
            $g =~ s/\s+/ /g;
            $g =~ s/^ | $//g;
            if ($l =~ /^\s*\.(?:subckt|model)\s+(\S+)/i) {
                $local{ lc $1 } = 1;
            }
            if ($g =~ /^\.subckt\b/) { $depth++; push @geo, $g; check_literal($g, \$literal); }
            elsif ($g =~ /^\.ends\b/) { $depth-- if $depth > 0; push @geo, $g; }
            elsif ($g =~ /^[xm]/) { push @geo, $g; check_literal($g, \$literal); }
            elsif ($g =~ /^\.(?:model|options?)\b/) { push @geo, $g; }
            elsif ($g =~ /^\.param\b/) {
                if ($depth) { push @geo, $g; check_literal($g, \$literal); }
                else { push @varying, $g; }
            }
            elsif ($g =~ /^\.temp/) { push @varying, $g; }
            # the names an R, C or X line may take from models_resistors/models_capacitors
            if ($g =~ /^[rcx]/) { $refs{$_} = 1 for grep { /^[a-z_]\w*$/ } split /[\s=(),{}'"*+\/-]+/, $g; }
            while ($l =~ /\b(sky130_fd_pr__\w+)/gi) {
                $used{ lc $1 } //= "$file line $no";
            }
        }
    }
    delete @used{ keys %local };
    push @geo, '# not literal', @varying unless $literal;
    return ([map { [$_, $used{$_}] } sort keys %used], join("\n", @geo), \%sections, [sort keys %refs]);
}

# A geometry line is literal when it has no {expression}, no quoted expression and every
# name=value takes a number.
sub check_literal {
    my ($g, $ref) = @_;
    if ($g =~ /[{}'"]/) { $$ref = 0; return; }
    while ($g =~ /(\w+)\s*=\s*(\S+)/g) {
        my $v = $2;
        $$ref = 0 unless $v =~ /\A$NUM\z/;
    }
    return;
}

sub cache_dir {
    if (defined $ENV{PAIHO_CACHE} && $ENV{PAIHO_CACHE} ne '') {
        my $c = $ENV{PAIHO_CACHE};
        return $c if $c =~ m{^/} && $c !~ /[\x00-\x1f\x7f]/;
        $c =~ s/([\x00-\x1f\x7f])/sprintf('\\x%02x', ord $1)/ge;
        fail("PAIHO_CACHE='$c' must be an absolute path (no control characters)");
    }
    return "$ENV{XDG_CACHE_HOME}/pai_ho_core"
        if defined $ENV{XDG_CACHE_HOME} && $ENV{XDG_CACHE_HOME} ne '';
    return "$ENV{HOME}/.cache/pai_ho_core" if defined $ENV{HOME} && $ENV{HOME} ne '';
    fail('model cache: set PAIHO_CACHE (none of PAIHO_CACHE, XDG_CACHE_HOME, HOME is set)');
}

sub make_cache {
    my ($cdir) = @_;
    return if -d $cdir && -w _;
    require File::Path;
    eval { File::Path::make_path($cdir); 1 } or fail("model cache $cdir: cannot create: $@");
    -d $cdir && -w _ or fail("model cache $cdir: not a writable directory");
    return;
}

sub fingerprint {
    my (@files) = @_;
    my @out;
    for my $f (@files) {
        my @st = stat $f or fail("$f: $!");
        push @out, canon($f), $st[7], $st[9];
    }
    return @out;
}

# The memo of library(): $cdir/memo.<checksum>.txt holds the whole key text and the answer
# (the trimmed copies' paths and the note) and the files the copies were made from beyond those
# in the key (the ~60 files the rescap files include), each with its size and mtime: the memo
# is taken only when every one is unchanged. The file name is only a cheap checksum of the
# key; the key itself is compared in full, so a name shared by two keys is merely a miss.
sub memo_path {
    my ($key) = @_;
    return cache_dir() . sprintf('/memo.%08x%08x%06x.txt', unpack('%32C*', $key), unpack('%32N*', $key),
        length($key) & 0xffffff);
}

sub memo_get {
    my ($key) = @_;
    open my $in, '<', memo_path($key) or return;
    local $/;
    my $text = <$in>;
    close $in;
    my ($note, $paths, $deps, $rest) = $text =~ /\Apaiho-lib-memo-4\n([^\n]+)\n([^\n]+)\n([^\n]*)\n(.*)\z/s
        or return;
    return unless $rest eq $key;
    my @paths = split /\t/, $paths;
    return if grep { !-f } @paths;
    my @deps = split /\t/, $deps;
    return if @deps % 3;
    while (my ($f, $size, $mtime) = splice @deps, 0, 3) {
        my @st = stat $f or return;
        return unless $st[7] == $size && $st[9] == $mtime;
    }
    return [$paths[0], $note, @paths[1 .. $#paths]];
}

sub memo_put {
    my ($key, $deps, $path, $note, @more) = @_;
    my $cdir = cache_dir();
    make_cache($cdir);
    my @dep = map { my @st = stat $_; @st ? ($_, $st[7], $st[9]) : ($_, -1, -1) } @$deps;
    write_atomic(memo_path($key),
        join("\n", 'paiho-lib-memo-4', $note, join("\t", $path, @more), join("\t", @dep), $key), 'model cache');
    return;
}

sub ngspice_version {
    my $v = $ENV{PAIHO_NGSPICE_VERSION};
    return $v if defined $v && $v ne '';
    my $ng = $ENV{NGSPICE} // 'ngspice';
    # list form: the name reaches exec as one word, never a shell
    my $out = '';
    my $pid = open(my $fh, '-|');
    if (defined $pid && $pid == 0) {
        open STDERR, '>', '/dev/null';
        exec { $ng } $ng, '--version' or exit 127;
    }
    if (defined $pid) {
        local $/;
        $out = <$fh> // '';
        close $fh;
    }
    return $out =~ /ngspice-(\S+)/ ? $1 : 'unknown';
}

1;
