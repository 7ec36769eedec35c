package netx_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	socks5 "github.com/armon/go-socks5"

	"github.com/s3migrate/s3migrate/src/egressproxy"
	"github.com/s3migrate/s3migrate/src/netx"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     netx.Config
		wantErr string // "" = valid
	}{
		{"zero value", netx.Config{}, ""},
		{"http proxy", netx.Config{ProxyURL: "http://10.0.0.5:3128"}, ""},
		{"https proxy", netx.Config{ProxyURL: "https://proxy.example:443"}, ""},
		{"socks5 proxy with credentials", netx.Config{ProxyURL: "socks5://u:p@127.0.0.1:1080"}, ""},
		{"direct", netx.Config{ProxyURL: netx.ProxyDirect}, ""},
		{"proxy without port", netx.Config{ProxyURL: "http://10.0.0.5"}, "needs a host and a port"},
		{"proxy with unknown scheme", netx.Config{ProxyURL: "ftp://10.0.0.5:21"}, `scheme "ftp"`},
		{"proxy with path", netx.Config{ProxyURL: "http://10.0.0.5:3128/x"}, "must not have a path"},
		{"proxy password not echoed", netx.Config{ProxyURL: "ftp://user:s3cr3t@h:1"}, "xxxxx"},
		{"negative conns", netx.Config{ConnsPerHost: -1}, "connections per host"},
		{"bad congestion name", netx.Config{TCPCongestion: "BBR v2"}, "not an algorithm name"},
		{"negative bandwidth", netx.Config{UploadBytesPerSec: -5}, "must not be negative"},
		{"negative timeout", netx.Config{DialTimeout: -time.Second}, "dial timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("error leaks the proxy password: %v", err)
			}
			if _, cerr := netx.NewHTTPClient(tt.cfg); cerr == nil {
				t.Fatalf("NewHTTPClient accepted a config that Validate refuses")
			}
		})
	}
}

// TestCongestionSetAndReadBack sets every congestion control the kernel
// offers on a real socket and reads it back with getsockopt.
func TestCongestionSetAndReadBack(t *testing.T) {
	avail, err := netx.AvailableCongestion()
	if err != nil {
		t.Skipf("no per-socket congestion control on this system: %v", err)
	}
	t.Logf("kernel offers congestion controls: %v (bbr available: %v)", avail, slices.Contains(avail, "bbr"))
	ln := listenEcho(t)
	for _, cc := range avail {
		t.Run(cc, func(t *testing.T) {
			d, err := netx.NewDialer(netx.Config{TCPCongestion: cc})
			if err != nil {
				t.Fatal(err)
			}
			c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			got, err := netx.ConnCongestion(c)
			if err != nil {
				t.Fatal(err)
			}
			if got != cc {
				t.Fatalf("congestion control in effect = %q, want %q", got, cc)
			}
			probe, err := netx.CongestionInEffect(context.Background(), netx.Config{TCPCongestion: cc})
			if err != nil || probe != cc {
				t.Fatalf("CongestionInEffect = %q, %v; want %q", probe, err, cc)
			}
		})
	}
}

