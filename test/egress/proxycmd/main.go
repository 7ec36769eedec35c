// Command proxycmd is a test-only stand-in for `s3migrate egress-proxy`
// with the same flags, so the network-namespace test can run the exact
// command line the NAT script writes into its systemd unit before the CLI
// exists. It calls egressproxy.Run, as the CLI does.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/s3migrate/s3migrate/src/egressproxy"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "egress-proxy" {
		fmt.Fprintln(os.Stderr, "usage: proxycmd egress-proxy --listen ADDR --allow-host H1,*.H2 [--allow-port 443] [--tcp-congestion bbr]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("egress-proxy", flag.ExitOnError)
	listen := fs.String("listen", "0.0.0.0:3128", "address to listen on")
	hosts := fs.String("allow-host", "", "comma-separated destination hosts (exact or *.suffix)")
	ports := fs.String("allow-port", "443", "comma-separated destination ports")
	cc := fs.String("tcp-congestion", "", "congestion control of upstream sockets")
	_ = fs.Parse(os.Args[2:])

	cfg := egressproxy.Config{Listen: *listen, TCPCongestion: *cc, Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))}
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.AllowHosts = append(cfg.AllowHosts, h)
		}
	}
	for _, p := range strings.Split(*ports, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			fmt.Fprintf(os.Stderr, "--allow-port %q: %v\n", p, err)
			os.Exit(2)
		}
		cfg.AllowPorts = append(cfg.AllowPorts, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := egressproxy.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
