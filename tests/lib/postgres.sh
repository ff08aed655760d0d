#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the hub's tests, on a loopback
# port, and exports ONSITE_TEST_PG (a URL to its `postgres` database; each
# test creates and drops its own database). Sourced by tests/run.sh; the
# caller stops it with `pg_stop`. Installs Debian's postgresql once.

pg_bin=""
pg_find() { pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1); }
pg_find
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "installing postgresql from Debian's packages (once)"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    pg_find
fi
[ -x "$pg_bin/initdb" ] || { echo "error: PostgreSQL is not available" >&2; return 1; }

pg_dir=$(mktemp -d -t onsite-pg.XXXXXX)
# PostgreSQL refuses to run as root: run the cluster as the postgres user.
as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home "$pg_dir" postgres
    chown postgres "$pg_dir"
    as_pg() { runuser -u postgres -- "$@"; }
fi
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 \
    || { cat "$pg_dir/initdb.log" >&2; return 1; }
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=300 -c fsync=off -c shared_buffers=128MB" \
    start >/dev/null || { cat "$pg_dir/server.log" >&2; return 1; }
export ONSITE_TEST_PG="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (throwaway cluster)"

pg_stop() {
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1
    rm -rf "$pg_dir"
}
