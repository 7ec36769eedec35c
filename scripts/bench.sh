#!/usr/bin/env bash
# make bench: s3migrate and rclone (both with their defaults) copy the same
# data between two local S3 servers in the same run, on loopback and across
# a modelled long-haul link. Prints MB/s, peak RSS and the speed ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh versitygw toxiproxy rclone
mkdir -p .run
go test -run '^$' -bench "${BENCH:-BenchmarkCopy}" -benchtime 1x -timeout 60m ./test/bench | tee .run/bench.log | grep -E 'SUMMARY|^Benchmark|^ok|FAIL'