func TestCongestionUnavailable(t *testing.T) {
	if _, err := netx.AvailableCongestion(); err != nil {
		t.Skipf("no per-socket congestion control on this system: %v", err)
	}
	const missing = "nosuchcc"
	_, err := netx.NewDialer(netx.Config{TCPCongestion: missing})
	if !errors.Is(err, netx.ErrCongestionUnsupported) || !strings.Contains(err.Error(), "modprobe tcp_nosuchcc") {
		t.Fatalf("NewDialer(%q) = %v, want ErrCongestionUnsupported naming the module to load", missing, err)
	}
	var logs bytes.Buffer
	d, err := netx.NewDialer(netx.Config{TCPCongestion: missing, TCPCongestionBestEffort: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("best effort: %v", err)
	}
	if d.Congestion() != "" || !strings.Contains(logs.String(), "keeping the kernel default") {
		t.Fatalf("best effort: congestion %q, logs %q; want the kernel default and a warning", d.Congestion(), logs.String())
	}
	def, err := netx.CongestionInEffect(context.Background(), netx.Config{TCPCongestion: missing, TCPCongestionBestEffort: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil || def == "" {
		t.Fatalf("CongestionInEffect in best effort = %q, %v; want the kernel default", def, err)
	}
	t.Logf("kernel default congestion control: %s", def)
}

// preferredCongestion is bbr when the kernel offers it and it is not the
// kernel default (so that a test can tell the option was really set), else
// another offered algorithm that is not the default; "" when there is none.
func preferredCongestion(t *testing.T) string {
	avail, err := netx.AvailableCongestion()
	if err != nil || len(avail) == 0 {
		return ""
	}
	def, err := netx.CongestionInEffect(context.Background(), netx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if def != "bbr" && slices.Contains(avail, "bbr") {
		return "bbr"
	}
	for _, cc := range avail {
		if cc != def {
			return cc
		}
	}
	return ""
}

// TestConnectProxy sends HTTPS requests through the egress proxy (plain
// http:// and TLS https:// to the proxy) and checks that the proxy tunnelled
// them with the requested congestion control on its upstream socket.
func TestConnectProxy(t *testing.T) {
	backend := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello over "+r.Proto)
	}))
	defer backend.Close()
	pool := x509.NewCertPool()
	pool.AddCert(backend.Certificate())
	_, port, _ := net.SplitHostPort(backend.Listener.Addr().String())
	portN, _ := strconv.Atoi(port)
	cc := preferredCongestion(t)

	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			logs := &syncBuffer{}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if scheme == "https" {
				ln = tls.NewListener(ln, &tls.Config{Certificates: backend.TLS.Certificates})
			}
			startProxy(t, ln, egressproxy.Config{
				AllowHosts:    []string{"127.0.0.1"},
				AllowPorts:    []int{portN},
				TCPCongestion: cc,
				Logger:        slog.New(slog.NewJSONHandler(logs, nil)),
			})
			client, err := netx.NewHTTPClient(netx.Config{ProxyURL: scheme + "://" + ln.Addr().String(), RootCAs: pool, TCPCongestion: cc})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Get(backend.URL + "/obj")
			if err != nil {
				t.Fatalf("GET through %s proxy: %v", scheme, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "hello over HTTP/1.1" {
				t.Fatalf("body = %q", body)
			}
			opened := waitLog(t, logs, "tunnel opened")
			if cc == "" {
				t.Log("the kernel offers a single congestion control: only the log line is checked")
			} else if opened["congestion"] != cc {
				t.Fatalf("proxy upstream congestion = %v, want %q (log %v)", opened["congestion"], cc, opened)
			}
			t.Logf("proxy tunnel opened with upstream congestion control %v", opened["congestion"])

			// A destination outside the allowlist is refused.
			_, err = client.Get("https://localhost:" + port + "/obj")
			if err == nil || !strings.Contains(err.Error(), "Forbidden") {
				t.Fatalf("GET to a host outside the allowlist: err = %v, want the proxy's 403", err)
			}
		})
	}
}

