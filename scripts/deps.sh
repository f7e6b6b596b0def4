#!/usr/bin/env bash
# Installs the programs that tests and benchmarks use as real peers, when they are missing.
# Usage: scripts/deps.sh NAME...   (known: wrk sqlite3 bc jq mbpoll socat libmodbus-dev
#                                    mosquitto mosquitto-clients influxd nodejs npm chromium
#                                    zbarimg rsvg-convert postgresql
#                                    qemu-arm qemu-i386 telegraf)
set -euo pipefail

# Test binaries that run at the same time may each ask for the same program: one installs it,
# the others wait and then find it (apt-get would fail on the dpkg lock instead of waiting).
if command -v flock >/dev/null; then
  exec 9>"${TMPDIR:-/tmp}/cellforge-deps.lock"
  flock 9
fi

apt_updated=0
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: $1 is missing and installing it needs root (apt-get install $1)" >&2
    exit 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

# have NAME: NAME is a program on PATH or in /usr/sbin, which is not on a non-root user's PATH
# although Debian puts mosquitto there.
have() {
  command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ]
}

# The directory go install writes to: GOBIN when set, else the first GOPATH entry's bin.
go_bin_dir() {
  local bin
  bin="$(go env GOBIN)"
  if [ -z "$bin" ]; then
    bin="$(go env GOPATH)"
    bin="${bin%%:*}/bin"
  fi
  echo "$bin"
}

# qemu_i386: prints the path of a qemu-i386 that runs Go's 386 programs, fetching one first when
# needed (see qemu-i386 below).
qemu_i386() {
  local sys major dir codename
  if sys=$(command -v qemu-i386); then
    major=$("$sys" --version | sed -n 's/^qemu-i386 version \([0-9]*\).*/\1/p')
    if [ "${major:-0}" -ge 8 ]; then
      echo "$sys"
      return
    fi
  fi
  dir=/var/cache/cellforge/qemu
  if [ ! -x "$dir/root/usr/bin/qemu-i386" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "deps: fetching qemu-user into $dir needs root" >&2; exit 1; }
    # shellcheck disable=SC1091 # the machine's own
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || { echo "deps: no VERSION_CODENAME in /etc/os-release to find its backports by" >&2; exit 1; }
    echo "deps: fetching qemu-user from $codename-backports into $dir" >&2
    rm -rf "$dir" && mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts" "$dir/root"
    # Debian's backports: a distribution of another name has no such suite there, and apt-get
    # update says so.
    echo "deb http://deb.debian.org/debian $codename-backports main" > "$dir/sources.list"
    local apt=(apt-get -qq -o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=$dir/parts"
      -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o APT::Sandbox::User=root)
    "${apt[@]}" update >&2
    (cd "$dir" && "${apt[@]}" download -t "$codename-backports" qemu-user >&2)
    dpkg-deb -x "$dir"/qemu-user_*.deb "$dir/root"
  fi
  "$dir/root/usr/bin/qemu-i386" --version >/dev/null || { echo "deps: $dir/root/usr/bin/qemu-i386 does not run" >&2; exit 1; }
  echo "$dir/root/usr/bin/qemu-i386"
}

