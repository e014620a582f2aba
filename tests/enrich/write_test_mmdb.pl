#!/usr/bin/perl
# Writes a small MMDB for the enrich tests from a spec file, with MaxMind's writer.
# Usage: write_test_mmdb.pl OUT.mmdb SPEC
# Spec: "ip_version 4|6" first, then lines "CIDR key=value ..." inserted in order (last wins);
# a key "a.b" makes a nested map; autonomous_system_number is a uint32, anything else a string;
# '_' in a value stands for a space.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ( $out, $spec ) = @ARGV;
open my $in, '<:encoding(UTF-8)', $spec or die "cannot read $spec: $!\n";
my $first = <$in>;
my ($ip_version) = $first =~ /^ip_version\s+([46])\s*$/ or die "$spec: first line must be 'ip_version 4|6'\n";

my %types = ( autonomous_system_number => 'uint32' );
my $tree  = MaxMind::DB::Writer::Tree->new(
    ip_version               => $ip_version,
    record_size              => 24,
    database_type            => 'ipfix-enricher-test',
    description              => { en => "enrich test database from $spec" },
    map_key_type_callback    => sub { $types{ $_[0] } // ( $_[1] && ref $_[1] eq 'HASH' ? 'map' : 'utf8_string' ) },
    remove_reserved_networks => 0,
    alias_ipv6_to_ipv4       => 0,
);

while ( my $line = <$in> ) {
    chomp $line;
    next if $line =~ /^\s*(#|$)/;
    my ( $network, @pairs ) = split ' ', $line;
    my %record;
    for my $pair (@pairs) {
        my ( $key, $value ) = split /=/, $pair, 2;
        $value =~ tr/_/ /;
        my @path = split /\./, $key;
        my $leaf = pop @path;
        my $map  = \%record;
        $map = ( $map->{$_} //= {} ) for @path;
        $map->{$leaf} = $key eq 'autonomous_system_number' ? $value + 0 : $value;
    }
    $tree->insert_network( $network, \%record );
}

open my $fh, '>:raw', $out or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot write $out: $!\n";
