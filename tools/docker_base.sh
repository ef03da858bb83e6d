#!/usr/bin/env bash
# A local stand-in for python:3.12-slim-bookworm, for machines that reach Debian's mirror but no image
# registry: Debian bookworm from debootstrap (minbase) plus the CPython the project's virtualenv was made
# from, copied to /usr/local as the official image has it, imported with `docker import`. The host's CA
# store goes in too (PIP_CERT points at it), so that pip in `docker build --network host` reaches PyPI
# wherever the host does.
# Usage: tools/docker_base.sh TAG [PYTHON]     (needs root, debootstrap and a running docker daemon)
set -euo pipefail
tag=${1:?usage: tools/docker_base.sh TAG [PYTHON]}
python=${2:-.venv/bin/python}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
prefix=$("$python" -c 'import sys; print(sys.base_prefix)')
version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
root=$(mktemp -d /tmp/finsignal-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT

# the shared libraries CPython's own modules link against (ssl, sqlite3, ctypes, bz2, lzma, curses ...)
libs=ca-certificates,tzdata,libssl3,libsqlite3-0,libffi8,zlib1g,libbz2-1.0,liblzma5,libreadline8,libncursesw6,libgdbm6,libuuid1,libexpat1
debootstrap --variant=minbase --include="$libs" bookworm "$root" "$mirror" >/dev/null
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
# trust what this host trusts (a TLS-inspecting proxy's CA, say), and let pip use that store, not its own
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
fi

# CPython: the interpreter and standard library only (not the packages installed into it)
tar -C "$prefix" -cf - \
    --exclude="lib/python$version/site-packages/*" --exclude="lib/python$version/test" \
    --exclude='__pycache__' --exclude='*.a' bin lib include \
    | tar -C "$root/usr/local" -xf -
for name in python python3; do ln -sf "python$version" "$root/usr/local/bin/$name"; done
chroot "$root" /sbin/ldconfig
chroot "$root" /usr/local/bin/python -c 'import ssl, sqlite3, ctypes, bz2, lzma, zlib, ensurepip, venv'

tar -C "$root" -cf - . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' - "$tag" >/dev/null
echo "base image $tag: Debian bookworm + Python $version"
