package netx

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/time/rate"
)

// tokenBucket is the part of *rate.Limiter the limited bodies use: one token
// per byte.
type tokenBucket interface {
	WaitN(ctx context.Context, n int) error
	Burst() int
}

// newBucket returns a token bucket for bytesPerSec, or nil for unlimited.
// The burst (and so the largest single wait) is a tenth of a second of
// traffic, at least 16 KiB and at most 1 MiB.
func newBucket(bytesPerSec int64) tokenBucket {
	if bytesPerSec <= 0 {
		return nil
	}
	burst := min(max(bytesPerSec/10, 16<<10), 1<<20)
	return rate.NewLimiter(rate.Limit(bytesPerSec), int(burst))
}

// limitedTransport charges request bodies to up and response bodies to down.
type limitedTransport struct {
	base     http.RoundTripper
	up, down tokenBucket // nil = unlimited
}

func newLimitedTransport(base http.RoundTripper, upBps, downBps int64) http.RoundTripper {
	up, down := newBucket(upBps), newBucket(downBps)
	if up == nil && down == nil {
		return base
	}
	return &limitedTransport{base: base, up: up, down: down}
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if t.up != nil && req.Body != nil && req.Body != http.NoBody {
		r := *req // a RoundTripper must not modify the caller's request
		r.Body = &limitedBody{rc: req.Body, bucket: t.up, ctx: ctx}
		if req.GetBody != nil {
			r.GetBody = func() (io.ReadCloser, error) {
				b, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				return &limitedBody{rc: b, bucket: t.up, ctx: ctx}, nil
			}
		}
		req = &r
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || t.down == nil || resp.Body == nil || resp.Body == http.NoBody {
		return resp, err
	}
	resp.Body = &limitedBody{rc: resp.Body, bucket: t.down, ctx: ctx}
	return resp, nil
}

// limitedBody hands out bytes only once the bucket has a token for each.
type limitedBody struct {
	rc     io.ReadCloser
	bucket tokenBucket
	ctx    context.Context
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if burst := b.bucket.Burst(); len(p) > burst {
		p = p[:burst]
	}
	n, err := b.rc.Read(p)
	if n > 0 {
		if werr := b.bucket.WaitN(b.ctx, n); werr != nil {
			return n, fmt.Errorf("bandwidth limit: %w", werr)
		}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// ParseBandwidth parses a bandwidth limit flag: one rate for both directions
// ("10MiB") or "UP:DOWN" ("50M:0"), in bytes per second with an optional
// unit (B, K/KB/KiB, M/MB/MiB, G/GB/GiB; K, M and G are powers of 1024).
// "" and "0" mean unlimited.
func ParseBandwidth(s string) (upBps, downBps int64, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, nil
	}
	up, down, two := strings.Cut(s, ":")
	if upBps, err = parseByteRate(up); err != nil {
		return 0, 0, err
	}
	if !two {
		return upBps, upBps, nil
	}
	if downBps, err = parseByteRate(down); err != nil {
		return 0, 0, err
	}
	return upBps, downBps, nil
}

func parseByteRate(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("bandwidth %q: want a number of bytes per second with an optional unit, e.g. 10MiB or 500K", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bandwidth %q: %w", s, err)
	}
	var mult int64
	switch strings.ToLower(strings.TrimSpace(s[i:])) {
	case "", "b":
		mult = 1
	case "k", "kb", "kib":
		mult = 1 << 10
	case "m", "mb", "mib":
		mult = 1 << 20
	case "g", "gb", "gib":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("bandwidth %q: unknown unit %q (use B, KiB, MiB or GiB)", s, s[i:])
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("bandwidth %q is too large", s)
	}
	return n * mult, nil
}
