#!/bin/sh
# Install the Debian packages racrt builds and tests with, if any is missing.
# Uses sudo when not root.  Safe to run again: does nothing when all are there.
# Extra package names as arguments: `make bench` adds redis-server, the lock
# benchmark's baseline.
set -e
# clang and its libFuzzer runtime (libclang_rt.fuzzer, in libclang-rt-14-dev on
# Debian 12) build the fuzz harnesses that `make test` runs (tests/fuzz/).
PKGS="build-essential pkg-config libzmq3-dev libjemalloc-dev libiniparser-dev
libcmocka-dev libsqlite3-dev libedit-dev libblkid-dev e2fsprogs iproute2 procps python3
fuse3 libfuse3-dev clang libclang-rt-14-dev $*"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
