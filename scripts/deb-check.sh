#!/usr/bin/env bash
# Checks the amd64 Debian package end to end (make deb-check, part of make test): builds it
# (or takes the one DEB=FILE names),
# reads it back with dpkg-deb --info and --contents, runs lintian on it, then installs it
# (and runs systemd-analyze verify on its unit) with dpkg -i, starts the daemon by hand as the package's user with the
# package's config on a free loopback port and asks its /healthz, removes it with dpkg -r
# (config and data kept) and purges it with dpkg --purge (nothing left). This machine has no
# systemd as PID 1, so the unit is checked, not run. The install part needs root, and it takes
# a lock: only one such test installs at a time, and it refuses to touch a cellforge package or
# user that it did not install. Whatever happens, it leaves the package purged.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "deb-check: FAIL: $*" >&2; exit 1; }
note() { echo "deb-check: $*"; }

[ "$(id -u)" -eq 0 ] || fail "installing the package needs root"
for tool in lintian systemd-analyze; do
  if ! command -v "$tool" >/dev/null; then
    note "installing $tool"
    pkg=$([ "$tool" = systemd-analyze ] && echo systemd || echo lintian)
    flock "${TMPDIR:-/tmp}/cellforge-deps.lock" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  fi
done

work=$(mktemp -d)
daemon_pid=""
installed_by_us=0
cleanup() {
  [ -z "$daemon_pid" ] || { kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; }
  if [ "$installed_by_us" -eq 1 ] && dpkg-query -W -f='${db:Status-Status}' cellforge 2>/dev/null | grep -qv '^not-installed$'; then
    echo "deb-check: purging the package left installed" >&2
    dpkg --purge cellforge >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# 1. Build (or take the package DEB names, built already by scripts/deb.sh).
if [ -n "${DEB:-}" ]; then
  cp "$DEB" "$work/" && deb="$work/$(basename "$DEB")"
else
  scripts/deb.sh -o "$work" amd64 >/dev/null || fail "scripts/deb.sh amd64 failed"
  deb=$(ls "$work"/cellforge_*_amd64.deb)
fi
note "built $(basename "$deb")"

# 2. The package's fields and files.
info=$(dpkg-deb --info "$deb")
for want in "Package: cellforge" "Architecture: amd64" "Depends: adduser, init-system-helpers" " postinst" " prerm" " postrm" " conffiles"; do
  grep -qF -- "$want" <<<"$info" || fail "dpkg-deb --info lacks \"$want\":"$'\n'"$info"
done
version=$(dpkg-deb --field "$deb" Version)
[ "$version" = "$(basename "$deb" | sed -E 's/^cellforge_(.*)_amd64\.deb$/\1/')" ] || fail "Version $version is not the file name's"
dpkg --compare-versions "$version" gt 0 || fail "Version $version is not a Debian version"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/cellforge/factory.yaml ] || fail "conffiles is not /etc/cellforge/factory.yaml alone"
contents=$(dpkg-deb --contents "$deb")
for want in "-rwxr-xr-x root/root .* ./usr/bin/cellforge" "-rw-r--r-- root/root .* ./lib/systemd/system/cellforge.service" \
    "-rw-r--r-- root/root .* ./etc/cellforge/factory.yaml" "./usr/share/doc/cellforge/examples/demo.yaml" \
    "./usr/share/doc/cellforge/copyright" "./usr/share/doc/cellforge/changelog.gz"; do
  grep -qE -- "$want" <<<"$contents" || fail "dpkg-deb --contents lacks $want:"$'\n'"$contents"
done
if grep -vE ' root/root ' <<<"$contents" | grep -q .; then fail "files not owned by root:"$'\n'"$contents"; fi
note "dpkg-deb --info and --contents: as expected"

# 3. lintian: no error and no warning but those packaging/debian/lintian-expected names (each
# with its reason there).
lintian_out=$(lintian --tag-display-limit 0 --display-level ">=warning" "$deb" 2>&1 || true)
expected=$(awk '!/^#/ && NF {print $1}' packaging/debian/lintian-expected)
unexpected=$(grep -E '^(E|W): ' <<<"$lintian_out" | awk '{print $3}' | grep -vxF -f <(printf '%s\n' "$expected") || true)
[ -z "$unexpected" ] || fail "lintian:"$'\n'"$lintian_out"
note "lintian: $(grep -cE '^(E|W): ' <<<"$lintian_out" || true) expected warning(s), nothing else"

# 4. Install, run, upgrade, remove, purge: one such test at a time on this machine.
exec 8>"${TMPDIR:-/tmp}/cellforge-deb-install.lock"
flock -w 1800 8 || fail "another package install test held the lock for 30 minutes"
if dpkg-query -W -f='${db:Status-Status}' cellforge 2>/dev/null | grep -qv '^not-installed$'; then
  fail "a cellforge package is installed already: this test installs only on a machine without one"
fi
getent passwd cellforge >/dev/null && fail "a user cellforge exists already: this test leaves it alone"
[ ! -e /etc/cellforge ] && [ ! -e /var/lib/cellforge ] || fail "/etc/cellforge or /var/lib/cellforge exists already"

