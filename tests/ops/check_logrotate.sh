#!/usr/bin/env bash
# The logrotate file: it parses (logrotate -d, as installed), and a copy pointed at a scratch
# directory rotates as intended: copytruncate leaves the live file in place and empty, the
# previous day stays plain (delaycompress), older ones are gzipped.
# Usage: check_logrotate.sh LOGROTATE_FILE
set -euo pipefail
file=$1

fail() { printf 'FAIL: %s\n' "$*"; exit 1; }

pattern='/var/log/ipfix-enricher/*.log'
grep -qxF "$pattern {" "$file" || fail "$file does not rotate $pattern"
for d in daily "rotate 14" compress delaycompress missingok notifempty copytruncate; do
    grep -qx "[[:space:]]*$d" "$file" || fail "$file has no '$d'"
done
echo "ok: directives"

logrotate=$(PATH=$PATH:/usr/sbin:/sbin command -v logrotate || true)
if [[ -z $logrotate ]]; then
    echo "SKIP: logrotate not installed (Debian package logrotate): file not parsed"
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ops-logrotate.XXXXXX")
trap 'rm -rf "$work"' EXIT

# As installed: -d changes nothing; a bad directive prints "error:" yet may exit 0.
out=$("$logrotate" -d -s "$work/state" "$file" 2>&1) || fail "logrotate -d exited $?: $out"
if grep -i 'error' <<<"$out"; then fail "logrotate -d reports the lines above"; fi
echo "ok: logrotate -d"

mkdir "$work/log"
sed "s|/var/log/ipfix-enricher/|$work/log/|" "$file" >"$work/conf"
log=$work/log/ipfix-enricher.log
rotate() { "$logrotate" -f -s "$work/state" "$work/conf" || fail "logrotate -f exited $?"; }

printf 'day 1\n' >"$log"
ino=$(stat -c %i "$log")
rotate
[[ $(stat -c %i "$log") == "$ino" ]] || fail "the live log was replaced, not truncated in place"
[[ ! -s $log ]] || fail "the live log was not truncated: $(cat "$log")"
[[ $(cat "$log.1") == "day 1" ]] || fail "$log.1 holds '$(cat "$log.1")', not 'day 1'"

printf 'day 2\n' >>"$log"
rotate
[[ $(cat "$log.1") == "day 2" ]] || fail "after the second rotation $log.1 holds '$(cat "$log.1")'"
[[ -f $log.2.gz ]] || fail "no $log.2.gz after the second rotation: $(ls "$work/log")"
[[ $(gzip -dc "$log.2.gz") == "day 1" ]] || fail "$log.2.gz holds '$(gzip -dc "$log.2.gz")'"

# notifempty: an empty live log is left alone.
rotate
[[ $(cat "$log.1") == "day 2" ]] || fail "an empty log was rotated"
files=$(cd "$work/log" && printf '%s ' *)
[[ $files == "ipfix-enricher.log ipfix-enricher.log.1 ipfix-enricher.log.2.gz " ]] ||
    fail "files after rotation: $files"
echo "ok: rotation in $work/log (copytruncate, delaycompress, notifempty)"
