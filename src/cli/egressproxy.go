package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/s3migrate/s3migrate/src/egressproxy"
)

func runEgressProxy(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("egress-proxy", flag.ContinueOnError)
	listen := fs.String("listen", "0.0.0.0:3128", "address to listen on")
	allowHosts := fs.String("allow-host", "", "comma-separated destination hosts a tunnel may reach: exact names or *.suffix wildcards (required)")
	allowPorts := fs.String("allow-port", "443", "comma-separated destination ports")
	congestion := fs.String("tcp-congestion", "bbr", "congestion control for upstream sockets")
	bestEffort := fs.Bool("tcp-congestion-best-effort", false, "fall back to the kernel default where --tcp-congestion is unavailable instead of refusing to start")
	maxTunnels := fs.Int("max-tunnels", 0, "tunnels open at once (0: 1024)")
	idle := fs.Duration("idle-timeout", 5*time.Minute, "close tunnels idle this long")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if ok, code := parseFlags(fs, env, args, "egress-proxy --allow-host HOSTS [flags]"); !ok {
		return code
	}
	log, err := newLogger(env.Stderr, *logLevel)
	if err != nil {
		return usageError(env, "%v", err)
	}
	cfg := egressproxy.Config{Listen: *listen, TCPCongestion: *congestion, TCPCongestionBestEffort: *bestEffort,
		MaxTunnels: *maxTunnels, IdleTimeout: *idle, Logger: log}
	for _, h := range strings.Split(*allowHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.AllowHosts = append(cfg.AllowHosts, h)
		}
	}
	for _, p := range strings.Split(*allowPorts, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return usageError(env, "--allow-port %q is not a number", p)
		}
		cfg.AllowPorts = append(cfg.AllowPorts, n)
	}
	if err := cfg.Validate(); err != nil {
		return usageError(env, "%v", err)
	}
	if err := egressproxy.Run(ctx, cfg); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(env.Stderr, "s3migrate: egress proxy: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}
