#!/usr/bin/env bash
# Builds the Debian packages of the daemon: scripts/deb.sh [-o DIR] [ARCH...] (ARCH: amd64, arm64,
# armhf; all three when none is named). Each package is DIR/cellforge_VERSION_ARCH.deb (DIR:
# out/deb), made with dpkg-deb from packaging/debian: the binary in /usr/bin, the systemd unit,
# /etc/cellforge/factory.yaml (the demo factory, a conffile), the demo config as an example,
# the copyright file, the changelog and the maintainer scripts. VERSION comes from git describe.
# It builds every architecture it can and fails at the end naming those it could not.
set -euo pipefail
cd "$(dirname "$0")/.."

out=out/deb
if [ "${1:-}" = "-o" ]; then
  out=$2
  shift 2
fi
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64 armhf)
maintainer=${DEB_MAINTAINER:-CellForge contributors <cellforge@users.noreply.github.com>}

command -v dpkg-deb >/dev/null || { echo "deb: dpkg-deb is missing (apt-get install dpkg)" >&2; exit 1; }

# debian_version turns git describe into a Debian version: v1.2.0-5-gabc1234 gives
# 1.2.0+5.gabc1234; without a tag, 0.0~gitN.HASH (N commits), which sorts below any release.
# A dirty tree adds +dirty. A native package's version has no '-'.
debian_version() {
  local desc dirty=""
  desc=$(git describe --tags --always --dirty 2>/dev/null) || { echo "deb: not a git checkout" >&2; return 1; }
  case "$desc" in *-dirty) dirty="+dirty"; desc=${desc%-dirty} ;; esac
  case "$desc" in
    v[0-9]*|[0-9]*.*)
      desc=${desc#v}
      echo "$(sed -E 's/-([0-9]+)-g([0-9a-f]+)$/+\1.g\2/; s/-/~/g' <<<"$desc")$dirty" ;;
    *) echo "0.0~git$(git rev-list --count HEAD).$desc$dirty" ;;
  esac
}

version=$(debian_version)
describe=$(git describe --tags --always --dirty)
epoch=$(git log -1 --format=%ct)
mkdir -p "$out"
failed=()

for arch in "${arches[@]}"; do
  case "$arch" in
    # A position-independent executable where Go links one itself (amd64, arm64): the address
    # space is randomised, and the binary is no longer a static one to lintian.
    amd64) goarch=amd64 goarm="" mode=pie ;;
    arm64) goarch=arm64 goarm="" mode=pie ;;
    armhf) goarch=arm goarm=7 mode=exe ;;
    *) echo "deb: unknown architecture $arch (want amd64, arm64 or armhf)" >&2; exit 2 ;;
  esac
  stage=$(mktemp -d)
  chmod 0755 "$stage"
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/cellforge" \
    "$stage/usr/share/doc/cellforge/examples" "$stage/usr/share/man/man1"
  echo "deb: building cellforge $version for $arch (GOARCH=$goarch${goarm:+ GOARM=$goarm})"
  if ! CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=$goarm go build -trimpath -buildvcs=false -buildmode=$mode \
      -ldflags "-s -w -X main.version=$describe" -o "$stage/usr/bin/cellforge" ./cmd/cellforge 2>"$stage/build.log"; then
    echo "deb: $arch: the daemon does not build for GOARCH=$goarch${goarm:+ GOARM=$goarm}; no package made:" >&2
    sed 's/^/deb:   /' "$stage/build.log" >&2
    failed+=("$arch")
    rm -rf "$stage"
    continue
  fi
  rm -f "$stage/build.log"

  install -m 0644 packaging/debian/cellforge.service "$stage/lib/systemd/system/cellforge.service"
  install -m 0644 configs/demo.yaml "$stage/etc/cellforge/factory.yaml"
  install -m 0644 configs/demo.yaml "$stage/usr/share/doc/cellforge/examples/demo.yaml"
  install -m 0644 packaging/debian/copyright "$stage/usr/share/doc/cellforge/copyright"
  gzip -9n <packaging/debian/cellforge.1 >"$stage/usr/share/man/man1/cellforge.1.gz"
  gzip -9n <README.md >"$stage/usr/share/doc/cellforge/README.md.gz"
  {
    echo "cellforge ($version) unstable; urgency=medium"
    echo
    echo "  * Built from commit $(git rev-parse --short=12 HEAD)."
    echo
    echo " -- $maintainer  $(date -u -R -d "@$epoch")"
  } | gzip -9n >"$stage/usr/share/doc/cellforge/changelog.gz"
  for s in postinst prerm postrm; do
    install -m 0755 "packaging/debian/$s" "$stage/DEBIAN/$s"
  done
  echo /etc/cellforge/factory.yaml >"$stage/DEBIAN/conffiles"
  # dpkg --verify's sums of every file but the conffiles (dpkg keeps theirs itself).
  (cd "$stage" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
  chmod 0644 "$stage/DEBIAN/md5sums" "$stage/DEBIAN/conffiles"
  cat >"$stage/DEBIAN/control" <<CONTROL
Package: cellforge
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: adduser, init-system-helpers (>= 1.52)
Section: net
Priority: optional
Homepage: https://github.com/cellforge/cellforge
Description: workcell controller and shop-floor MES for micro-factories
 CellForge drives the cells of a small factory (Modbus TCP and RS-485
 machines, label and ticket printers), keeps its order book (SQLite or
 PostgreSQL), plans the work, and serves an HTTP API and a web app for
 planners, operators and customers. It publishes telemetry over MQTT.
 .
 This package runs the daemon under systemd as the user cellforge, with
 its factory in /etc/cellforge/factory.yaml and its data in
 /var/lib/cellforge.
CONTROL
  # Reproducible: every file dated at the commit.
  find "$stage" -exec touch -h -d "@$epoch" {} +
  deb="$out/cellforge_${version}_${arch}.deb"
  dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
  rm -rf "$stage"
  trap - EXIT
  echo "deb: $deb"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "deb: no package for ${failed[*]}: see the build errors above" >&2
  exit 1
fi
