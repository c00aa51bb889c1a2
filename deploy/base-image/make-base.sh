#!/usr/bin/env bash
# Makes a local stand-in for the official Node 24 slim image, for machines that reach Debian's
# mirror and the npm registry but no container registry:
#   Debian (debootstrap --variant=minbase, no docs, no apt lists) + Node 24 + npm in /usr/local,
# imported with `podman import` as localhost/plotbox-base:<suite>-node<version>-npm<version>.
# Build the image on it with: podman build --build-arg BASE_IMAGE=<printed reference> ...
#
# Usage (root): deploy/base-image/make-base.sh [--force]
#   --force   rebuild even if the image already exists (otherwise an existing one is reused)
# Environment (all optional):
#   PLOTBOX_BASE_NODE         Node 24 binary to install (default: the repo's node devDependency,
#                             node_modules/node/bin/node, i.e. the version package-lock.json pins)
#   PLOTBOX_BASE_NPM_VERSION  npm to install, from the npm registry (default below)
#   PLOTBOX_BASE_SUITE        Debian suite (default bookworm, as node:24-bookworm-slim)
#   PLOTBOX_BASE_MIRROR       Debian mirror (default: the first one in /etc/apt/sources.list*)
# Prints the image reference as its last line of output.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "make-base: unknown argument $arg" >&2; exit 64 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "make-base: run as root (debootstrap and podman import)" >&2; exit 77; }
for tool in debootstrap podman npm tar; do
  command -v "$tool" >/dev/null || { echo "make-base: $tool is not installed" >&2; exit 69; }
done

node_bin="${PLOTBOX_BASE_NODE:-$repo/node_modules/node/bin/node}"
[ -x "$node_bin" ] || { echo "make-base: no Node binary at $node_bin (run npm ci first, or set PLOTBOX_BASE_NODE)" >&2; exit 69; }
node_version="$("$node_bin" -p 'process.versions.node')"
case "$node_version" in 24.*) ;; *) echo "make-base: $node_bin is Node $node_version, not 24" >&2; exit 65 ;; esac
npm_version="${PLOTBOX_BASE_NPM_VERSION:-11.19.1}"
suite="${PLOTBOX_BASE_SUITE:-bookworm}"
mirror="${PLOTBOX_BASE_MIRROR:-}"
if [ -z "$mirror" ]; then
  # deb822 (URIs: ...) or one-line (deb URI suite ...) sources; the first http(s) Debian mirror wins.
  mirror="$({ cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } \
    | sed -n -e 's/^URIs:[[:space:]]*\(https\{0,1\}:[^[:space:]]*\/debian\/\{0,1\}\)[[:space:]]*$/\1/p' \
             -e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\(https\{0,1\}:[^[:space:]]*\/debian\/\{0,1\}\)[[:space:]].*/\2/p' \
    | head -n 1 || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
fi
image="localhost/plotbox-base:${suite}-node${node_version}-npm${npm_version}"

if [ "$force" = 0 ] && podman image exists "$image"; then
  echo "make-base: $image exists (--force rebuilds it)"
  echo "$image"
  exit 0
fi

work="$(mktemp -d /var/tmp/plotbox-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

echo "make-base: debootstrap $suite (minbase) from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  echo "make-base: debootstrap failed" >&2
  exit 1
}

# What Debian's own container images do: no docs, man pages or locales now or from later
# apt-get installs, and apt keeps no package files or lists in layers.
mkdir -p "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/apt/apt.conf.d"
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/usr/share/locale/"* "$root/usr/share/lintian" \
  "$root/var/cache/apt/"* "$root/var/lib/apt/lists/"* "$root/var/log/"* "$root/var/cache/debconf/"*-old \
  "$root/tmp/"* "$root/root/".??* 2>/dev/null || true
# A fresh container gets its own hostname, resolver and machine id.
: >"$root/etc/hostname"
: >"$root/etc/resolv.conf"
: >"$root/etc/machine-id"

echo "make-base: Node $node_version and npm $npm_version into /usr/local"
install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
(cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" /usr/local/bin/node -e 'if (!process.versions.node.startsWith("24.")) process.exit(1)'
chroot "$root" /usr/local/bin/npm --version >/dev/null

echo "make-base: podman import $image"
tar --numeric-owner --xattrs -C "$root" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'CMD ["node"]' \
  --change "LABEL org.opencontainers.image.description=\"Debian $suite minbase + Node $node_version + npm $npm_version (plotbox local base)\"" \
  --message "plotbox local base: Debian $suite minbase, Node $node_version, npm $npm_version" \
  --quiet - "$image" >/dev/null
echo "$image"
