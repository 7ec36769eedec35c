package netx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// countingBucket is a real rate.Limiter that records every charge.
type countingBucket struct {
	*rate.Limiter
	mu      sync.Mutex
	charged int64
	largest int
}

func (c *countingBucket) WaitN(ctx context.Context, n int) error {
	c.mu.Lock()
	c.charged += int64(n)
	c.largest = max(c.largest, n)
	c.mu.Unlock()
	return c.Limiter.WaitN(ctx, n)
}

// TestLimitedTransportChargesEveryByte: every byte of request and response
// bodies costs one token, charged in pieces no larger than the burst.
func TestLimitedTransportChargesEveryByte(t *testing.T) {
	const upSize, downSize = 300_001, 200_003
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		if n != upSize {
			http.Error(w, "short body", http.StatusBadRequest)
			return
		}
		_, _ = w.Write(bytes.Repeat([]byte("d"), downSize))
	}))
	defer srv.Close()

	const burst = 16 << 10
	up := &countingBucket{Limiter: rate.NewLimiter(rate.Inf, burst)}
	down := &countingBucket{Limiter: rate.NewLimiter(rate.Inf, burst)}
	base, err := NewTransport(Config{ProxyURL: ProxyDirect})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &limitedTransport{base: base, up: up, down: down}}
	for i := 0; i < 2; i++ { // the buckets are shared by all requests of the client
		resp, err := client.Post(srv.URL, "application/octet-stream", bytes.NewReader(make([]byte, upSize)))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || got != downSize {
			t.Fatalf("status %d, %d bytes", resp.StatusCode, got)
		}
	}
	if up.charged != 2*upSize || down.charged != 2*downSize {
		t.Fatalf("charged up %d / down %d tokens, want %d / %d (one per byte)", up.charged, down.charged, 2*upSize, 2*downSize)
	}
	if up.largest > burst || down.largest > burst {
		t.Fatalf("largest charge up %d / down %d exceeds the burst %d", up.largest, down.largest, burst)
	}
}

// TestLimitedTransportBounds: with a bucket of 64 KiB and 1 byte/s, a body
// of the burst size passes at once and one twice as large cannot finish.
// (No timing is measured: at 1 byte/s the second body needs 18 hours.)
func TestLimitedTransportBounds(t *testing.T) {
	const burst = 64 << 10
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	base, err := NewTransport(Config{ProxyURL: ProxyDirect})
	if err != nil {
		t.Fatal(err)
	}
	lim := rate.NewLimiter(1, burst)
	client := &http.Client{Transport: &limitedTransport{base: base, up: lim}}

	post := func(size int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL, bytes.NewReader(make([]byte, size)))
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := post(burst); err != nil {
		t.Fatalf("a body of the burst size: %v", err)
	}
	if tokens := lim.Tokens(); tokens > 100 {
		t.Fatalf("%f tokens left after sending the whole burst", tokens)
	}
	if err := post(2 * burst); err == nil {
		t.Fatalf("a body twice the burst passed a 1 byte/s limit")
	} else if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "bandwidth limit") {
		t.Fatalf("over-limit body: %v, want the bandwidth limit to stop it", err)
	}
}

func TestNewBucketBurst(t *testing.T) {
	for _, tt := range []struct {
		bps   int64
		burst int
	}{{1, 16 << 10}, {100 << 10, 16 << 10}, {10 << 20, 1 << 20}, {1 << 40, 1 << 20}, {1 << 20, 104857}} {
		b := newBucket(tt.bps)
		if b == nil || b.Burst() != tt.burst {
			t.Errorf("newBucket(%d) burst = %v, want %d", tt.bps, b, tt.burst)
		}
	}
	if newBucket(0) != nil {
		t.Errorf("newBucket(0) is not unlimited")
	}
}