for dep in "$@"; do
  case "$dep" in
    wrk|sqlite3|bc|jq|mbpoll|socat)
      command -v "$dep" >/dev/null || { echo "deps: installing $dep"; apt_install "$dep"; } ;;
    libmodbus-dev)
      # A library, not a program: present when pkg-config knows it and a C compiler can use it.
      for tool in cc pkg-config; do
        command -v "$tool" >/dev/null || { echo "deps: installing $tool"; apt_install "$([ "$tool" = cc ] && echo gcc || echo pkg-config)"; }
      done
      pkg-config --exists libmodbus || { echo "deps: installing $dep"; apt_install "$dep"; }
      pkg-config --exists libmodbus || { echo "deps: $dep installed but pkg-config does not find libmodbus" >&2; exit 1; } ;;
    postgresql)
      # Debian's server: initdb and postgres under /usr/lib/postgresql/N/bin. Tests start their
      # own server in a temporary directory (store/postgres/pgtest), never the system one.
      ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "deps: installing postgresql"; apt_install postgresql; }
      ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "deps: postgresql installed but no initdb under /usr/lib/postgresql" >&2; exit 1; } ;;
    mosquitto)
      # Debian's postinst enables a system broker on port 1883 where an init system runs it
      # (in a container policy-rc.d usually denies the start). Tests never use it: they run
      # their own broker on a free loopback port with their own config.
      have mosquitto || { echo "deps: installing mosquitto"; apt_install mosquitto; }
      have mosquitto || { echo "deps: mosquitto installed but not found on PATH or in /usr/sbin" >&2; exit 1; } ;;
    mosquitto-clients)
      # mosquitto_pub and mosquitto_sub; mosquitto_passwd comes with the mosquitto package.
      { have mosquitto_pub && have mosquitto_sub; } || { echo "deps: installing mosquitto-clients"; apt_install mosquitto-clients; } ;;
    influxd)
      # InfluxDB 1.8 is not packaged by Debian; it is built from source through the Go module
      # proxy. -mod=mod keeps a GOFLAGS=-mod=vendor or readonly setting from refusing the build.
      bin="$(go_bin_dir)"
      if ! command -v influxd >/dev/null && [ ! -x "$bin/influxd" ]; then
        echo "deps: building influxd 1.8.10 (about 90 s)"
        GOFLAGS=-mod=mod go install -ldflags "-X main.version=1.8.10" \
          github.com/influxdata/influxdb/cmd/influxd@v1.8.10
        [ -x "$bin/influxd" ] || { echo "deps: go install finished but $bin/influxd is missing" >&2; exit 1; }
        "$bin/influxd" version >/dev/null || { echo "deps: $bin/influxd does not run" >&2; exit 1; }
      fi ;;
    telegraf)
      # Telegraf 1.32.3, the peer of the bridge's and the polling's comparisons in make bench,
      # built through the Go module proxy with only the plugins they use (about 4 minutes):
      # MQTT in with the line protocol parser, Modbus in, InfluxDB v2 and discard out. A
      # telegraf built before with other plugins is rebuilt (it names its plugins in --help).
      bin="$(go_bin_dir)"
      tags="custom,inputs.mqtt_consumer,inputs.modbus,parsers.influx,outputs.influxdb_v2,outputs.discard"
      if [ ! -x "$bin/telegraf" ] || ! "$bin/telegraf" --input-list 2>/dev/null | grep -qx '  modbus'; then
        echo "deps: building telegraf 1.32.3 with $tags (a few minutes)"
        GOFLAGS=-mod=mod GONOSUMDB=github.com/influxdata/tail go install -tags "$tags" \
          github.com/influxdata/telegraf/cmd/telegraf@v1.32.3
        [ -x "$bin/telegraf" ] || { echo "deps: go install finished but $bin/telegraf is missing" >&2; exit 1; }
        "$bin/telegraf" --version >/dev/null || { echo "deps: $bin/telegraf does not run" >&2; exit 1; }
      fi ;;
    nodejs|npm)
      # The program of package nodejs is node. Debian's npm package pulls in nodejs too.
      prog="$([ "$dep" = nodejs ] && echo node || echo npm)"
      command -v "$prog" >/dev/null || { echo "deps: installing $dep"; apt_install "$dep"; }
      command -v "$prog" >/dev/null || { echo "deps: $dep installed but $prog is not on PATH" >&2; exit 1; } ;;
    chromium)
      # Debian's build, driven by playwright-core in the browser tests (api/web/e2e): a test
      # tool's own browser download cannot be fetched here. playwright-core's pinned version is
      # the one whose protocol matches this chromium's major version.
      [ -x /usr/bin/chromium ] || { echo "deps: installing chromium"; apt_install chromium; }
      [ -x /usr/bin/chromium ] || { echo "deps: chromium installed but /usr/bin/chromium is missing" >&2; exit 1; } ;;
    zbarimg)
      # The QR code decoder that reads back what api/web/qrsvg draws, from package zbar-tools.
      command -v zbarimg >/dev/null || { echo "deps: installing zbar-tools"; apt_install zbar-tools; }
      command -v zbarimg >/dev/null || { echo "deps: zbar-tools installed but zbarimg is missing" >&2; exit 1; } ;;
    rsvg-convert)
      # Rasterises an SVG for zbarimg to read, from package librsvg2-bin.
      command -v rsvg-convert >/dev/null || { echo "deps: installing librsvg2-bin"; apt_install librsvg2-bin; }
      command -v rsvg-convert >/dev/null || { echo "deps: librsvg2-bin installed but rsvg-convert is missing" >&2; exit 1; } ;;
    qemu-arm)
      # Runs 32-bit ARM programs (a Raspberry Pi's 32-bit OS) on this machine, registered with
      # the kernel's binfmt_misc so that a test binary that starts itself again (os.Args[0])
      # runs under it too. Debian's qemu-user-binfmt ships the registration; without an init
      # system that loads it, it is written to the kernel here.
      command -v qemu-arm >/dev/null || { echo "deps: installing qemu-user"; apt_install qemu-user; }
      [ -f /usr/lib/binfmt.d/qemu-arm.conf ] || { echo "deps: installing qemu-user-binfmt"; apt_install qemu-user-binfmt; }
      misc=/proc/sys/fs/binfmt_misc
      if [ ! -e "$misc/register" ]; then
        mount -t binfmt_misc binfmt_misc "$misc" || { echo "deps: cannot mount binfmt_misc on $misc (needs root)" >&2; exit 1; }
      fi
      if [ ! -e "$misc/qemu-arm" ]; then
        grep -v '^#' /usr/lib/binfmt.d/qemu-arm.conf > "$misc/register" ||
          { echo "deps: cannot register qemu-arm with binfmt_misc (needs root)" >&2; exit 1; }
      fi
      grep -qx enabled "$misc/qemu-arm" || { echo "deps: binfmt_misc has qemu-arm but it is not enabled" >&2; exit 1; } ;;
    qemu-i386)
      # Runs 32-bit x86 programs (GOARCH=386), which this machine's kernel, built without IA-32
      # emulation, refuses ("exec format error"). Debian 12's qemu-i386 (7.2) crashes Go's 386
      # runtime ("morestack on gsignal", "schedule: holding locks"); 10.0, from
      # bookworm-backports, runs it. One of version 8 or later on PATH is used as it is; else
      # qemu-user is fetched from the backports through an apt configuration of its own and
      # unpacked under /var/cache/cellforge/qemu, leaving the machine's apt sources and
      # packages as they are. Registered with binfmt_misc (flag F: the kernel opens the
      # interpreter here, once), so that go test runs a 386 test binary, and one that starts
      # itself again (os.Args[0]), under it.
      qemu=$(qemu_i386)
      misc=/proc/sys/fs/binfmt_misc
      if [ ! -e "$misc/register" ]; then
        mount -t binfmt_misc binfmt_misc "$misc" || { echo "deps: cannot mount binfmt_misc on $misc (needs root)" >&2; exit 1; }
      fi
      if [ -e "$misc/qemu-i386" ] && ! grep -qx "interpreter $qemu" "$misc/qemu-i386"; then
        echo -1 > "$misc/qemu-i386" || { echo "deps: cannot remove binfmt_misc's older qemu-i386 (needs root)" >&2; exit 1; }
      fi
      if [ ! -e "$misc/qemu-i386" ]; then
        # an ELF file of 32 bits, little-endian, an executable or shared object, for the 386
        printf '%s' ':qemu-i386:M::\x7f\x45\x4c\x46\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$qemu"':F' > "$misc/register" ||
          { echo "deps: cannot register qemu-i386 with binfmt_misc (needs root)" >&2; exit 1; }
      fi
      grep -qx enabled "$misc/qemu-i386" || { echo "deps: binfmt_misc has qemu-i386 but it is not enabled" >&2; exit 1; } ;;
    *)
      echo "deps: unknown dependency $dep" >&2; exit 1 ;;
  esac
done
