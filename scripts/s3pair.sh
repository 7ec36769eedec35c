#!/usr/bin/env bash
# Starts (or stops) two local S3 servers (versitygw, posix backend) with
# different random keys, standing for the two sides of a migration.
# `scripts/s3pair.sh start DIR` writes DIR/env with SRC_/DST_ endpoints and
# keys (sourced by demo and bench); `scripts/s3pair.sh stop DIR` stops them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: s3pair.sh start|stop DIR}
dir=${2:?usage: s3pair.sh start|stop DIR}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

case $cmd in
start)
  "$ROOT/scripts/tools.sh" versitygw
  mkdir -p "$dir"
  : >"$dir/env"
  for side in SRC DST; do
    port=$(free_port)
    key="AK$(rand_hex 8 | tr a-f A-F)"
    secret=$(rand_hex 20)
    root="$dir/${side,,}-root"
    mkdir -p "$root"
    ROOT_ACCESS_KEY_ID=$key ROOT_SECRET_ACCESS_KEY=$secret \
      nohup "$ROOT/.tools/bin/versitygw" --port "127.0.0.1:$port" --region us-east-1 --quiet --keep-alive \
      posix "$root" >"$dir/${side,,}.log" 2>&1 &
    echo $! >"$dir/${side,,}.pid"
    {
      echo "${side}_ENDPOINT=http://127.0.0.1:$port"
      echo "${side}_ACCESS_KEY_ID=$key"
      echo "${side}_SECRET_ACCESS_KEY=$secret"
    } >>"$dir/env"
    for _ in $(seq 100); do
      (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "versitygw ($side) did not start; see $dir/${side,,}.log" >&2; exit 1; }
  done
  ;;
stop)
  for side in src dst; do
    [ -f "$dir/$side.pid" ] && kill "$(cat "$dir/$side.pid")" 2>/dev/null || true
    rm -f "$dir/$side.pid"
  done
  ;;
*) echo "usage: s3pair.sh start|stop DIR" >&2; exit 2 ;;
esac
