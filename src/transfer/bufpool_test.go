package transfer

import (
	"context"
	"testing"
	"time"
)

func TestBufferPoolBoundsBuffersOut(t *testing.T) {
	p := NewBufferPool(2)
	ctx := context.Background()
	a, _ := p.Get(ctx, 10)
	b, _ := p.Get(ctx, 20)
	if len(a) != 10 || len(b) != 20 {
		t.Fatalf("lengths %d, %d", len(a), len(b))
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.Get(short, 5); err == nil {
		t.Fatal("a third buffer was handed out from a pool of 2")
	}
	p.Put(a)
	c, err := p.Get(ctx, 8)
	if err != nil {
		t.Fatal(err)
	}
	if &c[:1][0] != &a[:1][0] {
		t.Fatal("a returned buffer large enough was not reused")
	}
	p.Put(b)
	p.Put(c)
	// Asking for larger buffers than any free one replaces, never accumulates.
	for i := 0; i < 10; i++ {
		x, _ := p.Get(ctx, int64(100+i))
		p.Put(x)
	}
	if len(p.free) > p.Slots() {
		t.Fatalf("%d free buffers kept for %d slots", len(p.free), p.Slots())
	}
}
