#!/usr/bin/perl
# Writes an ASN database in the GeoLite2-ASN schema with MaxMind's writer
# (Debian: libmaxmind-db-writer-perl). ipfix-asdb embeds this script and feeds it on stdin,
# already ordered so that the last insert is the longest prefix:
#   <cidr> TAB <asn> [TAB <organisation>] NEWLINE
# Usage: perl write_mmdb.pl OUT.mmdb DESCRIPTION
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $description) = @ARGV;
die "usage: write_mmdb.pl OUT.mmdb DESCRIPTION\n" unless defined $out && defined $description;

my %types = (
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 28,
    database_type         => 'ipfix-asdb-ASN',
    languages             => ['en'],
    description           => { en => $description },
    map_key_type_callback => sub { $types{ $_[0] } },
    # Operators map their own private space too (networks_file style), so keep every prefix.
    remove_reserved_networks => 0,
    # The ranges it would alias (2001::/32, 2002::/16) carry real ASN data; the reader maps
    # ::ffff:0:0/96 to IPv4 itself.
    alias_ipv6_to_ipv4 => 0,
    merge_strategy     => 'none',
);

binmode STDIN, ':encoding(UTF-8)';
while ( my $line = <STDIN> ) {
    chomp $line;
    my ( $network, $asn, $org ) = split /\t/, $line, 3;
    my %record = ( autonomous_system_number => $asn + 0 );
    $record{autonomous_system_organization} = $org if defined $org && length $org;
    $tree->insert_network( $network, \%record );
}

open my $fh, '>:raw', $out or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot write $out: $!\n";
