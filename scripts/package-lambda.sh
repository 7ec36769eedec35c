#!/usr/bin/env bash
# Builds the Lambda (provided.al2023) for arm64 and x86_64: a static
# `bootstrap` per architecture, zipped to dist/lambda-arm64.zip and
# dist/lambda-x86_64.zip for Terraform (terraform/modules/worker).
#   scripts/package-lambda.sh            both architectures
#   scripts/package-lambda.sh arm64      one of them
set -euo pipefail
cd "$(dirname "$0")/.."
version="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(arm64 x86_64)
mkdir -p dist
for arch in "${archs[@]}"; do
  case "$arch" in
    arm64) goarch=arm64 ;;
    x86_64|amd64) arch=x86_64; goarch=amd64 ;;
    *) echo "package-lambda: unknown architecture $arch (arm64 or x86_64)" >&2; exit 2 ;;
  esac
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  CGO_ENABLED=0 GOOS=linux GOARCH="$goarch" go build -trimpath -tags lambda.norpc \
    -ldflags "-s -w -X github.com/s3migrate/s3migrate/src/cli.Version=$version" \
    -o "$work/bootstrap" ./src/cmd/lambda
  rm -f "dist/lambda-$arch.zip"
  # Fixed timestamps so the same source gives the same zip (Terraform's source_code_hash).
  touch -t 198001010000 "$work/bootstrap"
  if command -v zip >/dev/null; then
    (cd "$work" && zip -q -X "$OLDPWD/dist/lambda-$arch.zip" bootstrap)
  else
    python3 - "$work/bootstrap" "dist/lambda-$arch.zip" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
info.external_attr = 0o755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with open(src, "rb") as f, zipfile.ZipFile(dst, "w") as z:
    z.writestr(info, f.read())
PY
  fi
  rm -rf "$work"; trap - EXIT
  echo "dist/lambda-$arch.zip"
done