installed_by_us=1
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || fail "dpkg -i:"$'\n'"$(cat "$work/dpkg.log")"
[ "$(dpkg-query -W -f='${db:Status-Status} ${Version}' cellforge)" = "installed $version" ] || fail "dpkg -i did not install $version"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd cellforge) || fail "postinst made no user cellforge"
[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/cellforge ] && [ "$shell" = /usr/sbin/nologin ] || fail "user cellforge: uid $uid, home $home, shell $shell; want a system user"
[ "$(stat -c '%U:%G %a' /var/lib/cellforge)" = "cellforge:cellforge 750" ] || fail "/var/lib/cellforge is $(stat -c '%U:%G %a' /var/lib/cellforge)"
[ "$(stat -c '%U:%G %a' /etc/cellforge/factory.yaml)" = "root:cellforge 640" ] || fail "/etc/cellforge/factory.yaml is $(stat -c '%U:%G %a' /etc/cellforge/factory.yaml)"
[ -L /etc/systemd/system/multi-user.target.wants/cellforge.service ] || fail "the unit is not enabled"
note "dpkg -i: installed, user, directories and unit as expected"
# The unit where it is installed: systemd-analyze checks that its program is there, which it is
# only once installed.
verify=$(systemd-analyze verify /lib/systemd/system/cellforge.service 2>&1) || fail "systemd-analyze verify:"$'\n'"$verify"
[ -z "$verify" ] || fail "systemd-analyze verify says:"$'\n'"$verify"
note "systemd-analyze verify: clean"

# The daemon as the unit runs it, by hand: as the user, with the package's config and data.
setpriv --reuid=cellforge --regid=cellforge --init-groups /usr/bin/cellforge serve --config /etc/cellforge/factory.yaml --data /var/lib/cellforge \
  --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
daemon_pid=$!
url=""
for _ in $(seq 1 600); do
  url=$(grep -o 'http://[0-9.:]*' "$work/serve.out" 2>/dev/null | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || fail "the daemon did not serve:"$'\n'"$(cat "$work/serve.log")"
health=$(curl -fsS --max-time 10 "$url/healthz") || fail "GET $url/healthz failed:"$'\n'"$(cat "$work/serve.log")"
grep -q '"status":"ok"' <<<"$health" || fail "GET $url/healthz: $health"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the daemon exited with $? on SIGTERM:"$'\n'"$(cat "$work/serve.log")"
daemon_pid=""
[ -z "$(find /var/lib/cellforge ! -user cellforge)" ] || fail "files in /var/lib/cellforge not owned by cellforge"
[ -n "$(ls -A /var/lib/cellforge)" ] || fail "the daemon wrote nothing in /var/lib/cellforge"
note "the daemon served $url/healthz as user cellforge: $health"

# An upgrade: the same package one version on.
up="$work/up"
dpkg-deb -R "$deb" "$up"
sed -i "s/^Version: .*/Version: $version+1/" "$up/DEBIAN/control"
dpkg-deb --root-owner-group --build "$up" "$work/cellforge_up.deb" >/dev/null
dpkg -i "$work/cellforge_up.deb" >"$work/dpkg.log" 2>&1 || fail "dpkg -i (upgrade):"$'\n'"$(cat "$work/dpkg.log")"
[ "$(dpkg-query -W -f='${Version}' cellforge)" = "$version+1" ] || fail "the upgrade did not install $version+1"
[ "$(getent passwd cellforge | cut -d: -f3)" = "$uid" ] || fail "the upgrade changed the user's uid"
[ -n "$(ls -A /var/lib/cellforge)" ] || fail "the upgrade lost the data"
[ "$(stat -c '%U:%G %a' /etc/cellforge/factory.yaml)" = "root:cellforge 640" ] || fail "after the upgrade /etc/cellforge/factory.yaml is $(stat -c '%U:%G %a' /etc/cellforge/factory.yaml)"
note "dpkg -i (upgrade to $version+1): user, config and data kept"

dpkg -r cellforge >"$work/dpkg.log" 2>&1 || fail "dpkg -r:"$'\n'"$(cat "$work/dpkg.log")"
[ "$(dpkg-query -W -f='${db:Status-Status}' cellforge)" = config-files ] || fail "after dpkg -r the package is not in config-files"
for gone in /usr/bin/cellforge /lib/systemd/system/cellforge.service /usr/share/doc/cellforge; do
  [ ! -e "$gone" ] || fail "dpkg -r left $gone"
done
[ -f /etc/cellforge/factory.yaml ] && [ -n "$(ls -A /var/lib/cellforge)" ] || fail "dpkg -r removed the config or the data"
getent passwd cellforge >/dev/null || fail "dpkg -r removed the user (the data it owns is kept)"
note "dpkg -r: program and unit gone, config, data and user kept"

dpkg --purge cellforge >"$work/dpkg.log" 2>&1 || fail "dpkg --purge:"$'\n'"$(cat "$work/dpkg.log")"
installed_by_us=0
dpkg-query -W cellforge >/dev/null 2>&1 && fail "dpkg --purge left the package known to dpkg"
for gone in /etc/cellforge /var/lib/cellforge; do
  [ ! -e "$gone" ] || fail "dpkg --purge left $gone"
done
getent passwd cellforge >/dev/null && fail "dpkg --purge left the user cellforge"
getent group cellforge >/dev/null && fail "dpkg --purge left the group cellforge"
left=$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
  -name '*cellforge*' 2>/dev/null || true)
[ -z "$left" ] || fail "dpkg --purge left systemd state:"$'\n'"$left"
note "dpkg --purge: nothing left"
note "ok"
