#!/usr/bin/env bash
# Installs the tools the tests, demo and benchmarks need into .tools/ (git-ignored).
# Binaries are built once per machine into a version-keyed cache
# (${S3MIGRATE_TOOL_CACHE:-~/.cache/s3migrate-tools}) and linked from .tools/bin,
# so a fresh clone on the same machine installs in seconds.
#
# usage: scripts/tools.sh [tool ...]     (no argument: the test set)
#        tools: versitygw toxiproxy rie terraform tflint staticcheck rclone npm apt
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS="$ROOT/.tools"
CACHE=${S3MIGRATE_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/s3migrate-tools}
mkdir -p "$TOOLS/bin" "$CACHE"

VERSITYGW_VERSION=v1.8.0
TOXIPROXY_VERSION=v2.5.0
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
TERRAFORM_VERSION=v1.5.7
TFLINT_VERSION=v0.64.0
STATICCHECK_VERSION=v0.8.2
RCLONE_VERSION=v1.76.0
NPM_PACKAGES=(local-aws-sqs@2.0.2 dynalite@4.0.0 @cdktf/provider-aws@21.22.1)

log() { printf 'tools: %s\n' "$*" >&2; }

# go_tool NAME PKG VERSION [BINARY]: go install PKG@VERSION into the cache, link as NAME.
go_tool() {
  local name=$1 pkg=$2 version=$3 binary=${4:-$(basename "$2")}
  local dir="$CACHE/$name@$version"
  if [ ! -x "$dir/$binary" ]; then
    log "building $name $version (once per machine)"
    mkdir -p "$dir.tmp"
    GOBIN="$dir.tmp" CGO_ENABLED=${CGO:-0} GOFLAGS=-mod=mod go install "$pkg@$version" \
      || { log "could not build $pkg@$version: check that the Go module proxy is reachable (GOPROXY=$(go env GOPROXY))"; return 1; }
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  ln -sf "$dir/$binary" "$TOOLS/bin/$name"
}

install_apt() {
  local missing=()
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v curl >/dev/null || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then log "missing Debian packages: ${missing[*]} (run as root or install them)"; return 1; fi
  log "apt-get install ${missing[*]}"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_npm() {
  local dir="$CACHE/npm-$(printf '%s\n' "${NPM_PACKAGES[@]}" | sha1sum | cut -c1-12)"
  if [ ! -d "$dir/node_modules/local-aws-sqs" ] || [ ! -d "$dir/node_modules/dynalite" ]; then
    log "npm install ${NPM_PACKAGES[*]} (once per machine)"
    mkdir -p "$dir.tmp" && (cd "$dir.tmp" && echo '{"private":true}' >package.json &&
      npm install --no-audit --no-fund --loglevel=error "${NPM_PACKAGES[@]}" >/dev/null)
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  ln -sfn "$dir/node_modules" "$TOOLS/node_modules"
}

install_one() {
  case $1 in
    versitygw) go_tool versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" ;;
    toxiproxy) go_tool toxiproxy-server github.com/Shopify/toxiproxy/v2/cmd/server "$TOXIPROXY_VERSION" server ;;
    rie) go_tool aws-lambda-rie github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie "$RIE_VERSION" ;;
    terraform) go_tool terraform github.com/hashicorp/terraform "$TERRAFORM_VERSION" ;;
    tflint) go_tool tflint github.com/terraform-linters/tflint "$TFLINT_VERSION" ;;
    staticcheck) go_tool staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION" ;;
    rclone) go_tool rclone github.com/rclone/rclone "$RCLONE_VERSION" ;;
    npm) install_npm ;;
    apt) install_apt ;;
    *) log "unknown tool '$1' (known: versitygw toxiproxy rie terraform tflint staticcheck rclone npm apt)"; return 2 ;;
  esac
}

if [ $# -eq 0 ]; then set -- apt versitygw toxiproxy rie terraform tflint staticcheck npm; fi
for t in "$@"; do install_one "$t"; done
