#!/usr/bin/env bash
# `meson install --destdir` into a scratch directory (never the real /etc or /lib), then: the
# daemon, the tools, the config, the systemd unit and the logrotate file are where the box
# expects them, and the installed unit starts the installed daemon on the installed config.
# Usage: check_meson_install.sh BUILD_DIR SOURCE_DIR PREFIX BINDIR SBINDIR SYSCONFDIR
set -euo pipefail
build=$1 source=$2 prefix=$3 bindir=$4 sbindir=$5 sysconfdir=$6

fail() { printf 'FAIL: %s\n' "$*"; exit 1; }
# meson's directory options are relative to the prefix unless absolute (sysconfdir /etc for /usr).
under_prefix() { if [[ $1 == /* ]]; then echo "$1"; else echo "$prefix/$1"; fi; }

daemon=$(under_prefix "$sbindir")/ipfix-enricher
config=$(under_prefix "$sysconfdir")/ipfix-enricher/ipfix-enricher.yaml
# Where systemd on this box looks for packaged units; /lib/systemd/system without systemd's .pc.
unit_dir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || true)
unit=${unit_dir:-/lib/systemd/system}/ipfix-enricher.service
logrotate=/etc/logrotate.d/ipfix-enricher
sysctl_conf=/usr/lib/sysctl.d/60-ipfix-enricher.conf

work=$(mktemp -d "${TMPDIR:-/tmp}/ops-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest=$work/root

meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "meson install --destdir exited non-zero"; }

for exe in "$daemon" "$(under_prefix "$bindir")/ipfix-dump" "$(under_prefix "$bindir")/ipfix-asdb" \
           "$(under_prefix "$bindir")/fetch-asdb"; do
    [[ -f $dest$exe && -x $dest$exe ]] || fail "no executable $exe"
done
"$dest$daemon" --help >"$work/help.txt" 2>&1 || fail "$daemon --help exited $?"
grep -qF -- '--check-config' "$work/help.txt" || fail "$daemon --help: $(cat "$work/help.txt")"
cmp "$dest$(under_prefix "$bindir")/fetch-asdb" "$source/tools/fetch-asdb" || fail "bin/fetch-asdb is not tools/fetch-asdb"
echo "ok: $daemon, ipfix-dump, ipfix-asdb, fetch-asdb"

cmp "$dest$config" "$source/config/ipfix-enricher.yaml" || fail "$config is not config/ipfix-enricher.yaml"
cmp "$dest$logrotate" "$source/systemd/ipfix-enricher.logrotate" ||
    fail "$logrotate is not systemd/ipfix-enricher.logrotate"
cmp "$dest$sysctl_conf" "$source/systemd/ipfix-enricher.sysctl" ||
    fail "$sysctl_conf is not systemd/ipfix-enricher.sysctl"
[[ -f $dest$unit ]] || fail "no unit at $unit"
echo "ok: $config, $logrotate, $sysctl_conf, $unit"

# The unit names what was installed, in the installed places.
exec_start=$(sed -n 's/^ExecStart=//p' "$dest$unit")
[[ $exec_start == "$daemon -c $config" ]] || fail "ExecStart=$exec_start, not '$daemon -c $config'"
echo "ok: ExecStart=$exec_start"

# Nothing outside the prefix, /etc, the unit and the sysctl file.
while IFS= read -r -d '' f; do
    path=${f#"$dest"}
    case $path in
        "$prefix"/* | /etc/* | "$unit" | "$sysctl_conf") ;;
        *) fail "installed outside the expected places: $path" ;;
    esac
done < <(find "$dest" -type f -print0)
echo "ok: $(find "$dest" -type f | wc -l) files, all under $prefix, /etc or $unit"
