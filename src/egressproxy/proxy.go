package egressproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3migrate/s3migrate/src/netx"
)

// Run listens on cfg.Listen and serves until ctx is cancelled; then it
// closes the listener and every open tunnel and returns nil.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("egress proxy configuration: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("egress proxy: listen on %s: %w", cfg.Listen, err)
	}
	return Serve(ctx, ln, cfg)
}

// Serve is Run on a listener the caller opened (which Serve closes).
func Serve(ctx context.Context, ln net.Listener, cfg Config) error {
	if cfg.Listen == "" {
		cfg.Listen = ln.Addr().String()
	}
	if err := cfg.Validate(); err != nil {
		ln.Close()
		return fmt.Errorf("egress proxy configuration: %w", err)
	}
	cfg = cfg.withDefaults()
	allow, _ := newHostAllowlist(cfg.AllowHosts) // validated above
	dialer, err := netx.NewDialer(netx.Config{
		TCPCongestion:           cfg.TCPCongestion,
		TCPCongestionBestEffort: cfg.TCPCongestionBestEffort,
		DialTimeout:             cfg.DialTimeout,
		Logger:                  cfg.Logger,
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("egress proxy: upstream dialer: %w", err)
	}
	p := &proxy{
		cfg:     cfg,
		allow:   allow,
		dialer:  dialer,
		slots:   make(chan struct{}, cfg.MaxTunnels),
		tunnels: map[*tunnel]struct{}{},
	}
	srv := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: cfg.HeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	cfg.Logger.Info("egress proxy listening", "listen", ln.Addr().String(), "allow_hosts", cfg.AllowHosts,
		"allow_ports", cfg.AllowPorts, "tcp_congestion", dialer.Congestion(), "max_tunnels", cfg.MaxTunnels)

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		p.closeTunnels()
		return fmt.Errorf("egress proxy: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx) // hijacked tunnels are not tracked by the server:
	p.closeTunnels()       // close them here.
	<-done
	p.wg.Wait()
	cfg.Logger.Info("egress proxy stopped", "listen", ln.Addr().String())
	return nil
}

type proxy struct {
	cfg    Config
	allow  hostAllowlist
	dialer *netx.Dialer
	slots  chan struct{}

	mu      sync.Mutex
	tunnels map[*tunnel]struct{}
	closed  bool
	wg      sync.WaitGroup
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "ok\n")
			return
		}
		w.Header().Set("Allow", "CONNECT")
		http.Error(w, "this is an HTTP CONNECT proxy: only CONNECT host:port (and GET /healthz) are served", http.StatusMethodNotAllowed)
		return
	}
	log := p.cfg.Logger.With("client", r.RemoteAddr, "target", r.Host)
	host, portStr, err := net.SplitHostPort(r.Host)
	port, perr := strconv.Atoi(portStr)
	if err != nil || perr != nil {
		log.Warn("tunnel refused: target is not host:port")
		http.Error(w, "CONNECT target must be host:port", http.StatusBadRequest)
		return
	}
	host = normalizeHost(host)
	if !p.allow.allows(host) || !slices.Contains(p.cfg.AllowPorts, port) {
		log.Warn("tunnel refused: destination not in the allowlist")
		http.Error(w, "destination not allowed by this proxy's allowlist", http.StatusForbidden)
		return
	}
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	default:
		log.Warn("tunnel refused: too many open tunnels", "max_tunnels", p.cfg.MaxTunnels)
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many open tunnels, retry later", http.StatusServiceUnavailable)
		return
	}

	up, err := p.dialer.DialContext(r.Context(), "tcp", net.JoinHostPort(host, portStr))
	if err != nil {
		log.Warn("tunnel failed: upstream connect", "error", err)
		http.Error(w, "could not connect to the destination", http.StatusBadGateway)
		return
	}
	cc, ccErr := netx.ConnCongestion(up)
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "connection cannot be hijacked", http.StatusInternalServerError)
		return
	}
	down, brw, err := hj.Hijack()
	if err != nil {
		up.Close()
		log.Warn("tunnel failed: hijack", "error", err)
		return
	}
	t := &tunnel{client: down, upstream: up}
	if !p.track(t) {
		t.close()
		return
	}
	defer p.untrack(t)
	if _, err := io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		t.close()
		return
	}
	attrs := []any{"upstream", up.RemoteAddr().String(), "local", up.LocalAddr().String(), "congestion", cc}
	if ccErr != nil {
		attrs = append(attrs, "congestion_error", ccErr.Error())
	}
	log.Info("tunnel opened", attrs...)
	start := time.Now()
	upBytes, downBytes := t.run(brw.Reader, p.cfg.IdleTimeout)
	log.Info("tunnel closed", "bytes_up", upBytes, "bytes_down", downBytes, "duration", time.Since(start).Round(time.Millisecond).String())
}

func (p *proxy) track(t *tunnel) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.tunnels[t] = struct{}{}
	p.wg.Add(1)
	return true
}

func (p *proxy) untrack(t *tunnel) {
	p.mu.Lock()
	delete(p.tunnels, t)
	p.mu.Unlock()
	p.wg.Done()
}

func (p *proxy) closeTunnels() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for t := range p.tunnels {
		t.close()
	}
}

// tunnel copies bytes both ways between a client and its upstream.
type tunnel struct {
	client, upstream net.Conn
	last             atomic.Int64 // unix nanoseconds of the last byte in either direction
	once             sync.Once
}

func (t *tunnel) close() {
	t.once.Do(func() {
		t.client.Close()
		t.upstream.Close()
	})
}

// run copies until both directions end (or one fails, or the tunnel is idle
// for idle) and returns the bytes sent upstream and downstream.
func (t *tunnel) run(clientReader io.Reader, idle time.Duration) (upBytes, downBytes int64) {
	t.last.Store(time.Now().UnixNano())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); upBytes = t.pipe(t.upstream, clientReader, t.client, idle) }()
	go func() { defer wg.Done(); downBytes = t.pipe(t.client, t.upstream, t.upstream, idle) }()
	wg.Wait()
	t.close()
	return upBytes, downBytes
}

// pipe copies src to dst. On a clean end of src it half-closes dst so the
// other side sees EOF; on an error or idle timeout it closes the tunnel.
func (t *tunnel) pipe(dst net.Conn, src io.Reader, srcConn net.Conn, idle time.Duration) int64 {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		_ = srcConn.SetReadDeadline(time.Now().Add(idle))
		nr, er := src.Read(buf)
		if nr > 0 {
			t.last.Store(time.Now().UnixNano())
			_ = dst.SetWriteDeadline(time.Now().Add(idle))
			nw, ew := dst.Write(buf[:nr])
			n += int64(nw)
			if ew != nil {
				t.close()
				return n
			}
		}
		if er == nil {
			continue
		}
		if errors.Is(er, io.EOF) {
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
				return n
			}
		} else if errors.Is(er, os.ErrDeadlineExceeded) && time.Since(time.Unix(0, t.last.Load())) < idle {
			continue // the other direction is busy: the tunnel is not idle
		}
		t.close()
		return n
	}
}
