package Sky130Lib;
# Sky130LibMiss -- the part of Sky130Lib (same package) that only a miss of the library memo
# needs: the trimmed copies of the model files and the bin probe. Sky130Lib requires it on
# demand: compiling it costs ~2 ms of every point's start-up otherwise.
use strict;
use warnings;

# (Digest::SHA is loaded only when the memo of library() misses: ~3 ms of start-up per point)
sub sha1_hex { require Digest::SHA; return Digest::SHA::sha1_hex(@_); }

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

# The names (lower case) the given PDK files define (.subckt/.model), their includes
# followed (a rescap file includes the cap_vpp cell models), and whether every file could be
# read that way (when not, a name missing from the set may still be defined: ngspice decides).
sub pdk_names {
    my (@files) = @_;
    my %names;
    my $complete = 1;
    for my $f (@files) {
        my ($text) = flattened($f);
        if (!defined $text) { $complete = 0; next; }
        $names{ lc $1 } = 1 while $text =~ /^\s*\.(?:subckt|model)\s+(\S+)/gim;
    }
    return (\%names, $complete);
}

# The text of a rescap file with every `.include` replaced by the included file's text,
# recursively (a relative path is resolved against the including file's directory, as
# ngspice does), and the list of the files read; undef when unsure (a file missing or
# unreadable, a `.lib` line, an include cycle, more than 200 files).
my %FLAT;    # file => [text, files read] (pdk_names and trimmed_rc flatten the same files)

sub flattened {
    my ($file, $read, $stack) = @_;
    if (!$read) {
        $FLAT{$file} //= [flattened($file, [], {})];
        return @{ $FLAT{$file} };
    }
    return if $stack->{$file} || @$read > 200;
    open my $in, '<', $file or return;
    push @$read, $file;
    local $stack->{$file} = 1;
    my $text = '';
    my $fdir = dirname($file);
    while (my $l = <$in>) {
        if ($l =~ /^\s*\.(?:inc|include)\s+(?:"([^"]*)"|'([^']*)'|(\S+))\s*$/i) {
            my $name = $1 // $2 // $3;
            my $inc = $name =~ m{^/} ? $name : "$fdir/$name";
            my ($sub) = flattened($inc, $read, $stack);
            return unless defined $sub;
            $text .= "* pai_ho_core: inlined $name\n$sub";
            $text .= "\n" unless $text =~ /\n\z/;
            next;
        }
        return if $l =~ /^\s*\.(?:lib|endl|inc|include)\b/i;
        $text .= $l;
    }
    close $in;
    return ($text, $read);
}

