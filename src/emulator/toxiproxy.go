package emulator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// Toxiproxy is a running toxiproxy-server (v2.5.0, from scripts/tools.sh)
// with a client for its API.
type Toxiproxy struct {
	APIAddr string
	Client  *toxiproxy.Client
	Process *Process
}

// StartToxiproxy runs .tools/bin/toxiproxy-server on a free loopback port
// and stops it when the test ends.
func StartToxiproxy(t testing.TB) *Toxiproxy {
	t.Helper()
	bin := Tool(t, "toxiproxy-server")
	port := FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := StartProcess(t, "toxiproxy-server", addr, nil, bin, "-host", "127.0.0.1", "-port", strconv.Itoa(port))
	return &Toxiproxy{APIAddr: addr, Client: toxiproxy.NewClient(addr), Process: p}
}

// ToxicProxy is one proxy of a Toxiproxy: connect to Addr() to reach the
// upstream through the toxics added to it.
type ToxicProxy struct {
	*toxiproxy.Proxy
}

// Proxy creates a proxy named name to upstream (host:port), listening on a
// free loopback port, and deletes it when the test ends.
func (tp *Toxiproxy) Proxy(t testing.TB, name, upstream string) *ToxicProxy {
	t.Helper()
	p, err := tp.Client.CreateProxy(name, "127.0.0.1:0", upstream)
	if err != nil {
		t.Fatalf("emulator: toxiproxy: create proxy %s to %s: %v", name, upstream, err)
	}
	t.Cleanup(func() { _ = p.Delete() })
	return &ToxicProxy{Proxy: p}
}

// Addr is the proxy's listening address (host:port).
func (p *ToxicProxy) Addr() string { return p.Listen }

// Streams of a toxic: what the client sends (upstream) or receives (downstream).
const (
	Upstream   = "upstream"
	Downstream = "downstream"
)

func (p *ToxicProxy) add(t testing.TB, typ, stream string, attrs toxiproxy.Attributes) string {
	t.Helper()
	name := typ + "_" + stream
	if _, err := p.AddToxic(name, typ, stream, 1, attrs); err != nil {
		t.Fatalf("emulator: toxiproxy: add %s toxic to %s: %v", name, p.Name, err)
	}
	return name
}

// Latency delays every chunk on stream by ms milliseconds (± jitterMs).
// It returns the toxic's name for RemoveToxic.
func (p *ToxicProxy) Latency(t testing.TB, stream string, ms, jitterMs int) string {
	return p.add(t, "latency", stream, toxiproxy.Attributes{"latency": ms, "jitter": jitterMs})
}

// Bandwidth limits each connection on stream to kbPerSec kilobytes per second.
func (p *ToxicProxy) Bandwidth(t testing.TB, stream string, kbPerSec int) string {
	return p.add(t, "bandwidth", stream, toxiproxy.Attributes{"rate": kbPerSec})
}

// ResetPeer resets every connection (TCP RST) afterMs milliseconds after
// the first data on stream (0: at once).
func (p *ToxicProxy) ResetPeer(t testing.TB, stream string, afterMs int) string {
	return p.add(t, "reset_peer", stream, toxiproxy.Attributes{"timeout": afterMs})
}

// LimitData closes each connection once n bytes passed on stream.
func (p *ToxicProxy) LimitData(t testing.TB, stream string, n int) string {
	return p.add(t, "limit_data", stream, toxiproxy.Attributes{"bytes": n})
}

// Remove removes a toxic by the name an adding method returned.
func (p *ToxicProxy) Remove(t testing.TB, name string) {
	t.Helper()
	if err := p.RemoveToxic(name); err != nil {
		t.Fatalf("emulator: toxiproxy: remove toxic %s from %s: %v", name, p.Name, err)
	}
}

// CorruptingProxy is an in-process TCP forwarder for plain HTTP/1.1 that
// flips one byte in the middle of the Nth request body it forwards upstream
// (counting requests with a body, over all connections), and forwards every
// other byte unchanged. Toxiproxy has no byte-flipping toxic; this is what a
// test uses to prove a corrupted upload never becomes an object.
type CorruptingProxy struct {
	Addr      string // listen address (host:port) on loopback
	upstream  string
	nth       int64
	bodies    atomic.Int64
	corrupted atomic.Int64
	ln        net.Listener
	wg        sync.WaitGroup
}

