package transfer

import (
	"context"
	"sync"

	"golang.org/x/sync/semaphore"
)

// BufferPool hands out part buffers within a memory budget of slots ×
// unit bytes. A buffer weighs its length, but at least one unit (so slots
// also bounds how many parts are in flight, even tiny or server-side ones)
// and at most the whole budget (a buffer larger than the budget is handed
// out alone). Grown parts of huge objects therefore share the same budget:
// fewer of them are in flight, and memory stays bounded. Buffers are reused.
type BufferPool struct {
	slots  int
	unit   int64
	budget int64
	sem    *semaphore.Weighted

	mu   sync.Mutex
	free [][]byte
	held int64 // bytes of buffers out or free
}

// NewBufferPool returns a pool of slots buffers of unit bytes (at least 1
// of each).
func NewBufferPool(slots int, unit int64) *BufferPool {
	slots, unit = max(slots, 1), max(unit, 1)
	return &BufferPool{slots: slots, unit: unit, budget: int64(slots) * unit, sem: semaphore.NewWeighted(int64(slots) * unit)}
}

// Slots is the number of unit-sized buffers that fit the budget.
func (p *BufferPool) Slots() int { return p.slots }

// Budget is the memory budget in bytes.
func (p *BufferPool) Budget() int64 { return p.budget }

func (p *BufferPool) weight(n int64) int64 { return min(max(n, p.unit), p.budget) }

// Get waits until n bytes fit the budget and returns a buffer of exactly n bytes.
func (p *BufferPool) Get(ctx context.Context, n int64) ([]byte, error) {
	if err := p.sem.Acquire(ctx, p.weight(n)); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	best := -1
	for i, b := range p.free {
		if int64(cap(b)) >= n && (best < 0 || cap(b) < cap(p.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := p.free[best]
		p.free = append(p.free[:best], p.free[best+1:]...)
		return b[:n], nil
	}
	// Drop free buffers until the new one fits next to what is held.
	for len(p.free) > 0 && p.held+n > max(p.budget, n) {
		p.held -= int64(cap(p.free[0]))
		p.free = p.free[1:]
	}
	p.held += n
	return make([]byte, n), nil
}

// Put returns a buffer from Get (with the length Get gave it).
func (p *BufferPool) Put(b []byte) {
	n := int64(len(b))
	p.mu.Lock()
	if p.held > p.budget {
		p.held -= int64(cap(b)) // over budget (an oversized buffer): let it go
	} else {
		p.free = append(p.free, b[:0])
	}
	p.mu.Unlock()
	p.sem.Release(p.weight(n))
}
