#!/usr/bin/env bash
# The Dockerfile's runtime stage, rebuilt without a Docker engine: a Debian
# bookworm minbase root (what debian:bookworm-slim is made from) by
# debootstrap, then the runtime stage's own RUN commands executed in a chroot,
# read from the Dockerfile so that what is tested is what the image runs.
# tests/ops_dockerfile.rs then runs the binary there as the image's user.
#
#   deploy/docker/runtime-rootfs.sh build    build .work/rootfs (needs root and
#                                            Debian's mirror; ~2 min, ~200 MB)
#   deploy/docker/runtime-rootfs.sh env      print ZHAOSHANG_TEST_ROOTFS=...
#   deploy/docker/runtime-rootfs.sh clean    remove it
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROOTFS="$ROOT/.work/rootfs"
# The pristine minbase, kept so that every build replays the RUNs on a fresh copy.
BASE="$ROOT/.work/rootfs-base"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { echo "runtime-rootfs.sh: $*" >&2; }

# The RUN commands of the Dockerfile's last stage, continuation lines joined.
runtime_runs() {
  awk '
    /^[[:space:]]*#/ { next }
    { line = $0 }
    pending != "" { line = pending " " line; pending = "" }
    /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, "", line); pending = line; next }
    { print line }
  ' "$ROOT/Dockerfile" | awk '
    /^FROM[[:space:]]/ { n = 0; delete runs; next }
    /^RUN[[:space:]]/ { sub(/^RUN[[:space:]]+/, ""); runs[n++] = $0 }
    END { for (i = 0; i < n; i++) print runs[i] }
  '
}

build() {
  [[ "$(id -u)" == 0 ]] || { log "needs root (debootstrap, chroot)"; exit 1; }
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  if [[ ! -x "$BASE/usr/bin/apt-get" ]]; then
    rm -rf "$BASE"
    mkdir -p "$BASE"
    log "debootstrap bookworm minbase into $BASE"
    debootstrap --variant=minbase bookworm "$BASE" "$MIRROR" >"$ROOT/.work/rootfs-debootstrap.log" 2>&1 \
      || { tail -20 "$ROOT/.work/rootfs-debootstrap.log" >&2; rm -rf "$BASE"; exit 1; }
  fi
  rm -rf "$ROOTFS"
  cp -a "$BASE" "$ROOTFS"
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  local cmd
  while IFS= read -r cmd; do
    log "chroot RUN: $cmd"
    # The package scripts must not start services in the host.
    chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 /bin/sh -c "$cmd" >/dev/null \
      || { log "RUN failed in the rootfs: $cmd"; exit 1; }
  done < <(runtime_runs)
  # COPY --from=build and COPY of the health check (the test copies the
  # binary it tests over this one).
  install -D -m 0755 "$ROOT/deploy/docker/healthcheck.sh" "$ROOTFS/usr/local/bin/zhaoshang-healthcheck"
  touch "$ROOTFS/.runtime-stage-done"
  log "ready: $ROOTFS"
}

case "${1:-}" in
  build) build ;;
  env) echo "ZHAOSHANG_TEST_ROOTFS=$ROOTFS" ;;
  clean) rm -rf "$ROOTFS" "$BASE" ;;
  runs) runtime_runs ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
