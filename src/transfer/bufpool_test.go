package transfer

import (
	"context"
	"testing"
	"time"
)

func TestBufferPoolBoundsMemory(t *testing.T) {
	ctx := context.Background()
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	p := NewBufferPool(2, 10) // budget 20 bytes
	a, _ := p.Get(ctx, 10)
	b, _ := p.Get(ctx, 3) // weighs one unit
	if len(a) != 10 || len(b) != 3 {
		t.Fatalf("lengths %d, %d", len(a), len(b))
	}
	if _, err := p.Get(short(), 1); err == nil {
		t.Fatal("a third buffer was handed out beyond the budget")
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
	// A buffer larger than the budget is handed out alone.
	big, err := p.Get(ctx, 50)
	if err != nil || len(big) != 50 {
		t.Fatalf("oversized get: %d, %v", len(big), err)
	}
	if _, err := p.Get(short(), 1); err == nil {
		t.Fatal("a buffer was handed out next to one that takes the whole budget")
	}
	p.Put(big)
	// Growing requests replace free buffers instead of piling them up.
	for i := 0; i < 10; i++ {
		x, _ := p.Get(ctx, int64(12+i))
		p.Put(x)
	}
	if p.held > p.Budget() {
		t.Fatalf("%d bytes held for a budget of %d", p.held, p.Budget())
	}
}
