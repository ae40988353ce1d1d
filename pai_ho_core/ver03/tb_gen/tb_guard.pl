#!/usr/bin/env perl
# tb_guard.pl <template> <domain_dir>
#
# gen's check that a template cannot run programs (simulation/PaihoGuard.pm lists what is
# refused): the template and every file it includes (.inc/.include/.lib, recursively) are
# read. Relative include paths are resolved as ngspice will at run time, from a point
# directory (<domain>/<CORNER>/<ex>/<ex>_<T>/<vt>, four levels down), else from the
# including file's directory; files that do not exist yet, and paths through an unset
# $VARIABLE (the run stage's $DP_HSPICE_MODEL), are skipped here (the run stage checks
# its deck again, includes and all, before ngspice sees it).
# Exit 0: clean; 2: one line on stderr naming the file, the line and the construct.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../simulation";
use PaihoGuard ();

if (@ARGV != 2) {
    print STDERR "usage: tb_guard.pl <template> <domain_dir>\n";
    exit 2;
}
my ($template, $domain) = @ARGV;
my $point = PaihoGuard::canon($domain) . '/CORNER/ex/ex_T/vt';
my $err = PaihoGuard::scan_netlist($template, base => $point, missing_ok => 1, env => 1,
    from_base_first => 1);
if (defined $err) {
    $err =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord($1))/ge;
    print STDERR "ERROR: template refused: $err\n";
    exit 2;
}
exit 0;
