package PaihoMt0;
# PaihoMt0 -- the PrimeSim-style measure file of one ngspice run (see ngspice_mt0.pl, its
# command, for the format). Used in-process by ngspice_deck.pl's run driver and by
# ngspice_mt0.pl.
#
# write_mt0($names_file, $log, $mt0, $version, $point_log, $raw, $wave_max) returns
#   0 every measurement has a value; 3 some failed (mt0 written);
#   4 the log has no measurement section (no mt0 written).
# With $point_log it first appends $log (the run's ngspice output) to $point_log and removes
# $log, and removes the waveform $raw when it is larger than $wave_max bytes, with a line in
# $point_log saying so. An I/O error prints `ERROR: <message>` and exits 1.
use strict;
use warnings;

sub _fail { my ($msg) = @_; print STDERR "ERROR: $msg\n"; exit 1; }

sub write_mt0 {
    my ($names_file, $log, $mt0, $version, $point_log, $raw, $wave_max) = @_;
    open my $nfh, '<', $names_file or _fail("$names_file: $!");
    my ($title, $temp, @names);
    my $alter = 1;
    while (my $l = <$nfh>) {
        chomp $l;
        if    ($l =~ /^#title (.*)$/)  { $title = $1; }
        elsif ($l =~ /^#temp (.*)$/)   { $temp  = $1; }
        elsif ($l =~ /^#alter (\d+)$/) { $alter = $1; }
        elsif ($l =~ /^#/)             { }
        elsif ($l ne '')               { push @names, $l; }
    }
    close $nfh;
    defined $title && defined $temp && @names or _fail("$names_file: incomplete");

    open my $lfh, '<', $log or _fail("$log: $!");
    my @log = <$lfh>;
    close $lfh;
    if (defined $point_log) {
        open my $pfh, '>>', $point_log or _fail("$point_log: $!");
        print {$pfh} @log;
        my $size = -s $raw;
        if (defined $size && $size > $wave_max) {
            unlink $raw;
            print {$pfh} "pai_ho_core: waveform $raw dropped: $size bytes > PAIHO_WAVE_MAX_BYTES=$wave_max\n";
        }
        close $pfh or _fail("$point_log: $!");
        unlink $log;
    }
    my $in_meas = 0;
    my %val;
    for my $l (@log) {
        $in_meas = 1 if $l =~ /^\s*Measurements for /;
        next unless $in_meas;
        if ($l =~ /^\s*paiho_fp_(\d+)\s*=\s*(\S+)/) {
            my ($k, $v) = ($1, $2);
            next if exists $val{$k};    # first result wins
            $val{$k} = $v;
        }
    }
    if (!$in_meas) {
        unlink $mt0;
        return 4;
    }

    my $num = qr/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
    my @vals;
    my $failed = 0;
    for my $k (1 .. @names) {
        my $v = $val{$k};
        if (defined $v && $v =~ $num && lc($v) !~ /nan|inf/) {
            push @vals, sprintf('%.8e', $v);
        }
        else {
            push @vals, 'failed';
            $failed++;
        }
    }
    push @vals, sprintf('%.8e', $temp), sprintf('%.8e', $alter);

    my $tmp = "$mt0.tmp$$";
    open my $ofh, '>', $tmp or _fail("$tmp: $!");
    print {$ofh} "\$DATA1 SOURCE='ngspice' VERSION='$version' PARAM_COUNT=0\n";
    print {$ofh} ".TITLE '$title'\n";
    print {$ofh} join('  ', @names, 'temper', 'alter#'), "\n";
    print {$ofh} join('  ', @vals), "\n";
    close $ofh or _fail("$tmp: $!");
    rename $tmp, $mt0 or _fail("$mt0: $!");
    return $failed ? 3 : 0;
}

1;
