package egressproxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := Config{Listen: "127.0.0.1:3128", AllowHosts: []string{"s3.cn-northwest-1.amazonaws.com.cn", "*.amazonaws.com.cn"}}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"valid", func(*Config) {}, ""},
		{"ip and ipv6 hosts", func(c *Config) { c.AllowHosts = []string{"10.0.0.1", "[::1]", "S3.Example.COM."} }, ""},
		{"no listen", func(c *Config) { c.Listen = "" }, "listen address is empty"},
		{"listen without port", func(c *Config) { c.Listen = "0.0.0.0" }, "not host:port"},
		{"no hosts", func(c *Config) { c.AllowHosts = nil }, "open proxy"},
		{"star", func(c *Config) { c.AllowHosts = []string{"*"} }, "would allow everything"},
		{"inner wildcard", func(c *Config) { c.AllowHosts = []string{"s3.*.amazonaws.com"} }, "first label"},
		{"double wildcard", func(c *Config) { c.AllowHosts = []string{"*.*.com"} }, "first label"},
		{"host with port", func(c *Config) { c.AllowHosts = []string{"s3.amazonaws.com:443"} }, "neither a host name"},
		{"host with scheme", func(c *Config) { c.AllowHosts = []string{"https://s3.amazonaws.com"} }, "neither a host name"},
		{"bad port", func(c *Config) { c.AllowPorts = []int{0} }, "not a TCP port"},
		{"negative tunnels", func(c *Config) { c.MaxTunnels = -1 }, "max tunnels"},
		{"negative idle", func(c *Config) { c.IdleTimeout = -time.Second }, "idle timeout"},
		{"bad congestion", func(c *Config) { c.TCPCongestion = "B B R" }, "not an algorithm name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestAllowlist(t *testing.T) {
	a, err := newHostAllowlist([]string{"s3.cn-northwest-1.amazonaws.com.cn", "*.s3.cn-north-1.amazonaws.com.cn", "10.0.0.7", "[2001:db8::1]"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		want bool
	}{
		{"s3.cn-northwest-1.amazonaws.com.cn", true},
		{"S3.CN-NORTHWEST-1.AMAZONAWS.COM.CN.", true},
		{"bucket.s3.cn-north-1.amazonaws.com.cn", true},
		{"a.b.s3.cn-north-1.amazonaws.com.cn", true},
		{"s3.cn-north-1.amazonaws.com.cn", false}, // the wildcard does not match its own suffix
		{"evil-s3.cn-north-1.amazonaws.com.cn", false},
		{"s3.cn-northwest-1.amazonaws.com.cn.evil.com", false},
		{"bucket.s3.cn-northwest-1.amazonaws.com.cn", false},
		{"10.0.0.7", true},
		{"10.0.0.8", false},
		{"2001:db8:0::1", true},
		{"", false},
	}
	for _, tt := range tests {
		if got := a.allows(normalizeHost(tt.host)); got != tt.want {
			t.Errorf("allows(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func FuzzAllowlist(f *testing.F) {
	f.Add("*.amazonaws.com.cn", "bucket.s3.amazonaws.com.cn")
	f.Add("s3.amazonaws.com", "S3.amazonaws.com.")
	f.Add("10.0.0.1", "10.0.0.01")
	f.Fuzz(func(t *testing.T, pattern, host string) {
		a, err := newHostAllowlist([]string{pattern})
		if err != nil {
			return
		}
		h := normalizeHost(host)
		if !a.allows(h) {
			return
		}
		// Whatever is allowed is the pattern itself or a name under its wildcard suffix.
		p := normalizeHost(pattern)
		if h != p && !(strings.HasPrefix(p, "*.") && strings.HasSuffix(h, p[1:]) && len(h) > len(p)-1) {
			t.Fatalf("pattern %q allows %q", pattern, host)
		}
	})
}

// echoServer echoes every connection back to its sender.
func echoServer(t *testing.T) (host string, port int) {
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
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

type started struct {
	addr   string
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, cfg Config) *started {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &started{addr: ln.Addr().String(), logs: &syncBuffer{}, done: make(chan error, 1)}
	cfg.Logger = slog.New(slog.NewJSONHandler(s.logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- Serve(ctx, ln, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

// connect opens a tunnel and returns the connection and the status code.
func connect(t *testing.T, proxyAddr, target string) (net.Conn, *bufio.Reader, int) {
	t.Helper()
	c, err := net.Dial("tcp", proxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatalf("CONNECT %s: %v", target, err)
	}
	return c, br, resp.StatusCode
}

func TestTunnel(t *testing.T) {
	host, port := echoServer(t)
	p := start(t, Config{AllowHosts: []string{host}, AllowPorts: []int{port}})
	target := net.JoinHostPort(host, strconv.Itoa(port))

	c, br, code := connect(t, p.addr, target)
	if code != http.StatusOK {
		t.Fatalf("CONNECT status %d", code)
	}
	payload := bytes.Repeat([]byte("0123456789"), 100_000)
	go func() {
		_, _ = c.Write(payload)
		_ = c.(*net.TCPConn).CloseWrite() // half-close: the echo ends, then the tunnel
	}()
	got, err := io.ReadAll(br)
	if err != nil {
		t.Fatalf("read through tunnel: %v", err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("echoed %d bytes, want the %d sent", len(got), len(payload))
	}
	closed := waitLog(t, p.logs, "tunnel closed")
	if closed["bytes_up"] != float64(len(payload)) || closed["bytes_down"] != float64(len(payload)) {
		t.Fatalf("tunnel closed log %v, want %d bytes each way", closed, len(payload))
	}
	opened := waitLog(t, p.logs, "tunnel opened")
	if cc, _ := opened["congestion"].(string); cc == "" {
		t.Fatalf("tunnel opened log %v has no congestion control", opened)
	}
}

func TestRefusals(t *testing.T) {
	host, port := echoServer(t)
	p := start(t, Config{AllowHosts: []string{host, "*.allowed.test"}}) // port allowlist: 443 only

	tests := []struct {
		name, target string
		want         int
	}{
		{"port not allowed", net.JoinHostPort(host, strconv.Itoa(port)), http.StatusForbidden},
		{"host not allowed", "example.com:443", http.StatusForbidden},
		{"suffix itself not allowed", "allowed.test:443", http.StatusForbidden},
		{"no port", host, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, code := connect(t, p.addr, tt.target); code != tt.want {
				t.Fatalf("CONNECT %s = %d, want %d", tt.target, code, tt.want)
			}
		})
	}
	t.Run("plain GET refused", func(t *testing.T) {
		resp, err := http.Get("http://" + p.addr + "/anything")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET = %d, want 405", resp.StatusCode)
		}
	})
	t.Run("forward proxy GET refused", func(t *testing.T) {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("absolute-URI GET = %d, want 405", resp.StatusCode)
		}
	})
	t.Run("healthz", func(t *testing.T) {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "ok\n" {
			t.Fatalf("healthz = %d %q", resp.StatusCode, body)
		}
	})
}

func TestMaxTunnels(t *testing.T) {
	host, port := echoServer(t)
	p := start(t, Config{AllowHosts: []string{host}, AllowPorts: []int{port}, MaxTunnels: 2})
	target := net.JoinHostPort(host, strconv.Itoa(port))
	c1, _, code1 := connect(t, p.addr, target)
	_, _, code2 := connect(t, p.addr, target)
	if code1 != 200 || code2 != 200 {
		t.Fatalf("first two tunnels: %d, %d", code1, code2)
	}
	if _, _, code := connect(t, p.addr, target); code != http.StatusServiceUnavailable {
		t.Fatalf("third tunnel = %d, want 503", code)
	}
	c1.Close()
	// Once one closes, a new tunnel is admitted again.
	waitFor(t, func() bool {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			return false
		}
		defer c.Close()
		fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
		resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
		return err == nil && resp.StatusCode == 200
	}, "a tunnel slot to free up")
}

func TestIdleTunnelIsClosed(t *testing.T) {
	host, port := echoServer(t)
	p := start(t, Config{AllowHosts: []string{host}, AllowPorts: []int{port}, IdleTimeout: 200 * time.Millisecond})
	c, br, code := connect(t, p.addr, net.JoinHostPort(host, strconv.Itoa(port)))
	if code != 200 {
		t.Fatalf("CONNECT = %d", code)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadAll(br); err != nil {
		t.Fatalf("idle tunnel was not closed by the proxy: %v", err)
	}
	waitLog(t, p.logs, "tunnel closed")
}

func TestShutdownClosesTunnels(t *testing.T) {
	host, port := echoServer(t)
	p := start(t, Config{AllowHosts: []string{host}, AllowPorts: []int{port}})
	c, br, code := connect(t, p.addr, net.JoinHostPort(host, strconv.Itoa(port)))
	if code != 200 {
		t.Fatalf("CONNECT = %d", code)
	}
	p.cancel()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadAll(br); err != nil {
		t.Fatalf("tunnel still open after shutdown: %v", err)
	}
	if err := <-p.done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
	p.done <- nil // for the cleanup
}

func TestRunListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Listen: addr, AllowHosts: []string{"s3.amazonaws.com"}, Logger: slog.New(slog.DiscardHandler)})
	}()
	waitFor(t, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, "Run to listen")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), Config{Listen: addr}); err == nil || !strings.Contains(err.Error(), "open proxy") {
		t.Fatalf("Run without an allowlist = %v", err)
	}
}

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
