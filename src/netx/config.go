// Package netx builds the HTTP client every S3 and HTTP(S) call goes
// through: a transport tuned for many parallel connections, an optional
// egress proxy (HTTP CONNECT or SOCKS5), a per-socket TCP congestion control
// (e.g. BBR) and an optional bandwidth limit shared by the whole client.
package netx

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config is how the HTTP client connects. The zero value is usable: it gives
// a tuned transport with the kernel's congestion control, the proxy from the
// environment (HTTPS_PROXY, NO_PROXY) and no bandwidth limit.
type Config struct {
	// ConnsPerHost is how many requests are expected in flight against one
	// host (the parts in flight). It sizes the idle pool so that every
	// connection is reused instead of re-dialled. 0 means 64.
	ConnsPerHost int

	// ProxyURL is the egress proxy: http://host:port or https://host:port
	// (HTTP CONNECT; TLS to the destination stays end to end), or
	// socks5://[user:pass@]host:port. "" takes the proxy from the
	// environment; "direct" disables proxies altogether.
	ProxyURL string

	// TCPCongestion is the congestion control set on every socket with
	// TCP_CONGESTION ("bbr", "cubic", ...). "" keeps the kernel default.
	TCPCongestion string
	// TCPCongestionBestEffort, when true, falls back to the kernel default
	// (and logs it) where the algorithm is not available, instead of failing.
	TCPCongestionBestEffort bool

	// UploadBytesPerSec and DownloadBytesPerSec limit request bodies and
	// response bodies, summed over the whole client. 0 means unlimited.
	UploadBytesPerSec   int64
	DownloadBytesPerSec int64

	DialTimeout           time.Duration // 0 means 10s
	KeepAlive             time.Duration // TCP keep-alive period; 0 means 30s
	TLSHandshakeTimeout   time.Duration // 0 means 10s
	ResponseHeaderTimeout time.Duration // after the request is written; 0 means 2m (CompleteMultipartUpload can be slow)
	IdleConnTimeout       time.Duration // 0 means 90s

	// RootCAs are the CAs trusted for TLS to servers and to an https://
	// proxy. nil means the system pool.
	RootCAs *x509.CertPool

	// Logger receives connection-level logs; nil means slog.Default().
	Logger *slog.Logger
}

// ProxyDirect is the ProxyURL value that disables proxies.
const ProxyDirect = "direct"

const (
	defaultConnsPerHost          = 64
	defaultDialTimeout           = 10 * time.Second
	defaultKeepAlive             = 30 * time.Second
	defaultTLSHandshakeTimeout   = 10 * time.Second
	defaultResponseHeaderTimeout = 2 * time.Minute
	defaultIdleConnTimeout       = 90 * time.Second
)

// congestionName is what the kernel accepts as an algorithm name
// (TCP_CA_NAME_MAX is 16 bytes including the terminating NUL).
var congestionName = regexp.MustCompile(`^[a-z0-9_]{1,15}$`)

// Validate reports the first setting that cannot work, saying how to fix it.
func (c Config) Validate() error {
	var errs []error
	if c.ConnsPerHost < 0 {
		errs = append(errs, fmt.Errorf("connections per host is %d: use a positive number (or 0 for the default %d)", c.ConnsPerHost, defaultConnsPerHost))
	}
	if _, err := c.proxy(); err != nil {
		errs = append(errs, err)
	}
	if c.TCPCongestion != "" && !congestionName.MatchString(c.TCPCongestion) {
		errs = append(errs, fmt.Errorf("tcp congestion control %q is not an algorithm name: use one of /proc/sys/net/ipv4/tcp_available_congestion_control, e.g. bbr or cubic", c.TCPCongestion))
	}
	if c.UploadBytesPerSec < 0 || c.DownloadBytesPerSec < 0 {
		errs = append(errs, fmt.Errorf("bandwidth limit must not be negative (upload %d B/s, download %d B/s); 0 means unlimited", c.UploadBytesPerSec, c.DownloadBytesPerSec))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"dial timeout", c.DialTimeout},
		{"keep-alive", c.KeepAlive},
		{"TLS handshake timeout", c.TLSHandshakeTimeout},
		{"response header timeout", c.ResponseHeaderTimeout},
		{"idle connection timeout", c.IdleConnTimeout},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s is %s: use a positive duration (or 0 for the default)", d.name, d.v))
		}
	}
	return errors.Join(errs...)
}

// proxySetting is the parsed ProxyURL.
type proxySetting struct {
	fromEnv bool
	url     *url.URL // nil: direct (unless fromEnv)
}

func (c Config) proxy() (proxySetting, error) {
	switch c.ProxyURL {
	case "":
		return proxySetting{fromEnv: true}, nil
	case ProxyDirect:
		return proxySetting{}, nil
	}
	u, err := url.Parse(c.ProxyURL)
	if err != nil {
		return proxySetting{}, fmt.Errorf("proxy URL is not a URL (%s): use http://host:port, https://host:port or socks5://host:port", RedactURLText(c.ProxyURL))
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "socks5", "socks5h":
	default:
		return proxySetting{}, fmt.Errorf("proxy URL %s has scheme %q: use http://, https:// (HTTP CONNECT) or socks5://", u.Redacted(), u.Scheme)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return proxySetting{}, fmt.Errorf("proxy URL %s needs a host and a port, e.g. http://10.0.0.5:3128", u.Redacted())
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return proxySetting{}, fmt.Errorf("proxy URL %s must not have a path or query", u.Redacted())
	}
	return proxySetting{url: u}, nil
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.ConnsPerHost == 0 {
		c.ConnsPerHost = defaultConnsPerHost
	}
	def(&c.DialTimeout, defaultDialTimeout)
	def(&c.KeepAlive, defaultKeepAlive)
	def(&c.TLSHandshakeTimeout, defaultTLSHandshakeTimeout)
	def(&c.ResponseHeaderTimeout, defaultResponseHeaderTimeout)
	def(&c.IdleConnTimeout, defaultIdleConnTimeout)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// urlInText matches http(s) URLs inside free text, up to the query string.
var urlInText = regexp.MustCompile(`((?:https?|socks5h?)://)(?:[^\s/@?#"']*@)?([^\s?#"']*)\?[^\s#"']*`)

// userinfoInText matches credentials in URLs inside free text.
var userinfoInText = regexp.MustCompile(`((?:https?|socks5h?)://)[^\s/@?#"']*@`)

// RedactURLText removes query strings (presigned URL signatures) and user
// credentials from every URL inside s, so s can be logged or returned in an
// error.
func RedactURLText(s string) string {
	s = urlInText.ReplaceAllString(s, "$1$2?REDACTED")
	return userinfoInText.ReplaceAllString(s, "${1}REDACTED@")
}
