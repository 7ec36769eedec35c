#!/usr/bin/env bash
# s3migrate NAT instance: BBR congestion control, IP forwarding, MASQUERADE
# and the TCP-terminating egress proxy, each CHECKED after it is set up: a
# step that did not take effect fails loudly (exit 1, console, syslog) and
# tells the Auto Scaling group, which replaces the instance, instead of
# leaving a NAT that silently drops traffic (fck-nat's MASQUERADE race).
#
# usage:
#   s3migrate-nat.sh boot                      on EC2 (from user data and at every boot);
#                                              reads /etc/s3migrate-nat.env
#   s3migrate-nat.sh core OUT_IF SRC_CIDR...   the networking core: BBR + fq on OUT_IF,
#                                              forwarding, MASQUERADE of SRC_CIDRs out of OUT_IF
#   s3migrate-nat.sh check OUT_IF SRC_CIDR...  verify the core only
#   s3migrate-nat.sh proxy-command BIN LISTEN HOSTS PORTS
#                                              print the egress proxy's command line
#
# Environment (tests point these elsewhere): S3MIGRATE_NAT_ETC (default /etc),
# S3MIGRATE_NAT_PROC (default /proc), S3MIGRATE_NAT_CC (default bbr).
set -euo pipefail

ETC_DIR=${S3MIGRATE_NAT_ETC:-/etc}
PROC_DIR=${S3MIGRATE_NAT_PROC:-/proc}
CC=${S3MIGRATE_NAT_CC:-bbr}
STATE_DIR=$ETC_DIR/s3migrate-nat
RULE_COMMENT=s3migrate-nat
CONSOLE=${S3MIGRATE_NAT_CONSOLE:-0}

log() { printf 's3migrate-nat: %s\n' "$*" >&2; }

# on_failure is redefined by boot to signal the Auto Scaling group.
on_failure() { :; }

fail() {
  local msg="s3migrate-nat: FAILED: $*"
  printf '%s\n' "$msg" >&2
  if command -v logger >/dev/null 2>&1; then logger -t s3migrate-nat -p user.err -- "$msg" || true; fi
  if [ "$CONSOLE" = 1 ] && [ -w /dev/console ]; then printf '%s\n' "$msg" >/dev/console || true; fi
  on_failure "$*" || true
  exit 1
}

sysctl_path() { printf '%s/sys/%s' "$PROC_DIR" "${1//.//}"; }

set_sysctl() { # NAME VALUE
  printf '%s\n' "$2" >"$(sysctl_path "$1")" || fail "cannot set $1=$2"
}

get_sysctl() { cat "$(sysctl_path "$1")" 2>/dev/null || true; }

# enable_bbr IFACE...: load and select the congestion control, persistently,
# with the fq qdisc (pacing) on each interface.
enable_bbr() {
  local avail
  avail=$(get_sysctl net.ipv4.tcp_available_congestion_control)
  if ! grep -qw -- "$CC" <<<"$avail"; then
    log "congestion control $CC not offered (available: $avail); loading tcp_$CC"
    if command -v modprobe >/dev/null 2>&1; then modprobe "tcp_$CC" || log "modprobe tcp_$CC failed"; fi
    avail=$(get_sysctl net.ipv4.tcp_available_congestion_control)
    grep -qw -- "$CC" <<<"$avail" || fail "the kernel does not offer $CC congestion control (available: ${avail:-none}) and tcp_$CC could not be loaded"
  fi
  mkdir -p "$ETC_DIR/modules-load.d" "$ETC_DIR/sysctl.d" "$STATE_DIR"
  printf 'tcp_%s\n' "$CC" >"$ETC_DIR/modules-load.d/s3migrate-$CC.conf"
  set_sysctl net.ipv4.tcp_congestion_control "$CC"
  local ifc
  rm -f "$STATE_DIR/fq-unavailable"
  for ifc in "$@"; do set_fq "$ifc"; done
  {
    [ -e "$STATE_DIR/fq-unavailable" ] || printf 'net.core.default_qdisc = fq\n'
    printf 'net.ipv4.tcp_congestion_control = %s\n' "$CC"
  } >"$ETC_DIR/sysctl.d/90-s3migrate-$CC.conf"
}

