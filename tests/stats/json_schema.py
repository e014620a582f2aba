"""The shapes of the stats port's JSON answers, and a checker: exact key sets (a key added,
renamed or dropped is a failure, so a client's parser is never surprised) and value types, on
top of the value checks the integration tests make.

  problems = mismatches(json.loads(body), STATS)   # [] when it fits
"""


class Nullable:
    def __init__(self, shape):
        self.shape = shape


class ListOf:
    def __init__(self, shape):
        self.shape = shape


class MapOf:
    """An object whose keys are data (reasons, sections), each value of one shape."""

    def __init__(self, shape, required=()):
        self.shape, self.required = shape, set(required)


COUNT = 'count'    # an integer >= 0 (bool is not one)
NUMBER = 'number'  # an int or a float, >= 0


def mismatches(value, shape, path='$'):
    """Every place where `value` does not fit `shape`, as 'path: what' strings."""
    if isinstance(shape, Nullable):
        return [] if value is None else mismatches(value, shape.shape, path)
    if shape == COUNT:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return [] if ok else [f'{path}: {value!r} is not a count']
    if shape == NUMBER:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
        return [] if ok else [f'{path}: {value!r} is not a number >= 0']
    if isinstance(shape, type):
        ok = isinstance(value, shape) and (shape is bool or not isinstance(value, bool))
        return [] if ok else [f'{path}: {value!r} is not {shape.__name__}']
    if isinstance(shape, ListOf):
        if not isinstance(value, list):
            return [f'{path}: not a list']
        return [m for i, v in enumerate(value) for m in mismatches(v, shape.shape, f'{path}[{i}]')]
    if isinstance(shape, MapOf):
        if not isinstance(value, dict):
            return [f'{path}: not an object']
        out = [f'{path}: no key {k!r}' for k in sorted(shape.required - value.keys())]
        return out + [m for k, v in value.items() for m in mismatches(v, shape.shape, f'{path}.{k}')]
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f'{path}: not an object']
        out = []
        if list(value.keys()) != list(shape.keys()):
            out.append(f'{path}: keys {list(value.keys())}, want {list(shape.keys())}')
        return out + [m for k, s in shape.items() if k in value for m in mismatches(value[k], s, f'{path}.{k}')]
    raise ValueError(f'bad shape at {path}: {shape!r}')


def counts(*keys):
    return {k: COUNT for k in keys}


SECTIONS = {
    'traffic': counts('received_datagrams', 'received_bytes', 'sent_datagrams', 'sent_bytes'),
    'drops': counts('socket_buffer_full', 'oversized', 'worker_ring_full', 'send_failed', 'bursts_without_mbufs',
                    'untapped_records'),
    'decode': counts('messages', 'messages_clean', 'records', 'options_records', 'templates_learned',
                     'templates_refreshed', 'templates_redefined', 'templates_withdrawn', 'templates_expired',
                     'templates_evicted', 'streams_evicted', 'sequence_gaps', 'sequence_lost',
                     'sequence_reordered', 'padding_bytes'),
    # The decoder's reasons are its enum's names: the ones the tests provoke must be there.
    'malformed': MapOf(COUNT, required=('unsupported_version', 'truncated_header', 'length_mismatch')),
    'enrich': counts('records', 'records_without_address', 'lookups', 'lookups_not_found', 'as_filled',
                     'as_overridden', 'as_kept'),
    'store': counts('failing', 'template_write_errors', 'retention_write_errors', 'spool_write_errors',
                    'spool_lost_messages', 'retention_records_written',
                    'retention_records', 'retention_bytes', 'retention_expired_records',
                    'retention_dropped_records', 'retention_lost_records'),
    'port': counts('frames_received', 'drop_not_for_us', 'drop_not_ip', 'drop_not_udp', 'drop_wrong_port',
                   'drop_fragment', 'drop_bad_checksum', 'drop_malformed', 'drop_port_rx', 'neighbour_replies_sent',
                   'neighbour_requests_sent', 'neighbour_updates', 'neighbours_resolved', 'neighbours',
                   'unresolved_drops', 'tx_errors', 'exception_out', 'exception_in'),
}

COLLECTOR = {'collector': str, **counts('messages_in', 'messages_out', 'records_out', 'bytes_out', 'templates_sent',
                                        'withdrawals_sent', 'unknown_sets_forwarded', 'unknown_sets_dropped',
                                        'records_too_big', 'sent_datagrams', 'sent_bytes',
                                        'dropped_buffer_full', 'dropped_unreachable', 'dropped_no_neighbour',
                                        'dropped_other', 'unshared_streams'),
             'records_out_per_second': Nullable(NUMBER), 'mtu': COUNT}

STATS = {'running': bool, 'uptime_seconds': NUMBER, 'interval_seconds': Nullable(NUMBER), **SECTIONS,
         'rates_per_second': Nullable(MapOf(MapOf(NUMBER))), 'collectors': ListOf(COLLECTOR)}
COLLECTORS = {'collectors': ListOf(COLLECTOR)}
EXPORTERS = {'exporters': ListOf({'address': str, 'port': COUNT, 'version': COUNT, 'datagrams': COUNT,
                                  'records': COUNT, 'bytes': COUNT, 'sequence_gaps': COUNT, 'malformed': COUNT,
                                  'last_seen_ms': COUNT})}
TEMPLATES = {'templates': ListOf({'exporter': str, 'domain': COUNT, 'template': COUNT, 'fields': COUNT,
                                  'options': bool, 'last_seen_ms': COUNT})}
AS_ENTRY = {'as': COUNT, 'name': str, 'records': COUNT, 'bytes': COUNT}
AS = {'source': ListOf(AS_ENTRY), 'destination': ListOf(AS_ENTRY)}
TOP = {'talkers': ListOf({'address': str, 'records': COUNT, 'bytes': COUNT})}