# models_resistors, models_capacitors and the rescap files (each with its includes inlined:
# the cap_vpp cell models, ~60 files, cost ~8 ms of every point's ngspice load) trimmed to
# what the circuit reaches: every .model card and .subckt block named in $names (the decks'
# sky130 devices and the words of their R/C/X lines) or in a kept block, transitively across
# all these files; every other top-level statement (.param) kept, in order. When any file
# holds a top-level statement of another kind (or cannot be flattened) all are kept whole.
# Returns the paths of the trimmed copies (or the files themselves), in the order of
# @$files then @$rescaps; @$deps (when given) gets every file the copies were made from.
sub trimmed_rc {
    my ($files, $names, $rescaps, $deps) = @_;
    my @all = (@$files, @{ $rescaps // [] });
    my (@items, %by_name, @texts, @sources);    # items: [file index, name | undef, text]
    for my $i (0 .. $#all) {
        if ($i < @$files) {
            open my $in, '<', $all[$i] or fail("$all[$i]: $!");
            local $/;
            $texts[$i] = <$in>;
            close $in;
            push @sources, $all[$i];
        }
        else {
            my ($text, $read) = flattened($all[$i]);
            return @all unless defined $text;
            $texts[$i] = $text;
            push @sources, @$read;
        }
    }
    for my $i (0 .. $#all) {
        my ($cur, $depth) = (undef, 0);
        for my $l (split /^/m, $texts[$i]) {
            if ($depth) {
                $cur->[2] .= $l;
                if ($l =~ /^\s*\.subckt\b/i) { $depth++; }
                elsif ($l =~ /^\s*\.ends\b/i) { $depth--; }
                next;
            }
            if ($l =~ /^\s*\.(subckt|model)\s+(\S+)/i) {
                $cur = [$i, lc $2, $l];
                $depth = 1 if lc $1 eq 'subckt';
                push @items, $cur;
                push @{ $by_name{ lc $2 } }, $cur;
                next;
            }
            if ($l =~ /^\s*\+/ && $cur) { $cur->[2] .= $l; next; }
            if ($l =~ /^\s*(?:\*.*)?\r?$/) {    # comments (those of the ~60 inlined files dropped)
                push @items, [$i, undef, $l] if $i < @$files;
                next;
            }
            return @all unless $l =~ /^\s*\.param\b/i;    # unsure: keep all whole
            $cur = [$i, undef, $l];
            push @items, $cur;
        }
        return @all if $depth;
    }
    my %keep;
    my @queue = grep { $by_name{$_} } @$names;
    while (defined(my $name = shift @queue)) {
        next if $keep{$name}++;
        for my $it (@{ $by_name{$name} }) {
            (my $text = lc $it->[2]) =~ s/^\s*\*.*$//mg;
            push @queue, grep { $by_name{$_} && !$keep{$_} } $text =~ /([a-z_]\w*)/g;
        }
    }
    if ($deps) { my %seen; @$deps = grep { !$seen{$_}++ } @sources; }
    my $key = substr(sha1_hex(join "\n", 'paiho-rc-trim-3', fingerprint(@sources), '# files', @all,
        '# kept', sort keys %keep), 0, 20);
    my $cdir = cache_dir();
    my @out;
    for my $i (0 .. $#all) {
        my ($base) = $all[$i] =~ m{([^/]+)\.spice$};
        $base //= 'rc';
        my $out = "$cdir/$base.$key.spice";
        push @out, $out;
        next if -f $out;
        my $body = "* $base.spice trimmed by pai_ho_core sky130_lib.pl\n* from: " . canon($all[$i]) . "\n";
        $body .= join '', map { $_->[2] } grep { $_->[0] == $i && (!defined $_->[1] || $keep{ $_->[1] }) } @items;
        make_cache($cdir);
        write_atomic($out, $body, 'model cache');
    }
    return @out;
}

# Returns the path of the device-trimmed models_fet copy.
sub trimmed_fet {
    my ($file, $devices, @other_files) = @_;
    my $key = sha1_hex(join "\n", 'paiho-fet-trim-1', fingerprint($file), map { $_->[0] } @$devices);
    my $cdir = cache_dir();
    my $out = "$cdir/models_fet." . substr($key, 0, 20) . '.spice';
    return $out if -f $out;

    my $idx = index_fet($file);
    my $sub = $idx->{subckt};
    my ($other, $complete);    # names models_resistors/models_capacitors/the rescap files define
    my %keep;
    my @queue;
    for my $d (@$devices) {
        my ($name, $where) = @$d;
        if (exists $sub->{$name}) { push @queue, $name; next; }
        ($other, $complete) = pdk_names((map { dirname($file) . "/models_$_.spice" } qw(resistors capacitors)),
            @other_files) unless $other;
        next if $other->{$name} || !$complete;
        fail("device $name ($where) is not defined in the SKY130 continuous models "
            . '(models_fet, models_resistors, models_capacitors of ' . dirname($file)
            . ', the rescap files and the cell models they include)');
    }
    while (defined(my $name = shift @queue)) {
        next if $keep{$name}++;
        my $text = $idx->{blocks}[ $sub->{$name} ][1];
        while ($text =~ /\b(sky130_fd_pr__\w+)/gi) {
            my $ref = lc $1;
            push @queue, $ref if exists $sub->{$ref} && !$keep{$ref};
        }
    }
    my $abs = canon($file);
    my $body = "* models_fet.spice trimmed by pai_ho_core sky130_lib.pl\n* from: $abs\n"
        . '* subckts: ' . join(' ', sort keys %keep) . "\n";
    for my $b (@{ $idx->{blocks} }) {
        my ($name, $text) = @$b;
        $body .= $text if !defined $name || $keep{$name};
    }
    make_cache($cdir);
    write_atomic($out, $body, 'model cache');
    return $out;
}

# The binned cards (`.model <name>.<n>` inside a device subckt) of the device-trimmed copy
# $file: [[subckt, card, card base name, lmin, lmax, wmin, wmax (undef: not a literal
# number)]], and the text of the probe's copy of it: the same file with every binned card cut
# to the words that choose a bin (its type, level, version, lmin, lmax, wmin, wmax; ngspice
# binds an instance to the first card, in file order, of its model name whose lmin..lmax and
# wmin..wmax hold the instance's L and W, a choice no other word of the card enters). The probe loads that
# copy: ~1 MB of model parameters less to parse and evaluate, only to ask the bins.
sub binned_cards {
    my ($file) = @_;
    open my $in, '<', $file or fail("$file: $!");
    my (@cards, $sub, $card);
    my $skel = '';
    my $flush = sub {
        return unless $card;
        my ($s, $name, $text) = @$card;
        my ($base) = $name =~ /^(.*)\.\d+$/;
        my (@lim, @words);
        for my $k (qw(lmin lmax wmin wmax level version)) {
            my $v = (reverse $text =~ /\b$k\s*=\s*(\S+)/gi)[0];    # (a repeated word: the last counts)
            push @words, "$k=$v" if defined $v;
            push @lim, (defined $v && $v =~ /\A[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\z/) ? $v + 0 : undef;
        }
        push @cards, [$s, $name, $base, @lim[0 .. 3]];
        my ($head) = $text =~ /\A(\s*\.model\s+\S+\s+[a-z]\w*)/i;
        $skel .= (defined $head ? "$head @words\n" : $text);
        $card = undef;
    };
    while (my $l = <$in>) {
        if ($l =~ /^\s*\.subckt\s+(\S+)/i) { $flush->(); $sub = lc $1; $skel .= $l; next; }
        if ($l =~ /^\s*\.model\s+(\S+)/i) {
            $flush->();
            my $name = lc $1;
            if (defined $sub && $name =~ /\.\d+$/) { $card = [$sub, $name, $l]; }
            else { $skel .= $l; }
            next;
        }
        if ($card) {
            if ($l =~ /^\s*\+/) { $card->[2] .= $l; next; }
            next if $l =~ /^\s*(?:\*.*)?\r?$/;
            $flush->();
        }
        $skel .= $l unless $l =~ /^\s*(?:\*.*)?\r?$/;
    }
    $flush->();
    close $in;
    return (\@cards, $skel);
}

# Asks ngspice which bin every MOS instance of the decks bound to (cached by geometry key).
# Returns ([[subckt, card]...], undef) or (undef, reason).
sub bin_probe {
    my ($map, $dir, $rows, $decks, $lib_file, $fet_file, $dev_fet, $devices, $geo, @lib_extra) = @_;
    return ([], undef) unless @$devices;
    my $key = sha1_hex(join "\n", 'paiho-bin-probe-1', ngspice_version(),
        fingerprint($fet_file, "$dir/continuous/models_global.spice"), $geo);
    $key = substr($key, 0, 20);
    my $cdir = cache_dir();
    my $cache = "$cdir/probe.$key.bins";
    my $res = read_probe($cache);
    return @$res if $res;

    make_cache($cdir);
    open my $lock, '>>', "$cdir/probe.$key.lock" or fail("model cache: $cdir/probe.$key.lock: $!");
    require Fcntl;    # only on a cache miss (start-up time)
    flock $lock, Fcntl::LOCK_EX() or fail("model cache: lock $cdir/probe.$key.lock: $!");
    $res = read_probe($cache);
    if (!$res) {
        my ($bins, $why) = run_probe($dir, $rows, $decks, $lib_file, $dev_fet, @lib_extra);
        my $text = defined $bins
            ? join('', map { "keep $_->[0] $_->[1]\n" } @$bins) . "end\n"
            : "fallback $why\n";
        write_atomic($cache, $text, 'model cache');
        $res = [$bins, $why];
    }
    close $lock;
    return @$res;
}

sub read_probe {
    my ($cache) = @_;
    open my $in, '<', $cache or return;
    my (@bins, $end);
    while (my $l = <$in>) {
        chomp $l;
        if ($l =~ /^keep (\S+) (\S+)$/) { push @bins, [$1, $2]; }
        elsif ($l =~ /^fallback (.*)$/) { close $in; return [undef, $1]; }
        elsif ($l eq 'end') { $end = 1; }
    }
    close $in;
    return $end ? [\@bins, undef] : undef;
}

# The probe itself: each deck is loaded by ngspice (no analysis) and `showmod m : lmin lmax
# wmin wmax` tells the bin limits of the model every MOS instance bound to; each is matched to
# the binned cards of the device-trimmed copy. The decks load the probe's own library
# (<lib_file>.probe, its models_fet the device copy cut to the words that choose a bin) through
# copies of themselves beside them (<deck>.probe.cir, naming that library), removed afterwards:
# the point's own library is never the probe's, whatever stops this process. A deck that does
# not name <lib_file> on a .lib line of its own is probed as it is, with the whole device copy
# written to <lib_file> (the point writes its library after the probe in any case).
sub run_probe {
    my ($dir, $rows, $decks, $lib_file, $dev_fet, $rescap, @rc) = @_;
    my ($cards, $skel) = binned_cards($dev_fet);
    return ([], undef) unless @$cards;    # no binned fet (resistors only, say): nothing to ask
    for my $c (@$cards) {
        return (undef, "$c->[1] ($c->[0]): bin limits are not literal numbers")
            if grep { !defined } @$c[3 .. 6];
    }
    my ($lib_base) = $lib_file =~ m{([^/]+)\z};
    my $probe_lib = "$lib_file.probe";
    my @copies;
    for my $deck (@$decks) {
        open my $in, '<', $deck or last;
        my $text = do { local $/; <$in> };
        close $in;
        $text =~ s{^([ \t]*\.lib[ \t]+)(["']?)\Q$lib_base\E\2(?=[ \t])}{$1"$lib_base.probe"}gmi or last;
        (my $copy = $deck) =~ s/(?:\.cir)?\z/.probe.cir/;
        write_atomic($copy, $text, 'bin probe deck');
        push @copies, [$copy, $deck];
    }
    my ($bins, $why);
    if (@copies == @$decks) {
        (my $probe_fet = $dev_fet) =~ s/\.spice$/.probe.spice/;
        write_atomic($probe_fet, "* the bin probe's copy: binned cards cut to the words that choose a bin\n$skel",
            'model cache');
        write_atomic($probe_lib, lib_text($dir, $rows, $probe_fet, 'models_fet: bin probe copy', $rescap // {}, @rc),
            'model library');
        ($bins, $why) = probe_decks(\@copies, $cards);
    }
    else {
        write_atomic($lib_file, lib_text($dir, $rows, $dev_fet, 'models_fet: device-trimmed (bin probe)',
            $rescap // {}, @rc), 'model library');
        ($bins, $why) = probe_decks([map { [$_, $_] } @$decks], $cards);
    }
    unlink $probe_lib, map { $_->[0] } @copies;
    return ($bins, $why);
}

# Loads each [file, deck name] and reads the bins (see run_probe).
sub probe_decks {
    my ($decks, $cards) = @_;
    my $ng = $ENV{NGSPICE} // 'ngspice';
    my (%keep, @order);
    for my $pair (@$decks) {
        my ($file, $deck) = @$pair;
        my $pid = open(my $out, '-|') // return (undef, "cannot start $ng: $!");
        if (!$pid) {
            open STDERR, '>&', \*STDOUT;
            pipe(my $r, my $w) or exit 127;
            print {$w} "set width=100000\nshowmod m : lmin lmax wmin wmax\nquit\n";
            close $w;
            open STDIN, '<&', $r or exit 127;
            $ENV{OMP_NUM_THREADS} = 1;
            # -D paiho_probe: a harmless variable that tells a process watcher this
            # ngspice loads a deck and simulates nothing
            exec { $ng } $ng, '-D', 'paiho_probe', '-p', $file or exit 127;
        }
        my @lines = <$out>;
        close $out;
        my $text = join '', @lines;
        return (undef, "$deck: ngspice exited " . ($? >> 8) . ' loading the deck') if $?;
        return (undef, "$deck: ngspice did not load the circuit") unless $text =~ /^Circuit: /m;
        for my $l (@lines) {
            next if $l =~ /no graphics interface/;
            return (undef, "$deck: ngspice: " . ($l =~ s/\s+$//r))
                if $l =~ /\berror\b|could not find|unknown (?:model|subckt|parameter)/i;
        }
        my (@names, %rows, $ncol);
        for my $l (@lines) {
            if ($l =~ /^\s*model\s+(\S.*?)\s*$/) {
                my @n = split ' ', $1;
                next if grep { /^\?+$/ } @n;
                push @names, @n;
                next;
            }
            if ($l =~ /^\s*(lmin|lmax|wmin|wmax)\s+(\S.*?)\s*$/) {
                push @{ $rows{$1} }, split(' ', $2);
            }
        }
        for my $k (qw(lmin lmax wmin wmax)) {
            my $n = @{ $rows{$k} // [] };
            return (undef, "$deck: showmod printed " . scalar(@names) . " models but $n $k values")
                unless $n == @names;
        }
        return (undef, "$deck: ngspice reports no MOS instance") unless @names;
        for my $i (0 .. $#names) {
            my $name = lc $names[$i];
            my @lim = map { $rows{$_}[$i] } qw(lmin lmax wmin wmax);
            return (undef, "$deck: $name: bin limit '@lim' is not a number")
                if grep { !/\A[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\z/ } @lim;
            # the model name as showmod prints it: <instance>:<card>, cut at 21 characters, so
            # what is left of the card name is a prefix of the full card name (`nshort_mo`,
            # or `nshort_model.2` whole when the instance name is short)
            my $prefix = $name =~ /:([^:]*)$/ ? $1 : '';
            my @hit = grep {
                my $c = $_;
                index($c->[1], $prefix) == 0
                    && !grep { abs($c->[3 + $_] - $lim[$_]) > 1e-5 * abs($c->[3 + $_]) + 1e-15 } 0 .. 3
            } @$cards;
            if (!@hit) {
                # a model of the deck's own (no sky130 bin of that name) is not ours to trim
                next unless $prefix eq '' || grep { index($_->[1], $prefix) == 0 } @$cards;
                return (undef, "$deck: instance model $name (lmin lmax wmin wmax @lim) matches no bin");
            }
            for my $c (@hit) {
                push @order, [$c->[0], $c->[1]] unless $keep{"$c->[0] $c->[1]"}++;
            }
        }
    }
    return ([sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] } @order], undef);
}

# The bin-trimmed copy: the device-trimmed copy without the binned cards not in $bins.
sub trimmed_bins {
    my ($fet_file, $dev_fet, $bins) = @_;
    my %keep = map { ("$_->[0] $_->[1]" => 1) } @$bins;
    my $key = sha1_hex(join "\n", 'paiho-fet-bins-1', fingerprint($fet_file), canon($dev_fet), sort keys %keep);
    my $cdir = cache_dir();
    my $out = "$cdir/models_fet.bins." . substr($key, 0, 20) . '.spice';
    return $out if -f $out;
    open my $in, '<', $dev_fet or fail("$dev_fet: $!");
    my ($sub, $drop) = (undef, 0);
    my $body = '';
    while (my $l = <$in>) {
        if ($l =~ /^\s*\.subckt\s+(\S+)/i) { $sub = lc $1; $drop = 0; }
        elsif ($l =~ /^\s*\.model\s+(\S+)/i) {
            my $name = lc $1;
            $drop = defined $sub && $name =~ /\.\d+$/ && !$keep{"$sub $name"};
        }
        elsif ($l =~ /^\s*\+/ || $l =~ /^\s*(?:\*.*)?\r?$/) { }
        else { $drop = 0; }
        $body .= $l unless $drop;
    }
    close $in;
    $body =~ s/\A(\* models_fet.spice trimmed by pai_ho_core sky130_lib.pl\n)/$1* bins: @{[ scalar @$bins ]} (probe: showmod)\n/;
    make_cache($cdir);
    write_atomic($out, $body, 'model cache');
    return $out;
}

1;
