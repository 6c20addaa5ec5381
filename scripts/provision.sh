# shellcheck shell=bash
# Source this file: it makes a fresh Debian machine ready to run users-api and
# its tests, and is quick when everything is already there.
#   - Node.js 24 on PATH: the node already there if it is 24 or newer, else
#     Node 24 from the npm registry (fetched with Debian's npm if need be)
#   - PostgreSQL and Redis servers installed from Debian packages if missing,
#     and started (on loopback) if nothing answers at POSTGRES_*/REDIS_*
#   - the POSTGRES_USER role, allowed to create the tests' throwaway databases
#   - HAProxy from Debian if missing: tests run the Compose stack's load
#     balancer configuration with it (they start their own; the package's
#     service is left stopped)
# Settings come from the same variables as the service, with its defaults.

: "${POSTGRES_HOST:=localhost}" "${POSTGRES_PORT:=5432}"
: "${POSTGRES_USER:=user}" "${POSTGRES_PASSWORD:=password}"
: "${REDIS_HOST:=localhost}" "${REDIS_PORT:=6379}"
export POSTGRES_HOST POSTGRES_PORT POSTGRES_USER POSTGRES_PASSWORD REDIS_HOST REDIS_PORT

PROVISION_NODE_VERSION=24.21.0
PROVISION_STATE_DIR=/var/tmp/users-api
[ "$(id -u)" -eq 0 ] || PROVISION_STATE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/users-api"

provision_log() { printf '[provision] %s\n' "$*" >&2; }

provision_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else provision_log "need root to run: $*"; return 1
  fi
}

provision_apt_install() {
  provision_log "installing Debian packages: $*"
  if [ -z "${PROVISION_APT_UPDATED:-}" ]; then
    provision_as_root apt-get update -qq >/dev/null && PROVISION_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive provision_as_root apt-get install -y -qq "$@" >/dev/null
}

provision_is_local() { case "$1" in localhost|127.*|::1) return 0;; *) return 1;; esac; }

provision_node() {
  if command -v node >/dev/null &&
    [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 24 ]; then
    return 0
  fi
  local arch dir
  case "$(uname -m)" in x86_64) arch=x64;; aarch64) arch=arm64;; *) arch=$(uname -m);; esac
  dir="${XDG_CACHE_HOME:-$HOME/.cache}/node24"
  if [ ! -x "$dir/node_modules/node-linux-$arch/bin/node" ]; then
    command -v npm >/dev/null || provision_apt_install npm || return 1
    provision_log "installing Node $PROVISION_NODE_VERSION into $dir"
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund \
      "node-linux-$arch@$PROVISION_NODE_VERSION" >/dev/null || return 1
  fi
  export PATH="$dir/node_modules/node-linux-$arch/bin:$PATH"
}

# Debian's server package creates a cluster "main" on port 5432 and starts it,
# at every boot too. Stop it and leave its start to hand, so that the port is
# free for this script's cluster, which has the service's role and settings.
provision_park_package_cluster() {
  local version=$1 start_conf="/etc/postgresql/$1/main/start.conf"
  [ -f "$start_conf" ] || return 0
  provision_log "stopping Debian's cluster $version/main; it now starts only by hand"
  provision_as_root pg_ctlcluster "$version" main stop 2>/dev/null || true
  echo manual | provision_as_root tee "$start_conf" >/dev/null
}

provision_postgres() {
  local bin
  if pg_isready -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" 2>/dev/null; then return 0; fi
  if ! provision_is_local "$POSTGRES_HOST"; then
    provision_log "PostgreSQL at $POSTGRES_HOST:$POSTGRES_PORT does not answer; start it"; return 1
  fi
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ]; then
    provision_apt_install postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    provision_park_package_cluster "$(basename "$(dirname "$bin")")"
  fi
  local data="$PROVISION_STATE_DIR/pgdata" run=() owner
  owner=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root.
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PROVISION_STATE_DIR" postgres
    owner=postgres run=(runuser -u postgres --)
  fi
  mkdir -p "$PROVISION_STATE_DIR" && chown "$owner" "$PROVISION_STATE_DIR"
  if [ ! -s "$data/PG_VERSION" ]; then
    provision_log "creating a PostgreSQL cluster in $data"
    "${run[@]}" "$bin/initdb" -D "$data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  provision_log "starting PostgreSQL on port $POSTGRES_PORT"
  "${run[@]}" "$bin/pg_ctl" -D "$data" -l "$PROVISION_STATE_DIR/postgres.log" -w -t 30 \
    -o "-p $POSTGRES_PORT -k $PROVISION_STATE_DIR -c listen_addresses=localhost -c max_connections=300 -c fsync=off" \
    start >/dev/null
  # Create the service's role through the cluster's local socket (trust auth).
  "${run[@]}" "$bin/psql" -q -h "$PROVISION_STATE_DIR" -p "$POSTGRES_PORT" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 -v name="$POSTGRES_USER" -v password="$POSTGRES_PASSWORD" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'name', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', 'users_db', :'name')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'users_db') \gexec
SQL
}

provision_redis() {
  if { exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT"; } 2>/dev/null; then exec 3>&-; return 0; fi
  if ! provision_is_local "$REDIS_HOST"; then
    provision_log "Redis at $REDIS_HOST:$REDIS_PORT does not answer; start it"; return 1
  fi
  command -v redis-server >/dev/null || provision_apt_install redis-server
  mkdir -p "$PROVISION_STATE_DIR"
  provision_log "starting Redis on port $REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --logfile "$PROVISION_STATE_DIR/redis.log"
  local i
  for i in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  provision_log "Redis did not start; see $PROVISION_STATE_DIR/redis.log"; return 1
}

provision_haproxy() {
  if command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ]; then return 0; fi
  provision_apt_install haproxy || return 1
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    provision_log "stopping Debian's haproxy service: the tests start their own"
    provision_as_root systemctl disable --now haproxy >/dev/null 2>&1 || true
  fi
}

provision_chromium() {
  command -v chromium >/dev/null || provision_apt_install chromium
}

provision_node && provision_postgres && provision_redis && provision_haproxy
