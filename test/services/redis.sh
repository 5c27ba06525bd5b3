#!/usr/bin/env bash
# Throwaway Redis for the integration tests: Debian's redis-server on 127.0.0.1:6379,
# daemonized, with no persistence at all.
#
# Usage: test/services/redis.sh start|stop|status
#   start and stop are idempotent; status exits 0 when Redis answers PING, 3 otherwise.
#
# Tests read REDIS_URL (default redis://127.0.0.1:6379); this script always serves
# 127.0.0.1:6379. State (pid, log, working dir) lives in <repo>/.services/redis.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=$ROOT/.services/redis
PID_FILE=$STATE/redis.pid
LOG_FILE=$STATE/redis.log

HOST=127.0.0.1
PORT=6379
START_TIMEOUT=${REDIS_START_TIMEOUT:-20}
STOP_TIMEOUT=${REDIS_STOP_TIMEOUT:-10}

log() { printf 'redis: %s\n' "$*"; }
die() { printf 'redis: error: %s\n' "$*" >&2; exit 1; }

# PING through redis-cli, or by hand over /dev/tcp where redis-cli is not installed.
ping_ok() {
  if command -v redis-cli >/dev/null; then
    [[ $(timeout 3 redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null) == PONG ]]
  else
    # shellcheck disable=SC2016  # expanded by the inner shell
    timeout 3 bash -c '
      exec 3<>"/dev/tcp/$0/$1" || exit 1
      printf "PING\r\n" >&3
      IFS= read -r reply <&3
      [[ $reply == "+PONG"* ]]
    ' "$HOST" "$PORT" 2>/dev/null
  fi
}

port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT" 2>/dev/null
}

# Pid from the pid file, printed only if it is still a redis-server (pids get reused).
running_pid() {
  local pid
  [[ -s $PID_FILE ]] || return 1
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

cmd_start() {
  local pid deadline
  if ping_ok; then
    if pid=$(running_pid); then
      log "already running (pid $pid) on $HOST:$PORT"
    else
      log "a Redis is already answering on $HOST:$PORT (not started by this script); leaving it alone"
    fi
    return 0
  fi
  if port_open; then
    die "port $HOST:$PORT is taken by something that does not answer PING"
  fi
  command -v redis-server >/dev/null \
    || die "redis-server not found; install it (Debian: apt-get install redis-server)"

  mkdir -p "$STATE"
  rm -f "$PID_FILE"
  # Tests only need a scratch store: no RDB snapshots, no AOF.
  redis-server \
    --bind "$HOST" --port "$PORT" --protected-mode yes \
    --daemonize yes --pidfile "$PID_FILE" --logfile "$LOG_FILE" --dir "$STATE" \
    --save '' --appendonly no \
    || die "redis-server failed to start (log: $LOG_FILE)"

  deadline=$((SECONDS + START_TIMEOUT))
  until ping_ok; do
    if ((SECONDS >= deadline)); then
      [[ -s $LOG_FILE ]] && tail -n 20 "$LOG_FILE" >&2
      die "no PONG from $HOST:$PORT within ${START_TIMEOUT}s"
    fi
    sleep 0.2
  done
  log "ready on $HOST:$PORT (pid $(cat "$PID_FILE" 2>/dev/null || echo '?'))"
}

cmd_stop() {
  local pid i
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE"
    if ping_ok; then
      log "not started by this script, but a Redis answers on $HOST:$PORT; leaving it alone"
    else
      log "not running"
    fi
    return 0
  fi
  log "stopping pid $pid"
  if command -v redis-cli >/dev/null; then
    timeout 5 redis-cli -h "$HOST" -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    log "process running (pid $pid)"
  else
    log "no Redis started by this script"
  fi
  if ping_ok; then
    log "answering PING on $HOST:$PORT"
  else
    log "nothing answers on $HOST:$PORT"
    return 3
  fi
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 64
    ;;
esac
