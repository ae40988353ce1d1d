#!/usr/bin/env perl
# read_cfg.pl <config.cfg> <configuration-dir>
#
# Reads and validates a config.cfg against this core's own CSV tables
# (docs/config.md is the rule book; wkpup_harness.config implements the same rules)
# and prints shell assignments for read_cfg.sh to eval: the config values, the corner
# lists (table_corner_list.csv) and the supply values (table_supply_list*.csv).
#
# On any problem: one line on stderr, exit 2, nothing printed on stdout.
# Differences from the real ver03 reader, on purpose:
#   - unknown keys, bad values, missing keys and duplicates stop the flow (the real one
#     printed "ERROR reading config file" and carried on with defaults);
#   - the last line is read even without a trailing newline (the real one skipped it);
#   - an empty CSV cell that the generator would need is an error here (the real flow passed
#     it unquoted, shifting every later gen_tb.pl argument).
use strict;
use warnings;

my ($cfg_path, $conf_dir) = @ARGV;
if (!defined $conf_dir || @ARGV != 2) {
    print STDERR "usage: read_cfg.pl <config.cfg> <configuration-dir>\n";
    exit 2;
}

sub fail {
    my ($msg) = @_;
    # Config text is echoed in messages: control and non-ASCII bytes are shown escaped, so
    # an error stays one printable line and cannot drive the terminal.
    $msg =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord($1))/ge;
    # A quoted value is shown cut at 60 characters, the whole line at 1000: a huge config
    # value gives a short error, not the value again.
    $msg =~ s/'([^']{60})([^']{20,})'/"'$1...' (" . (60 + length($2)) . " characters)"/ge;
    $msg = substr($msg, 0, 1000) . '...' if length($msg) > 1000;
    print STDERR "ERROR: $msg\n";
    exit 2;
}

sub sh_quote {
    my ($s) = @_;
    $s =~ s/'/'\\''/g;
    return "'$s'";
}

# ---------------------------------------------------------------- tables
sub read_csv {
    my ($path) = @_;
    open my $fh, '<', $path or fail("$path: cannot read table ($!)");
    my @rows;
    while (my $line = <$fh>) {
        $line =~ s/\r?\n\z//;
        next if $line eq '';
        push @rows, [split /,/, $line, -1];
    }
    close $fh;
    fail("$path: empty table") unless @rows;
    return \@rows;
}

my $corner_rows = read_csv("$conf_dir/table_corner_list.csv");
my %corner_table;    # type -> [extractions, corners]
for my $r (@{$corner_rows}[1 .. $#{$corner_rows}]) {
    $corner_table{$r->[0]} = [$r->[1] // '', $r->[2] // ''];
}
for my $t (qw(nom_tt full_tt full_tt_gsgf cross_default cross_default_gsgf cross_full cross_full_gsgf)) {
    fail("$conf_dir/table_corner_list.csv: row '$t' missing") unless $corner_table{$t};
}
# Corner and extraction names become directory names that stages create and bkp removes
# (rm -rf): a replaceable table (PAIHO_CONF_DIR) must not be able to name '..', '/x' or '-rf'.
my $NAME_RE = qr/\A[A-Za-z0-9][A-Za-z0-9_]*\z/;
for my $t (sort keys %corner_table) {
    my ($exs, $corners) = @{$corner_table{$t}};
    for my $name ((split / /, $exs), (split / /, $corners)) {
        next if $name eq '';
        fail("$conf_dir/table_corner_list.csv: row '$t': name '$name' not allowed; allowed: letters, digits and '_' (not first)")
            unless $name =~ $NAME_RE;
    }
}

# sim_mode -> supply table. The real flow takes table_supply_list.csv for any value other
# than ac/dc; we accept the two transient names it is used with (contract §9.8) and refuse
# the rest.
my %supply_file = (ac => 'table_supply_list_ac.csv', dc => 'table_supply_list_dc.csv',
                   tran => 'table_supply_list.csv', tr => 'table_supply_list.csv');
my @supply_cols = qw(func_min perf_min nom perf_max func_max htol hvqk);

sub read_supply_table {
    my ($file) = @_;
    my $rows = read_csv("$conf_dir/$file");
    my $hdr = join ',', @{$rows->[0]};
    fail("$conf_dir/$file: header must be 'rail," . join(',', @supply_cols) . "'")
        unless $hdr eq join(',', 'rail', @supply_cols);
    my (%table, @order);
    for my $r (@{$rows}[1 .. $#{$rows}]) {
        my ($rail, @cells) = @{$r};
        push @order, $rail unless exists $table{$rail};
        $table{$rail} = \@cells;
    }
    return (\%table, \@order);
}

# ---------------------------------------------------------------- config file
my %required = map { $_ => 1 } ('mode', 'vccn', 'vcctx', '1st_supply_swp', '2nd_supply_swp',
    '3rd_supply_swp', 'condition', 'CPU #', 'MEM [G]', 'alter_extraction', 'alter_string#',
    'sim_mode', 'gs/gf_corner', 'vcc_vid', 'simulator');
my @required_order = ('mode', 'vccn', 'vcctx', '1st_supply_swp', '2nd_supply_swp',
    '3rd_supply_swp', 'condition', 'CPU #', 'MEM [G]', 'alter_extraction', 'alter_string#',
    'sim_mode', 'gs/gf_corner', 'vcc_vid', 'simulator');
# mc_*: ours, Monte Carlo (docs/montecarlo.md); the real flow has none of them.
my %optional = map { $_ => 1 } ('vcc', 'vccana', 'postlay_cross_cornerlist', 'mc_samples', 'mc_seed',
    'mc_kind', 'mc_at');

open my $cfh, '<:raw', $cfg_path or fail("$cfg_path: cannot read config ($!)");
my $raw = do { local $/; <$cfh> };
close $cfh;
fail("$cfg_path: empty config file") if $raw eq '';

my (%val, %third, %lineno);
my $n = 0;
for my $line (split /\n/, $raw, -1) {
    $n++;
    fail("$cfg_path:$n: line ends in a carriage return (CRLF file); save it with Unix line endings")
        if $line =~ /\r/;
    fail("$cfg_path:$n: NUL byte in line") if $line =~ /\x00/;
    fail("$cfg_path:$n: non-ASCII byte in line; config values are ASCII")
        if $line =~ /[^\x00-\x7f]/;
    next if $line =~ /\A[ \t]*\z/;
    my ($key, $value, $rest);
    if ($line =~ /\A([^:]*):([^:]*)(?::(.*))?\z/s) {
        ($key, $value, $rest) = ($1, $2, $3);
    } else {
        fail("$cfg_path:$n: expected 'key:value', got '$line'");
    }
    if (!$required{$key} && !$optional{$key}) {
        fail("$cfg_path:$n: $key: unknown key; allowed: "
             . join(', ', @required_order, sort keys %optional));
    }
    fail("$cfg_path:$n: $key: duplicate key (first on line $lineno{$key})") if exists $val{$key};
    $val{$key} = $value;
    $third{$key} = $rest;
    $lineno{$key} = $n;
}
for my $k (keys %third) {
    next unless defined $third{$k};
    next if $k eq 'postlay_cross_cornerlist' && $val{$k} eq 'custom';
    fail("$cfg_path:$lineno{$k}: $k: unexpected second ':' in value '$val{$k}:$third{$k}'");
}

sub where { my ($k) = @_; return exists $lineno{$k} ? "$cfg_path:$lineno{$k}" : $cfg_path; }

sub check_enum {
    my ($k, @allowed) = @_;
    fail("$cfg_path: $k: missing key; allowed: " . join(', ', @allowed)) unless exists $val{$k};
    my $v = $val{$k};
    return if grep { $_ eq $v } @allowed;
    fail(where($k) . ": $k: '$v' not allowed; allowed: " . join(', ', @allowed));
}

sub check_int {
    my ($k, $min) = @_;
    fail("$cfg_path: $k: missing key; allowed: $min..9999") unless exists $val{$k};
    my $v = $val{$k};
    my $ok = $min == 0 ? $v =~ /\A(?:0|[1-9][0-9]{0,3})\z/ : $v =~ /\A[1-9][0-9]{0,3}\z/;
    fail(where($k) . ": $k: '$v' is not an integer; allowed: $min..9999") unless $ok;
}

check_enum('sim_mode', qw(ac dc tran tr));
my ($supply, $supply_order) = read_supply_table($supply_file{$val{sim_mode}});
my $supply_name = $supply_file{$val{sim_mode}};
$val{vcc} //= 'vcc';
$val{vccana} //= 'vccana';
$val{postlay_cross_cornerlist} //= 'default';
# Checked in the order of the real config file, so the first problem reported is the
# first one a reader of the file meets.
# Any mode other than prelay is the post-layout (polo) branch in the real flow; `postlay` is
# the name its docs use (contract §9.8). Other values stay errors.
check_enum('mode', qw(prelay polo postlay));
check_enum('vccn', grep { /\A[0-9]+p[0-9]+v\z/ } @{$supply_order});
check_enum('vcctx', grep { /\Avcctx_/ } @{$supply_order});
check_enum('vcc', grep { $_ eq 'vcc' || (/\Avcc_/ && !/\Avcc_vid_/) } @{$supply_order});
check_enum('vccana', grep { /\Avccana/ } @{$supply_order});
check_enum('1st_supply_swp', qw(vcc vccana vccn));
check_enum('2nd_supply_swp', qw(vccn vcctx vccana NA));
check_enum('3rd_supply_swp', qw(vccn vccn_vcctx NA));
check_enum('condition', qw(perf func htol hvqk));
check_int('CPU #', 1);
check_int('MEM [G]', 1);
check_enum('alter_extraction', qw(Yes No));
check_int('alter_string#', 0);
check_enum('gs/gf_corner', qw(Yes No));
check_enum('vcc_vid', qw(Yes No));
check_enum('simulator', qw(ngspice primesim finesim));
check_enum('postlay_cross_cornerlist', qw(default full custom));

my ($s1, $s2, $s3) = @val{'1st_supply_swp', '2nd_supply_swp', '3rd_supply_swp'};
if ($s3 ne 'NA' && $s2 eq 'NA') {
    fail(where('3rd_supply_swp') . ": 3rd_supply_swp: '$s3' needs a 2nd_supply_swp; allowed: NA");
}
# No rail swept twice. vccn_vcctx moves vcn (and vsh) and, unless vcctx is already the 2nd
# supply, vctx too: with 2nd_supply_swp:vcctx the generator gives vctx the v2 trend and v3
# moves only vcn and vsh (contract §9.2), so that pair is valid.
my %swept;
for my $pos (['1st_supply_swp', $s1], ['2nd_supply_swp', $s2], ['3rd_supply_swp', $s3]) {
    my ($k, $rail) = @{$pos};
    next if $rail eq 'NA';
    my @rails = $rail eq 'vccn_vcctx' ? ('vccn', $swept{vcctx} ? () : ('vcctx')) : ($rail);
    for my $r (@rails) {
        fail(where($k) . ": $k: rail '$r' is already swept by $swept{$r}; allowed: a rail not swept yet")
            if $swept{$r};
        $swept{$r} = $k;
    }
}

# ---------------------------------------------------------------- corners
my $gsgf = $val{'gs/gf_corner'} eq 'Yes';
my ($typ_ex, $typ_corner) = @{$corner_table{nom_tt}};
my $typ_list = $corner_table{$gsgf ? 'full_tt_gsgf' : 'full_tt'}[1];
my $cross_ex = $corner_table{cross_default}[0];
my $cross_list;
my $cl = $val{postlay_cross_cornerlist};
if ($cl eq 'custom') {
    my $spec = $third{postlay_cross_cornerlist} // '';
    my @known = split / /, $corner_table{full_tt_gsgf}[1];
    my @want = split / /, $spec, -1;
    fail(where('postlay_cross_cornerlist') . ": postlay_cross_cornerlist: custom needs a space-separated corner list after 'custom:'; allowed: "
         . join(', ', @known)) if !@want || grep { $_ eq '' } @want;
    my %seen;
    for my $c (@want) {
        fail(where('postlay_cross_cornerlist') . ": postlay_cross_cornerlist: corner '$c' not allowed; allowed: "
             . join(', ', @known)) unless grep { $_ eq $c } @known;
        fail(where('postlay_cross_cornerlist') . ": postlay_cross_cornerlist: corner '$c' listed twice; allowed: each corner once")
            if $seen{$c}++;
    }
    $cross_list = join ' ', @want;
} else {
    $cross_list = $corner_table{"cross_$cl" . ($gsgf ? '_gsgf' : '')}[1];
}

# ---------------------------------------------------------------- Monte Carlo (ours)
# mc_samples N (1..99999) turns the job's mc stage on; mc_seed (0..999999999, default 1),
# mc_kind (mismatch, process+mismatch; default mismatch) and mc_at (worst, or CORNER/T
# entries separated by single spaces: a corner of this run and m40 or 125, or the typical
# corner and 85 or 100; only the typical corner for process+mismatch) need it.
my $mc = exists $val{mc_samples};
for my $k (qw(mc_seed mc_kind mc_at)) {
    fail(where($k) . ": $k: needs mc_samples; allowed: a mc_samples:<1..99999> line")
        if exists $val{$k} && !$mc;
}
if ($mc) {
    fail(where('mc_samples') . ": mc_samples: '$val{mc_samples}' is not an integer; allowed: 1..99999")
        unless $val{mc_samples} =~ /\A[1-9][0-9]{0,4}\z/;
    $val{mc_seed} //= '1';
    fail(where('mc_seed') . ": mc_seed: '$val{mc_seed}' is not an integer; allowed: 0..999999999")
        unless $val{mc_seed} =~ /\A(?:0|[1-9][0-9]{0,8})\z/;
    $val{mc_kind} //= 'mismatch';
    check_enum('mc_kind', qw(mismatch process+mismatch));
    $val{mc_at} //= 'worst';
    check_mc_at($val{mc_at}) unless $val{mc_at} eq 'worst';
}

sub check_mc_at {
    my ($at) = @_;
    my @corners = $val{mode} eq 'prelay' ? (split / /, $typ_list) : (split(/ /, $typ_list), split(/ /, $cross_list));
    @corners = ($typ_corner) if $val{mc_kind} eq 'process+mismatch';
    my %ok;
    for my $c (@corners) { $ok{"$c/m40"} = $ok{"$c/125"} = 1; }
    $ok{"$typ_corner/85"} = $ok{"$typ_corner/100"} = 1;
    my @allowed = ('worst', sort keys %ok);
    my %seen;
    fail(where('mc_at') . ": mc_at: empty value; allowed: " . join(', ', @allowed)) if $at eq '';
    for my $e (split / /, $at, -1) {
        fail(where('mc_at') . ": mc_at: '$at': entries must be separated by single spaces; allowed: " . join(', ', @allowed))
            if $e eq '';
        fail(where('mc_at') . ": mc_at: '$e' not allowed" . ($val{mc_kind} eq 'process+mismatch' ? ' (process+mismatch runs at the typical corner)' : '')
             . "; allowed: " . join(', ', @allowed)) unless $ok{$e};
        fail(where('mc_at') . ": mc_at: '$e' listed twice; allowed: each entry once") if $seen{$e}++;
    }
}

# ---------------------------------------------------------------- supplies
my %cond_cols = (func => [0, 2, 4], perf => [1, 2, 3], htol => [0, 2, 5], hvqk => [0, 2, 6]);
my @cols = @{$cond_cols{$val{condition}}};
my @col_names = map { $supply_cols[$_] } @cols;

sub trend {
    my ($rail) = @_;
    my $cells = $supply->{$rail};
    fail("$conf_dir/$supply_name: rail '$rail' missing from the table") unless $cells;
    my @v = map { $cells->[$_] // '' } @cols;
    for my $i (0 .. 2) {
        fail("$conf_dir/$supply_name: rail '$rail' has an empty $col_names[$i] cell, needed by condition:$val{condition}; allowed: a condition whose columns are filled")
            if $v[$i] eq '';
    }
    return @v;
}

my @vcc = trend($val{vcc});
my @vcn = trend($val{vccn});
my @vccana = trend($val{vccana});
my @vctx = trend($val{vcctx});
my @vid;
for my $row (qw(vcc_vid_tt_h vcc_vid_tt_c vcc_vid_ff_h vcc_vid_ff_c vcc_vid_ss_h vcc_vid_ss_c)) {
    push @vid, trend($row);
}

# ---------------------------------------------------------------- output
my %out = (
    mode => $val{mode}, vccn => $val{vccn}, vcctx => $val{vcctx}, vcc => $val{vcc},
    vccana => $val{vccana}, s1 => $s1, s2 => $s2, s3 => $s3, condition => $val{condition},
    cpu => $val{'CPU #'}, mem => $val{'MEM [G]'}, alter_extraction => $val{alter_extraction},
    alter_string => $val{'alter_string#'}, sim_mode => $val{sim_mode}, gsgf => $val{'gs/gf_corner'},
    vcc_vid => $val{vcc_vid}, simulator => $val{simulator}, cross_cornerlist => $cl,
    polo => ($val{mode} eq 'prelay' ? 'No' : 'Yes'),
    typ_ex => $typ_ex, typ_corner => $typ_corner, typ_list => $typ_list,
    cross_ex => $cross_ex, cross_list => $cross_list, supply_table => $supply_name,
    vcc_min => $vcc[0], vcc_nom => $vcc[1], vcc_max => $vcc[2],
    vcn_min => $vcn[0], vcn_nom => $vcn[1], vcn_max => $vcn[2],
    vccana_min => $vccana[0], vccana_nom => $vccana[1], vccana_max => $vccana[2],
    vctx_min => $vctx[0], vctx_nom => $vctx[1], vctx_max => $vctx[2],
    vid => join(' ', @vid),
    mc_samples => $val{mc_samples} // '', mc_seed => $val{mc_seed} // '',
    mc_kind => $val{mc_kind} // '', mc_at => $val{mc_at} // '',
);
for my $k (sort keys %out) {
    print 'CFG_', $k, '=', sh_quote($out{$k}), "\n";
}
exit 0;