// StartCorruptingProxy forwards 127.0.0.1:<free> to upstream, corrupting the
// nth request body (1-based), and stops when the test ends.
func StartCorruptingProxy(t testing.TB, upstream string, nth int) *CorruptingProxy {
	t.Helper()
	if nth < 1 {
		t.Fatalf("emulator: corrupting proxy: nth must be >= 1, got %d", nth)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("emulator: corrupting proxy: listen: %v", err)
	}
	p := &CorruptingProxy{Addr: ln.Addr().String(), upstream: upstream, nth: int64(nth), ln: ln}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
	})
	return p
}

// Bodies is how many request bodies started passing through so far.
func (p *CorruptingProxy) Bodies() int { return int(p.bodies.Load()) }

// Corrupted is how many bodies had a byte flipped (0 or 1).
func (p *CorruptingProxy) Corrupted() int { return int(p.corrupted.Load()) }

func (p *CorruptingProxy) accept() {
	defer p.wg.Done()
	var conns sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]struct{}{}
	defer func() {
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	}()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		mu.Lock()
		open[c] = struct{}{}
		mu.Unlock()
		conns.Add(1)
		go func() {
			defer conns.Done()
			p.serve(c)
			mu.Lock()
			delete(open, c)
			mu.Unlock()
		}()
	}
}

func (p *CorruptingProxy) serve(client net.Conn) {
	defer client.Close()
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(client, up) // responses pass unchanged
		client.Close()
		close(done)
	}()
	br := bufio.NewReaderSize(client, 64<<10)
	for {
		if err := p.forwardRequest(br, up); err != nil {
			break
		}
	}
	if tc, ok := up.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	<-done
}

// forwardRequest copies one request (head, then body) from br to up.
func (p *CorruptingProxy) forwardRequest(br *bufio.Reader, up io.Writer) error {
	var head bytes.Buffer
	contentLength, chunked := int64(0), false
	for first := true; ; first = false {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return err
		}
		head.Write(line)
		text := strings.TrimRight(string(line), "\r\n")
		if text == "" {
			if first {
				continue // stray CRLF between requests
			}
			break
		}
		name, value, ok := strings.Cut(text, ":")
		if first || !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "content-length":
			if contentLength, err = strconv.ParseInt(value, 10, 64); err != nil {
				return fmt.Errorf("bad Content-Length %q", value)
			}
		case "transfer-encoding":
			chunked = strings.Contains(strings.ToLower(value), "chunked")
		}
	}
	if _, err := up.Write(head.Bytes()); err != nil {
		return err
	}
	if !chunked && contentLength == 0 {
		return nil
	}
	corrupt := p.bodies.Add(1) == p.nth
	if !chunked {
		return p.copyBody(br, up, contentLength, corrupt)
	}
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return err
		}
		if _, err := up.Write(line); err != nil {
			return err
		}
		sizeText, _, _ := strings.Cut(strings.TrimSpace(string(line)), ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 { // trailer section up to the blank line
			for {
				tl, err := br.ReadBytes('\n')
				if err != nil {
					return err
				}
				if _, err := up.Write(tl); err != nil {
					return err
				}
				if strings.TrimRight(string(tl), "\r\n") == "" {
					return nil
				}
			}
		}
		if err := p.copyBody(br, up, size, corrupt); err != nil {
			return err
		}
		corrupt = false // one flipped byte, in the first chunk
		crlf, err := br.ReadBytes('\n')
		if err != nil {
			return err
		}
		if _, err := up.Write(crlf); err != nil {
			return err
		}
	}
}

// copyBody copies n bytes, flipping the middle one when corrupt is set.
func (p *CorruptingProxy) copyBody(br *bufio.Reader, up io.Writer, n int64, corrupt bool) error {
	flipAt := n / 2
	buf := make([]byte, 32<<10)
	for off := int64(0); off < n; {
		m, err := io.ReadFull(br, buf[:min(int64(len(buf)), n-off)])
		if corrupt && flipAt >= off && flipAt < off+int64(m) {
			buf[flipAt-off] ^= 0xFF
			p.corrupted.Add(1)
		}
		if m > 0 {
			if _, werr := up.Write(buf[:m]); werr != nil {
				return werr
			}
		}
		off += int64(m)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			return err
		}
	}
	return nil
}