func TestSOCKS5Proxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "via socks")
	}))
	defer backend.Close()

	var dialed []string
	var mu sync.Mutex
	srv, err := socks5.New(&socks5.Config{
		Credentials: socks5.StaticCredentials{"mig": "pw"},
		Logger:      log.New(io.Discard, "", 0),
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			dialed = append(dialed, addr)
			mu.Unlock()
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { ln.Close() })

	client, err := netx.NewHTTPClient(netx.Config{ProxyURL: "socks5://mig:pw@" + ln.Addr().String(), TCPCongestion: preferredCongestion(t)})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(backend.URL)
	if err != nil {
		t.Fatalf("GET through socks5: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "via socks" {
		t.Fatalf("body = %q", body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialed) != 1 || dialed[0] != backend.Listener.Addr().String() {
		t.Fatalf("socks5 server dialed %v, want exactly the backend %s", dialed, backend.Listener.Addr())
	}

	bad, _ := netx.NewHTTPClient(netx.Config{ProxyURL: "socks5://mig:wrong@" + ln.Addr().String()})
	if _, err := bad.Get(backend.URL); err == nil {
		t.Fatalf("socks5 with a wrong password succeeded")
	} else if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error leaks the proxy password: %v", err)
	}
}

// TestHTTP1Only: even against a server that offers HTTP/2, every request
// uses HTTP/1.1 (one TCP connection, one congestion window per part).
func TestHTTP1Only(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Accept-Encoding", r.Header.Get("Accept-Encoding"))
		_, _ = io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	if !slices.Contains(srv.TLS.NextProtos, "h2") {
		t.Fatalf("test server does not offer h2: %v", srv.TLS.NextProtos)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	client, err := netx.NewHTTPClient(netx.Config{RootCAs: pool, ProxyURL: netx.ProxyDirect})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "HTTP/1.1" {
		t.Fatalf("server saw %q, want HTTP/1.1", body)
	}
	if ae := resp.Header.Get("X-Accept-Encoding"); strings.Contains(ae, "gzip") {
		t.Fatalf("client asked for gzip (%q): bodies would be decompressed behind the caller's back", ae)
	}
}

// TestIdlePoolKeepsPartsInFlight: two rounds of N concurrent requests use
// only N connections, because the idle pool holds all of them.
func TestIdlePoolKeepsPartsInFlight(t *testing.T) {
	const n = 24
	var conns atomic.Int64
	var arrived atomic.Int64
	release := make(chan struct{})
	var round atomic.Pointer[chan struct{}]
	round.Store(&release)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		<-*round.Load() // hold every request until all n are in flight
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client, err := netx.NewHTTPClient(netx.Config{ConnsPerHost: n, ProxyURL: netx.ProxyDirect})
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 2; r++ {
		gate := make(chan struct{})
		round.Store(&gate)
		arrived.Store(0)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := client.Get(srv.URL)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
		waitFor(t, func() bool { return arrived.Load() == n }, "all requests in flight")
		close(gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	if got := conns.Load(); got != n {
		t.Fatalf("%d connections for two rounds of %d parallel requests, want %d (idle connections were dropped and re-dialled)", got, n, n)
	}
}

func TestParseBandwidth(t *testing.T) {
	tests := []struct {
		in       string
		up, down int64
		wantErr  bool
	}{
		{"", 0, 0, false},
		{"0", 0, 0, false},
		{"1024", 1024, 1024, false},
		{"10MiB", 10 << 20, 10 << 20, false},
		{"500K", 500 << 10, 500 << 10, false},
		{"1G:0", 1 << 30, 0, false},
		{"50m:2mb", 50 << 20, 2 << 20, false},
		{"fast", 0, 0, true},
		{"10 parsecs", 0, 0, true},
		{"-5", 0, 0, true},
		{"99999999999999999999", 0, 0, true},
		{"9999999999G", 0, 0, true},
	}
	for _, tt := range tests {
		up, down, err := netx.ParseBandwidth(tt.in)
		if (err != nil) != tt.wantErr || up != tt.up || down != tt.down {
			t.Errorf("ParseBandwidth(%q) = %d, %d, %v; want %d, %d, err=%v", tt.in, up, down, err, tt.up, tt.down, tt.wantErr)
		}
	}
}

func FuzzParseBandwidth(f *testing.F) {
	for _, s := range []string{"", "10MiB", "1G:0", "5k:7M", "x", "1:2:3", "  3 MB "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		up, down, err := netx.ParseBandwidth(s)
		if err != nil {
			return
		}
		if up < 0 || down < 0 {
			t.Fatalf("ParseBandwidth(%q) = %d, %d: negative rate", s, up, down)
		}
		if !strings.Contains(s, ":") && up != down {
			t.Fatalf("ParseBandwidth(%q): one rate gave up %d != down %d", s, up, down)
		}
	})
}

func TestRedactURLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"GET https://b.s3.amazonaws.com/k?X-Amz-Signature=abc&X-Amz-Credential=AKIA 403", "GET https://b.s3.amazonaws.com/k?REDACTED 403"},
		{`Get "http://h:8080/a%20b?sig=1": EOF`, `Get "http://h:8080/a%20b?REDACTED": EOF`},
		{"socks5://user:pw@10.0.0.1:1080 refused", "socks5://REDACTED@10.0.0.1:1080 refused"},
		{"no url here ?x=1", "no url here ?x=1"},
		{"https://h/p", "https://h/p"},
	}
	for _, tt := range tests {
		if got := netx.RedactURLText(tt.in); got != tt.want {
			t.Errorf("RedactURLText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRedactURLText(f *testing.F) {
	f.Add("https://h/p", "k=v")
	f.Add(`Get "http://a/b c`, "X-Amz-Signature=1")
	f.Fuzz(func(t *testing.T, prefix, query string) {
		const secret = "SECRETSIGNATURE0123"
		if strings.ContainsAny(query, " \t\r\n\v\f\"'#\u0085\u00a0") {
			t.Skip("URLs as Go prints them never hold raw whitespace, quotes or a fragment in the query")
		}
		s := prefix + "https://bucket.example/key?" + query + secret + " tail"
		if got := netx.RedactURLText(s); strings.Contains(got, secret) {
			t.Fatalf("RedactURLText(%q) = %q still holds the query", s, got)
		}
	})
}

func listenEcho(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	return ln
}

func startProxy(t *testing.T, ln net.Listener, cfg egressproxy.Config) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- egressproxy.Serve(ctx, ln, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("egress proxy: %v", err)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for a logger and a test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitLog waits for a JSON log line whose msg is msg and returns it.
func waitLog(t *testing.T, logs *syncBuffer, msg string) map[string]any {
	t.Helper()
	var found map[string]any
	waitFor(t, func() bool {
		for _, line := range strings.Split(logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
				found = m
				return true
			}
		}
		return false
	}, "log line "+msg)
	return found
}

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
