#!/usr/bin/env bash
# Install a PostgreSQL server (Debian's `postgresql` package) for the storage tests.
# Idempotent and quick when a server is already there: the tests start their own
# throwaway server from /usr/lib/postgresql/*/bin, so nothing is configured or started here.
set -euo pipefail

have_server() {
    command -v pg_ctl >/dev/null 2>&1 && return 0
    compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

if have_server; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-postgres: no apt-get here; install a PostgreSQL server (pg_ctl, initdb) by hand" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-postgres: run as root (or install sudo) to install postgresql" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600)

echo "install-postgres: installing Debian's postgresql server" >&2
# Another apt-get may hold the lock (e.g. a browser install); the timeout waits for it.
if ! "${APT[@]}" install -y --no-install-recommends postgresql; then
    "${APT[@]}" update
    "${APT[@]}" install -y --no-install-recommends postgresql
fi

if ! have_server; then
    echo "install-postgres: postgresql installed but no pg_ctl found" >&2
    exit 1
fi
