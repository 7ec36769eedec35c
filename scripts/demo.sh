#!/usr/bin/env bash
# make demo: two local S3 servers stand for the two sides; the source gets a
# mixed data set; s3migrate copies it, is killed with -9 mid-way, runs again
# and resumes; then every object is verified by SHA-256.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN="$ROOT/.run/demo"
BIN="$RUN/bin"
rm -rf "$RUN" && mkdir -p "$BIN"
trap '"$ROOT/scripts/s3pair.sh" stop "$RUN"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "building s3migrate"
(cd "$ROOT" && go build -o "$BIN/s3migrate" ./src/cmd/s3migrate && go build -o "$BIN/s3fill" ./src/cmd/s3fill)

step "starting two S3 servers (versitygw) with different keys"
"$ROOT/scripts/s3pair.sh" start "$RUN"
# shellcheck disable=SC1091
. "$RUN/env"
echo "source      $SRC_ENDPOINT"
echo "destination $DST_ENDPOINT"

step "filling the source: empty, tiny, odd keys, 3 objects of 120+ MiB"
S3FILL_ACCESS_KEY_ID=$SRC_ACCESS_KEY_ID S3FILL_SECRET_ACCESS_KEY=$SRC_SECRET_ACCESS_KEY \
  "$BIN/s3fill" fill --endpoint "$SRC_ENDPOINT" --bucket demo-src
S3FILL_ACCESS_KEY_ID=$DST_ACCESS_KEY_ID S3FILL_SECRET_ACCESS_KEY=$DST_SECRET_ACCESS_KEY \
  "$BIN/s3fill" fill --endpoint "$DST_ENDPOINT" --bucket demo-dst --large 0 --small 0 --prefix unrelated/ >/dev/null

export S3MIGRATE_SRC_ACCESS_KEY_ID=$SRC_ACCESS_KEY_ID S3MIGRATE_SRC_SECRET_ACCESS_KEY=$SRC_SECRET_ACCESS_KEY
export S3MIGRATE_DST_ACCESS_KEY_ID=$DST_ACCESS_KEY_ID S3MIGRATE_DST_SECRET_ACCESS_KEY=$DST_SECRET_ACCESS_KEY
copy=("$BIN/s3migrate" copy
  --src-endpoint "$SRC_ENDPOINT" --src-path-style --src-region us-east-1
  --dst-endpoint "$DST_ENDPOINT" --dst-path-style --dst-region us-east-1
  --state "$RUN/state.db" s3://demo-src/ s3://demo-dst/copy/)
progress=(--progress bar)
[ -t 1 ] || progress=(--progress json)

step "copying, with a bandwidth limit so there is time to kill it (kill -9 after 5 s)"
"${copy[@]}" "${progress[@]}" --bandwidth-limit 40MiB &
pid=$!
sleep 5
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
echo
echo "killed. What the state file says:"
"$BIN/s3migrate" status --state "$RUN/state.db" || true

step "running the same command again: it resumes from the parts already at the destination"
"${copy[@]}" "${progress[@]}"

step "running it a third time: nothing left to send"
"${copy[@]}" --progress json | grep '"event":"summary"' | python3 -c 'import json,sys; c=json.load(sys.stdin)["counters"]; print("third run: %d bytes sent, %d of %d objects already identical at the destination" % (c["bytes_sent"], c["objects_skipped"], c["objects_total"]))'

step "verifying every object (SHA-256) at source and destination"
S3FILL_ACCESS_KEY_ID=$SRC_ACCESS_KEY_ID S3FILL_SECRET_ACCESS_KEY=$SRC_SECRET_ACCESS_KEY \
S3FILL_DST_ACCESS_KEY_ID=$DST_ACCESS_KEY_ID S3FILL_DST_SECRET_ACCESS_KEY=$DST_SECRET_ACCESS_KEY \
  "$BIN/s3fill" verify --endpoint "$SRC_ENDPOINT" --bucket demo-src --dst-endpoint "$DST_ENDPOINT" --dst-bucket demo-dst --dst-prefix copy/
