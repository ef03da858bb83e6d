#!/usr/bin/env bash
# Make a Docker daemon available for `make test`'s image check (issue 25): install docker.io and
# debootstrap from Debian when absent (root only), start `dockerd --bridge=none --iptables=false` (host
# networking only: no bridge, no private-range addresses) when none answers, wait for it.
# Exit 0 when a daemon answers; 3 when none can run here (not root, no apt-get, or the kernel refuses
# it), with the reason on stderr: the caller reports the image as not checked.
set -uo pipefail
log=${DOCKERD_LOG:-/tmp/finsignal-dockerd.log}
if ! command -v docker >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "docker/debootstrap missing and cannot be installed (not root or no apt-get)" >&2
        exit 3
    fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        docker.io debootstrap >/dev/null || { echo "apt-get install docker.io debootstrap failed" >&2; exit 3; }
fi
docker info >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != "0" ]; then
    echo "no Docker daemon answers and only root may start one" >&2
    exit 3
fi
nohup dockerd --bridge=none --iptables=false >"$log" 2>&1 &
for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 1
done
echo "dockerd did not start within 60 s: $(tail -n 3 "$log" | tr '\n' ' ')" >&2
exit 3
