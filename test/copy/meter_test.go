package copytest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// meter is a TCP forwarder put in front of the destination. It reads the
// byte stream from the tool as HTTP/1.1 requests, records each request's
// method, target, headers and body length, counts the body bytes of PUT
// requests (PutObject and UploadPart: the object data that reached the
// destination) and can hold those bodies once a given count is reached, so
// a test can kill the tool at an exact number of bytes seen by the
// destination instead of after a sleep. Responses pass through unchanged.
type meter struct {
	addr     string
	upstream string
	ln       net.Listener

	mu       sync.Mutex
	cond     *sync.Cond
	putBytes int64 // PUT body bytes forwarded so far
	holdAt   int64 // > 0: PUT bodies stop once putBytes reaches it
	reqs     []meteredRequest
	errs     []error
	conns    map[net.Conn]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// meteredRequest is one request the destination received.
type meteredRequest struct {
	Method string
	Target string // path and query as sent
	Header http.Header
	Body   int64 // declared Content-Length
}

func startMeter(t *testing.T, upstream string) *meter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("meter: listen: %v", err)
	}
	m := &meter{addr: ln.Addr().String(), upstream: upstream, ln: ln, conns: map[net.Conn]struct{}{}}
	m.cond = sync.NewCond(&m.mu)
	m.wg.Add(1)
	go m.accept()
	t.Cleanup(m.close)
	return m
}

func (m *meter) close() {
	m.mu.Lock()
	m.closed = true
	m.holdAt = 0
	for c := range m.conns {
		c.Close()
	}
	m.cond.Broadcast()
	m.mu.Unlock()
	m.ln.Close()
	m.wg.Wait()
}

// PutBytes is the number of PUT body bytes forwarded so far.
func (m *meter) PutBytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.putBytes
}

// Hold makes PUT bodies stop (mid-body) once n bytes in total have been
// forwarded; Hold(0) releases them.
func (m *meter) Hold(n int64) {
	m.mu.Lock()
	m.holdAt = n
	m.cond.Broadcast()
	m.mu.Unlock()
}

// cut closes every open connection, as if the network path died with the
// tool, releases the hold and waits until every connection has ended, so
// PutBytes counts exactly the bytes the destination received.
func (m *meter) cut(t *testing.T) {
	t.Helper()
	m.mu.Lock()
	for c := range m.conns {
		c.Close()
	}
	m.holdAt = 0
	m.cond.Broadcast()
	m.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m.mu.Lock()
		open := len(m.conns)
		m.mu.Unlock()
		if open == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("meter: %d connections still open 30s after cut", open)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Requests returns the requests seen so far.
func (m *meter) Requests() []meteredRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]meteredRequest(nil), m.reqs...)
}

// Errors returns requests the meter could not parse (a test asserts none).
func (m *meter) Errors() []error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]error(nil), m.errs...)
}

// waitHeld polls until the held count is reached, failing the test when
// the process ends first or the deadline passes.
func (m *meter) waitHeld(t *testing.T, p *proc, n int64) {
	t.Helper()
	deadline := time.Now().Add(runTimeout)
	for m.PutBytes() < n {
		if p.exited() {
			t.Fatalf("s3migrate ended before the destination saw %d bytes (saw %d)\nstderr:\n%s", n, m.PutBytes(), tail(p.stderr.String()))
		}
		if time.Now().After(deadline) {
			t.Fatalf("destination saw only %d of %d bytes within %s", m.PutBytes(), n, runTimeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (m *meter) accept() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			return
		}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			c.Close()
			return
		}
		m.conns[c] = struct{}{}
		m.mu.Unlock()
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.serve(c)
			m.mu.Lock()
			delete(m.conns, c)
			m.mu.Unlock()
		}()
	}
}

func (m *meter) serve(client net.Conn) {
	defer client.Close()
	up, err := net.Dial("tcp", m.upstream)
	if err != nil {
		return
	}
	m.mu.Lock()
	m.conns[up] = struct{}{}
	m.mu.Unlock()
	defer func() {
		up.Close()
		m.mu.Lock()
		delete(m.conns, up)
		m.mu.Unlock()
	}()
	down := make(chan struct{})
	go func() {
		_, _ = io.Copy(client, up)
		client.Close()
		close(down)
	}()
	br := bufio.NewReaderSize(client, 64<<10)
	for m.forward(br, up) == nil {
	}
	if tc, ok := up.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	<-down
}

// forward copies one request from br to up.
func (m *meter) forward(br *bufio.Reader, up io.Writer) error {
	var head bytes.Buffer
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return err
		}
		if head.Len() == 0 && strings.TrimSpace(string(line)) == "" {
			continue
		}
		head.Write(line)
		if string(line) == "\r\n" || string(line) == "\n" {
			break
		}
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head.Bytes())))
	if err != nil {
		m.fail(fmt.Errorf("parse request head %q: %w", head.String(), err))
		return err
	}
	if len(req.TransferEncoding) > 0 {
		err := fmt.Errorf("%s %s: chunked bodies are not metered", req.Method, req.RequestURI)
		m.fail(err)
		return err
	}
	m.mu.Lock()
	m.reqs = append(m.reqs, meteredRequest{Method: req.Method, Target: req.RequestURI, Header: req.Header, Body: req.ContentLength})
	m.mu.Unlock()
	if _, err := up.Write(head.Bytes()); err != nil {
		return err
	}
	isPut := req.Method == http.MethodPut
	buf := make([]byte, 32<<10)
	for left := max(req.ContentLength, 0); left > 0; {
		n := min(int64(len(buf)), left)
		if isPut {
			if n = m.admit(n); n == 0 {
				return errors.New("meter closed")
			}
		}
		got, err := io.ReadFull(br, buf[:n])
		if isPut && int64(got) < n {
			m.mu.Lock()
			m.putBytes -= n - int64(got)
			m.mu.Unlock()
		}
		if got > 0 {
			if _, werr := up.Write(buf[:got]); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
		left -= int64(got)
	}
	return nil
}

// admit waits while PUT bodies are held and reserves up to n bytes.
func (m *meter) admit(n int64) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	for m.holdAt > 0 && m.putBytes >= m.holdAt && !m.closed {
		m.cond.Wait()
	}
	if m.closed {
		return 0
	}
	if m.holdAt > 0 {
		n = min(n, m.holdAt-m.putBytes)
	}
	m.putBytes += n
	return n
}

func (m *meter) fail(err error) {
	m.mu.Lock()
	m.errs = append(m.errs, err)
	m.mu.Unlock()
}

// uploadBodies returns the PUT requests that carried object bytes.
func uploadBodies(reqs []meteredRequest) []meteredRequest {
	var out []meteredRequest
	for _, r := range reqs {
		if r.Method == http.MethodPut && r.Body > 0 && r.Header.Get("X-Amz-Copy-Source") == "" {
			out = append(out, r)
		}
	}
	return out
}