# set_fq IFACE: the fq qdisc paces BBR's sending. A kernel without sch_fq
# (BBR then paces inside TCP, Linux >= 4.13) is reported, not fatal.
set_fq() {
  local err
  tc qdisc replace dev "$1" root fq 2>/dev/null && return 0
  if command -v modprobe >/dev/null 2>&1; then modprobe sch_fq 2>/dev/null || true; fi
  err=$(tc qdisc replace dev "$1" root fq 2>&1) && return 0
  if grep -q 'qdisc kind is unknown' <<<"$err"; then
    log "WARNING: this kernel has no fq qdisc (sch_fq): $CC paces inside TCP instead"
    : >"$STATE_DIR/fq-unavailable"
    return 0
  fi
  fail "cannot set the fq qdisc on $1: $err"
}

# enable_forwarding OUT_IF: IPv4 forwarding on, persistently; no ICMP
# redirects (on EC2 traffic enters and leaves through the same interface).
enable_forwarding() {
  mkdir -p "$ETC_DIR/sysctl.d"
  printf 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.%s.send_redirects = 0\n' "$1" >"$ETC_DIR/sysctl.d/90-s3migrate-forward.conf"
  set_sysctl net.ipv4.ip_forward 1
  set_sysctl "net.ipv4.conf.$1.send_redirects" 0
}

# add_masquerade OUT_IF SRC_CIDR...: NAT what the private subnets send out
# of OUT_IF, and let it (and the answers) through the FORWARD chain.
add_masquerade() {
  local out=$1 src
  shift
  command -v iptables >/dev/null 2>&1 || fail "iptables is not installed"
  for src in "$@"; do
    ensure_rule -t nat POSTROUTING -s "$src" -o "$out" -j MASQUERADE
    ensure_rule -t filter FORWARD -s "$src" -o "$out" -j ACCEPT
    ensure_rule -t filter FORWARD -d "$src" -i "$out" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  done
}

ensure_rule() { # -t TABLE CHAIN RULE...
  local table=$2 chain=$3
  shift 3
  iptables -w -t "$table" -C "$chain" "$@" -m comment --comment "$RULE_COMMENT" 2>/dev/null ||
    iptables -w -t "$table" -A "$chain" "$@" -m comment --comment "$RULE_COMMENT" ||
    fail "cannot add iptables rule to $table/$chain: $*"
}

