#!/usr/bin/env bash
# Starts a PostgreSQL server on 127.0.0.1:5432 for the zeropool-postgres tests
# and example, unless one already answers there with the test role.
#
# Idempotent and quick when the server already runs. Otherwise, as root:
# installs Debian's `postgresql` package if missing, creates a cluster on port
# 5432 if there is none, lets the role `zeropool` in on loopback without a
# password (trust), starts the cluster, and creates the role `zeropool` and the
# database `zeropool`. Prints the URL to put in ZEROPOOL_PG.
#
# Usage: bash scripts/postgres.sh
set -euo pipefail

HOST=127.0.0.1
PORT=5432
ROLE=zeropool
DATABASE=zeropool
URL="postgres://$ROLE@$HOST:$PORT/$DATABASE"

# Only the URL goes to stdout, which the caller captures into ZEROPOOL_PG:
# every command below that may print sends its stdout to stderr.
say() { printf 'postgres.sh: %s\n' "$*" >&2; }

# The test role can log in and run a query: nothing to do.
answers_as_role() {
    command -v psql >/dev/null 2>&1 &&
        PGCONNECT_TIMEOUT=3 psql "$URL" -XqAtc 'SELECT 1' >/dev/null 2>&1
}

if answers_as_role; then
    say "server already running at $HOST:$PORT"
    echo "$URL"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    say "no server answers as $URL, and setting one up needs root"
    exit 1
fi

# 1. The server package.
if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    say "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >/dev/null
fi
VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)

# 2. A cluster on our port: the one already there, or a new one.
read -r CLUSTER_VERSION CLUSTER < <(pg_lsclusters -h | awk -v port="$PORT" '$3 == port { print $1, $2; exit }') || true
if [ -z "${CLUSTER:-}" ]; then
    if pg_lsclusters -h | awk '{ print $1, $2 }' | grep -qx "$VERSION main"; then
        CLUSTER=zeropool
    else
        CLUSTER=main
    fi
    CLUSTER_VERSION=$VERSION
    say "creating cluster $CLUSTER_VERSION/$CLUSTER on port $PORT"
    pg_createcluster --port "$PORT" "$CLUSTER_VERSION" "$CLUSTER" >/dev/null
fi

# 3. Trust for the test role on loopback, above every other rule.
HBA=/etc/postgresql/$CLUSTER_VERSION/$CLUSTER/pg_hba.conf
MARK="# zeropool-postgres tests: trust the test role on loopback"
if ! grep -qF "$MARK" "$HBA"; then
    say "allowing role $ROLE on loopback without a password in $HBA"
    {
        echo "$MARK"
        echo "host    all    $ROLE    127.0.0.1/32    trust"
        echo "host    all    $ROLE    ::1/128         trust"
        cat "$HBA"
    } >"$HBA.zeropool"
    chown --reference="$HBA" "$HBA.zeropool"
    chmod --reference="$HBA" "$HBA.zeropool"
    mv "$HBA.zeropool" "$HBA"
    RELOAD=1
fi

# 4. The server itself.
if pg_lsclusters -h | awk -v v="$CLUSTER_VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4 }' | grep -q online; then
    if [ -n "${RELOAD:-}" ]; then
        pg_ctlcluster "$CLUSTER_VERSION" "$CLUSTER" reload >&2
    fi
else
    say "starting cluster $CLUSTER_VERSION/$CLUSTER"
    # A server killed a moment ago may still hold its socket lock: try again.
    for attempt in 1 2 3; do
        if pg_ctlcluster "$CLUSTER_VERSION" "$CLUSTER" start >&2; then
            break
        fi
        if [ "$attempt" = 3 ]; then
            say "could not start cluster $CLUSTER_VERSION/$CLUSTER; see /var/log/postgresql/"
            exit 1
        fi
        sleep 2
    done
fi
for _ in $(seq 1 60); do
    if pg_isready -q -h "$HOST" -p "$PORT"; then
        break
    fi
    sleep 0.5
done
if ! pg_isready -q -h "$HOST" -p "$PORT"; then
    say "the server did not answer at $HOST:$PORT within 30 s; see /var/log/postgresql/"
    exit 1
fi

# 5. The test role and database, as the postgres superuser over the local socket.
as_postgres() { runuser -u postgres -- "$@"; }
superuser_sql() { as_postgres psql -p "$PORT" -XqAtc "$1"; }
if [ "$(superuser_sql "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
    say "creating role $ROLE"
    superuser_sql "CREATE ROLE $ROLE LOGIN" >&2
fi
if [ "$(superuser_sql "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
    say "creating database $DATABASE"
    as_postgres createdb -p "$PORT" -O "$ROLE" "$DATABASE" >&2
fi

if ! answers_as_role; then
    say "the server runs, but $URL does not let the test role in"
    exit 1
fi
say "server ready at $HOST:$PORT"
echo "$URL"
