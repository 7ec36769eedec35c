// Package egressproxy is a TCP-terminating HTTP CONNECT proxy for the NAT
// instance: workers in private subnets send their S3 traffic through it, TLS
// stays end to end (the proxy only tunnels bytes), and the long-haul leg
// starts on the proxy's own socket, which uses the congestion control the
// proxy sets (BBR). A NAT that only forwards cannot change the congestion
// control of the flows it forwards; a proxy that terminates TCP can.
package egressproxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/s3migrate/s3migrate/src/netx"
)

// Config is the proxy's configuration. Listen and AllowHosts are required.
type Config struct {
	// Listen is the address to listen on, e.g. "10.0.1.5:3128".
	Listen string
	// AllowHosts are the destination hosts a tunnel may go to: exact names
	// or IP addresses ("s3.cn-northwest-1.amazonaws.com.cn") and wildcards
	// ("*.amazonaws.com.cn" matches any name under it, not the name itself).
	AllowHosts []string
	// AllowPorts are the destination ports a tunnel may go to; nil means 443.
	AllowPorts []int
	// TCPCongestion is set on every upstream socket ("bbr"); "" keeps the
	// kernel default. TCPCongestionBestEffort falls back to the default
	// where the algorithm is not available instead of refusing to start.
	TCPCongestion           string
	TCPCongestionBestEffort bool
	// MaxTunnels bounds the tunnels open at once; 0 means 1024. Further
	// CONNECT requests get 503 until one closes.
	MaxTunnels int
	// IdleTimeout closes a tunnel with no bytes in either direction for
	// this long; 0 means 5 minutes.
	IdleTimeout time.Duration
	// DialTimeout bounds the upstream connect; 0 means 10 seconds.
	DialTimeout time.Duration
	// HeaderTimeout bounds reading a request's headers; 0 means 30 seconds.
	HeaderTimeout time.Duration
	// Logger receives one line per tunnel opened, refused and closed; nil
	// means slog.Default().
	Logger *slog.Logger
}

const (
	defaultMaxTunnels    = 1024
	defaultIdleTimeout   = 5 * time.Minute
	defaultDialTimeout   = 10 * time.Second
	defaultHeaderTimeout = 30 * time.Second
)

// Validate reports every setting that cannot work, saying how to fix it.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen address is empty: give host:port, e.g. 0.0.0.0:3128"))
	} else if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("listen address %q is not host:port, e.g. 0.0.0.0:3128", c.Listen))
	}
	if len(c.AllowHosts) == 0 {
		errs = append(errs, errors.New("no allowed destination hosts: give the destination's S3 endpoints (e.g. s3.cn-northwest-1.amazonaws.com.cn,*.s3.cn-northwest-1.amazonaws.com.cn); the proxy refuses to run as an open proxy"))
	}
	if _, err := newHostAllowlist(c.AllowHosts); err != nil {
		errs = append(errs, err)
	}
	for _, p := range c.AllowPorts {
		if p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("allowed port %d is not a TCP port (1-65535)", p))
		}
	}
	if c.MaxTunnels < 0 {
		errs = append(errs, fmt.Errorf("max tunnels is %d: use a positive number (or 0 for %d)", c.MaxTunnels, defaultMaxTunnels))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"idle timeout", c.IdleTimeout}, {"dial timeout", c.DialTimeout}, {"header timeout", c.HeaderTimeout}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s is %s: use a positive duration (or 0 for the default)", d.name, d.v))
		}
	}
	if err := (netx.Config{TCPCongestion: c.TCPCongestion}).Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if len(c.AllowPorts) == 0 {
		c.AllowPorts = []int{443}
	}
	if c.MaxTunnels == 0 {
		c.MaxTunnels = defaultMaxTunnels
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = defaultIdleTimeout
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = defaultDialTimeout
	}
	if c.HeaderTimeout == 0 {
		c.HeaderTimeout = defaultHeaderTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// hostAllowlist holds exact hosts and wildcard suffixes (".example.com").
type hostAllowlist struct {
	exact    map[string]bool
	suffixes []string
}

func newHostAllowlist(patterns []string) (hostAllowlist, error) {
	a := hostAllowlist{exact: map[string]bool{}}
	var errs []error
	for _, raw := range patterns {
		p := normalizeHost(raw)
		switch {
		case p == "" || p == "*" || p == "*.":
			errs = append(errs, fmt.Errorf("allowed host %q would allow everything: list the destination's endpoints instead", raw))
		case strings.HasPrefix(p, "*."):
			suffix := p[1:] // ".example.com"
			if strings.Contains(suffix[1:], "*") || !validHostname(suffix[1:]) {
				errs = append(errs, fmt.Errorf("allowed host %q: a wildcard is only allowed as the first label, e.g. *.amazonaws.com.cn", raw))
				continue
			}
			a.suffixes = append(a.suffixes, suffix)
		case strings.Contains(p, "*"):
			errs = append(errs, fmt.Errorf("allowed host %q: a wildcard is only allowed as the first label, e.g. *.amazonaws.com.cn", raw))
		case validHostname(p):
			a.exact[p] = true
		default:
			if addr, err := netip.ParseAddr(strings.Trim(p, "[]")); err == nil {
				a.exact[addr.String()] = true
				continue
			}
			errs = append(errs, fmt.Errorf("allowed host %q is neither a host name nor an IP address (give no scheme and no port; ports go in the port allowlist)", raw))
		}
	}
	return a, errors.Join(errs...)
}

// allows reports whether host (already normalized) may be tunnelled to.
func (a hostAllowlist) allows(host string) bool {
	if a.exact[host] {
		return true
	}
	for _, s := range a.suffixes {
		if len(host) > len(s) && strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// normalizeHost lower-cases a host name and drops a trailing dot; IP
// addresses come back in their canonical form.
func normalizeHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	if addr, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return addr.String()
	}
	return h
}

// validHostname accepts DNS names made of letters, digits, '-', '_' and dots.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return false // IP addresses are handled separately
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}
