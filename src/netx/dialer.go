package netx

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"syscall"
)

// Dialer opens TCP connections with the configured timeouts, keep-alive and
// congestion control. The egress proxy uses it for its upstream connections.
type Dialer struct {
	nd         net.Dialer
	congestion string // "" = kernel default
	bestEffort bool
	log        *slog.Logger
}

// NewDialer validates cfg and returns a Dialer. When cfg asks for a
// congestion control the kernel does not offer, it fails (or, with
// TCPCongestionBestEffort, logs a warning and keeps the kernel default).
func NewDialer(cfg Config) (*Dialer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("network configuration: %w", err)
	}
	cfg = cfg.withDefaults()
	d := &Dialer{
		nd:         net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: cfg.KeepAlive},
		congestion: cfg.TCPCongestion,
		bestEffort: cfg.TCPCongestionBestEffort,
		log:        cfg.Logger,
	}
	if d.congestion != "" {
		if err := checkCongestionAvailable(d.congestion); err != nil {
			if !d.bestEffort {
				return nil, fmt.Errorf("tcp congestion control %q: %w", d.congestion, err)
			}
			d.log.Warn("tcp congestion control not available, keeping the kernel default", "requested", d.congestion, "error", err)
			d.congestion = ""
		}
	}
	if d.congestion != "" {
		d.nd.Control = d.control
	}
	return d, nil
}

// Congestion returns the congestion control the dialer sets on its sockets,
// or "" when it keeps the kernel default.
func (d *Dialer) Congestion() string { return d.congestion }

// control runs on every new socket before connect(2).
func (d *Dialer) control(network, address string, c syscall.RawConn) error {
	if !strings.HasPrefix(network, "tcp") {
		return nil
	}
	var serr error
	if err := c.Control(func(fd uintptr) { serr = setCongestion(fd, d.congestion) }); err != nil {
		return fmt.Errorf("set tcp congestion control %q on socket to %s: %w", d.congestion, address, err)
	}
	if serr != nil {
		if d.bestEffort {
			d.log.Warn("could not set tcp congestion control, keeping the kernel default", "requested", d.congestion, "remote", address, "error", serr)
			return nil
		}
		return fmt.Errorf("set tcp congestion control %q on socket to %s: %w (an algorithm outside net.ipv4.tcp_allowed_congestion_control needs CAP_NET_ADMIN)", d.congestion, address, serr)
	}
	return nil
}

// DialContext connects to address and logs (at debug level) the congestion
// control the kernel reports for the new connection.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := d.nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if d.log.Enabled(ctx, slog.LevelDebug) {
		cc, cerr := ConnCongestion(c)
		d.log.LogAttrs(ctx, slog.LevelDebug, "tcp connection opened",
			slog.String("remote", c.RemoteAddr().String()), slog.String("congestion", cc), slog.Any("congestion_error", cerr))
	}
	return c, nil
}

// Dial is DialContext without a context (for golang.org/x/net/proxy).
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}
