#!/usr/bin/perl
# Writes a country database in the GeoLite2-Country schema (country.iso_code) for the offline
# golden tests, with MaxMind's writer (Debian: libmaxmind-db-writer-perl).
# Input on stdin, shorter prefixes first (a later, longer prefix overrides that part):
#   <cidr> TAB <iso code> NEWLINE
# Usage: perl write_country_mmdb.pl OUT.mmdb
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out) = @ARGV;
die "usage: write_country_mmdb.pl OUT.mmdb\n" unless defined $out;

my %types = ( country => 'map', iso_code => 'utf8_string' );
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => 24,
    database_type            => 'ipfix-offline-test-Country',
    languages                => ['en'],
    description              => { en => 'countries for the offline golden tests' },
    map_key_type_callback    => sub { $types{ $_[0] } },
    remove_reserved_networks => 0,
    alias_ipv6_to_ipv4       => 0,
    merge_strategy           => 'none',
);
while ( my $line = <STDIN> ) {
    chomp $line;
    next unless length $line;
    my ( $network, $iso ) = split /\t/, $line;
    $tree->insert_network( $network, { country => { iso_code => $iso } } );
}
open my $fh, '>:raw', $out or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot write $out: $!\n";