# check_core OUT_IF SRC_CIDR...: every piece in place, or fail listing what is not.
check_core() {
  local out=$1 src problems=()
  shift
  [ "$(get_sysctl net.ipv4.ip_forward)" = 1 ] || problems+=("IP forwarding is off")
  for src in "$@"; do
    iptables -w -t nat -C POSTROUTING -s "$src" -o "$out" -j MASQUERADE -m comment --comment "$RULE_COMMENT" 2>/dev/null ||
      problems+=("no MASQUERADE rule for $src out of $out")
  done
  local cc
  cc=$(get_sysctl net.ipv4.tcp_congestion_control)
  [ "$cc" = "$CC" ] || problems+=("congestion control is ${cc:-unknown}, not $CC")
  grep -qw -- "$CC" <<<"$(get_sysctl net.ipv4.tcp_available_congestion_control)" || problems+=("$CC is not available")
  local qdisc="fq"
  if ! tc qdisc show dev "$out" 2>/dev/null | grep -q '^qdisc fq '; then
    if [ -e "$STATE_DIR/fq-unavailable" ]; then qdisc="none (the kernel has no fq)"; else problems+=("the qdisc of $out is not fq"); fi
  fi
  grep -qx "tcp_$CC" "$ETC_DIR/modules-load.d/s3migrate-$CC.conf" 2>/dev/null || problems+=("tcp_$CC is not loaded at boot")
  grep -q "tcp_congestion_control = $CC" "$ETC_DIR/sysctl.d/90-s3migrate-$CC.conf" 2>/dev/null || problems+=("$CC is not persistent in sysctl.d")
  grep -q 'ip_forward = 1' "$ETC_DIR/sysctl.d/90-s3migrate-forward.conf" 2>/dev/null || problems+=("forwarding is not persistent in sysctl.d")
  if [ ${#problems[@]} -gt 0 ]; then
    local IFS=';'
    fail "NAT is not in place: ${problems[*]}"
  fi
  log "checked: forwarding on, MASQUERADE of $* out of $out, congestion control $cc, qdisc $qdisc on $out"
}

# check_egress_route OUT_IF: the default route leaves through OUT_IF (a
# route lookup only; no packet is sent).
check_egress_route() {
  local dev
  dev=$(ip -4 route get 198.51.100.1 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p')
  [ "$dev" = "$1" ] || fail "traffic to the internet leaves through '${dev:-nothing}', not through the NAT interface $1"
  log "checked: the default route leaves through $1"
}

core() {
  [ $# -ge 2 ] || fail "usage: $0 core OUT_IF SRC_CIDR..."
  local out=$1
  shift
  enable_bbr "$out"
  enable_forwarding "$out"
  add_masquerade "$out" "$@"
  check_core "$out" "$@"
}

# proxy_command BIN LISTEN HOSTS PORTS: the egress proxy's command line, one
# argument per line (the systemd unit and the tests run exactly this).
proxy_command() {
  printf '%s\n' "$1" egress-proxy --listen "$2" --allow-host "$3" --allow-port "$4" --tcp-congestion "$CC"
}

# ---- EC2 only below -------------------------------------------------------

imds() { # PATH
  local token
  token=$(curl -sfS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token) || return 1
  curl -sfS -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/$1"
}

signal_asg() { # CONTINUE|ABANDON
  [ -n "${ASG_NAME:-}" ] && [ -n "${INSTANCE_ID:-}" ] || return 0
  aws autoscaling complete-lifecycle-action --region "$REGION" --auto-scaling-group-name "$ASG_NAME" \
    --lifecycle-hook-name "$HOOK_NAME" --instance-id "$INSTANCE_ID" --lifecycle-action-result "$1" >/dev/null 2>&1 || true
}

boot_failure() {
  signal_asg ABANDON
  # Not in a launch any more (a reboot): have the group replace the instance.
  if [ -n "${ASG_NAME:-}" ] && [ -n "${INSTANCE_ID:-}" ]; then
    aws autoscaling set-instance-health --region "$REGION" --instance-id "$INSTANCE_ID" --health-status Unhealthy >/dev/null 2>&1 || true
  fi
}

attach_eni() {
  local owner i
  for i in $(seq 1 60); do
    owner=$(aws ec2 describe-network-interfaces --region "$REGION" --network-interface-ids "$ENI_ID" \
      --query 'NetworkInterfaces[0].Attachment.InstanceId' --output text 2>/dev/null || true)
    [ "$owner" = "$INSTANCE_ID" ] && return 0
    if [ "$owner" = None ] || [ -z "$owner" ]; then
      aws ec2 attach-network-interface --region "$REGION" --instance-id "$INSTANCE_ID" \
        --device-index 1 --network-interface-id "$ENI_ID" >/dev/null 2>&1 || log "attach of $ENI_ID failed (try $i), retrying"
    else
      log "$ENI_ID is still attached to $owner (try $i), waiting"
    fi
    sleep 5
  done
  fail "could not attach the NAT interface $ENI_ID to $INSTANCE_ID"
}

# nat_interface: the local name of the static ENI, found by its MAC address.
nat_interface() {
  local mac i f
  mac=$(aws ec2 describe-network-interfaces --region "$REGION" --network-interface-ids "$ENI_ID" \
    --query 'NetworkInterfaces[0].MacAddress' --output text) || fail "cannot read the MAC address of $ENI_ID"
  for i in $(seq 1 60); do
    for f in /sys/class/net/*/address; do
      if [ "$(cat "$f")" = "$mac" ]; then
        basename "$(dirname "$f")"
        return 0
      fi
    done
    sleep 2
  done
  fail "no interface with the MAC address $mac of $ENI_ID appeared"
}

# route_via IFACE: send the default route through IFACE (whose EIP is the
# pinned egress address), now and on every DHCP renewal.
route_via() {
  local ifc=$1 addr gw i
  for i in $(seq 1 60); do
    addr=$(ip -4 -o addr show dev "$ifc" | awk '{print $4; exit}')
    [ -n "$addr" ] && break
    sleep 2
  done
  [ -n "$addr" ] || fail "$ifc got no IPv4 address"
  gw=$(subnet_router "$addr")
  mkdir -p "/run/systemd/network/70-$ifc.network.d"
  printf '[DHCPv4]\nRouteMetric=1\n' >"/run/systemd/network/70-$ifc.network.d/90-s3migrate-nat.conf"
  if command -v networkctl >/dev/null 2>&1; then networkctl reload >/dev/null 2>&1 || true; fi
  ip route replace default via "$gw" dev "$ifc" metric 1 || fail "cannot route the default route via $gw on $ifc"
}

# subnet_router A.B.C.D/N: the VPC router of the subnet (its network address + 1).
subnet_router() {
  local ip=${1%/*} bits=${1#*/} a b c d n
  IFS=. read -r a b c d <<<"$ip"
  n=$(((a << 24 | b << 16 | c << 8 | d) & (0xffffffff << (32 - bits)) & 0xffffffff))
  n=$((n + 1))
  printf '%d.%d.%d.%d\n' $((n >> 24 & 255)) $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255))
}

install_proxy() {
  local bin=/usr/local/bin/s3migrate unit=/etc/systemd/system/s3migrate-egress-proxy.service args i
  aws s3 cp --region "$REGION" --only-show-errors "$PROXY_BINARY_S3_URI" "$bin.new" || fail "cannot download the proxy from $PROXY_BINARY_S3_URI"
  chmod 0755 "$bin.new" && mv -f "$bin.new" "$bin"
  args=$(proxy_command "$bin" "$PROXY_LISTEN" "$ALLOW_HOSTS" "$ALLOW_PORTS" | paste -sd' ')
  cat >"$unit" <<UNIT
[Unit]
Description=s3migrate egress proxy (HTTP CONNECT, TCP terminated here with $CC)
After=network-online.target s3migrate-nat.service
Wants=network-online.target

[Service]
ExecStart=$args
Restart=always
RestartSec=2
DynamicUser=yes
NoNewPrivileges=yes
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable --now s3migrate-egress-proxy.service || fail "the egress proxy service did not start"
  for i in $(seq 1 30); do
    curl -sf "http://$PROXY_LISTEN/healthz" >/dev/null && { log "checked: egress proxy answers on $PROXY_LISTEN"; return 0; }
    sleep 1
  done
  fail "the egress proxy does not answer on http://$PROXY_LISTEN/healthz"
}

boot() {
  local env=$ETC_DIR/s3migrate-nat.env
  [ -r "$env" ] || fail "missing $env"
  # shellcheck disable=SC1090
  . "$env"
  CONSOLE=1
  on_failure() { boot_failure; }
  INSTANCE_ID=$(imds meta-data/instance-id) || fail "cannot read the instance id from IMDS"
  REGION=$(imds meta-data/placement/region) || fail "cannot read the region from IMDS"
  command -v iptables >/dev/null 2>&1 || dnf install -y -q iptables-nft >/dev/null || fail "cannot install iptables"
  attach_eni
  local ifc
  ifc=$(nat_interface)
  route_via "$ifc"
  # shellcheck disable=SC2086 # NAT_SOURCE_CIDRS is a space-separated list
  core "$ifc" $NAT_SOURCE_CIDRS
  if [ ! -e "$STATE_DIR/fq-unavailable" ]; then
    sysctl -q -w net.core.default_qdisc=fq || fail "cannot set the default qdisc to fq"
  fi
  check_egress_route "$ifc"
  install_proxy
  signal_asg CONTINUE
  log "NAT instance ready: egress through $ifc ($ENI_ID), proxy on $PROXY_LISTEN"
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case $cmd in
    boot) boot ;;
    core) core "$@" ;;
    check) [ $# -ge 2 ] || fail "usage: $0 check OUT_IF SRC_CIDR..."; check_core "$@" ;;
    egress-route) check_egress_route "$@" ;;
    proxy-command) [ $# -eq 4 ] || fail "usage: $0 proxy-command BIN LISTEN HOSTS PORTS"; proxy_command "$@" ;;
    *) fail "unknown command '${cmd}': use boot, core, check, egress-route or proxy-command" ;;
  esac
}

main "$@"
