package transfer

import (
	"context"
	"sync"
)

// BufferPool hands out part buffers. At most Slots buffers are out at once,
// so the memory for object data is bounded by Slots × the largest part size
// in use. Buffers are reused, so a long run allocates about Slots buffers.
type BufferPool struct {
	slots chan struct{}
	mu    sync.Mutex
	free  [][]byte
}

// NewBufferPool returns a pool of slots buffers (at least 1).
func NewBufferPool(slots int) *BufferPool {
	if slots < 1 {
		slots = 1
	}
	return &BufferPool{slots: make(chan struct{}, slots)}
}

// Slots is the number of buffers that can be out at once.
func (p *BufferPool) Slots() int { return cap(p.slots) }

// Get waits for a free slot and returns a buffer of exactly n bytes.
func (p *BufferPool) Get(ctx context.Context, n int64) ([]byte, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.free) - 1; i >= 0; i-- {
		if int64(cap(p.free[i])) >= n {
			b := p.free[i]
			p.free = append(p.free[:i], p.free[i+1:]...)
			return b[:n], nil
		}
	}
	if len(p.free) > 0 && len(p.free)+len(p.slots) > cap(p.slots) {
		// Drop a smaller buffer so that free + out never exceeds Slots.
		p.free = p.free[1:]
	}
	return make([]byte, n), nil
}

// Put returns a buffer from Get.
func (p *BufferPool) Put(b []byte) {
	p.mu.Lock()
	if len(p.free)+len(p.slots) <= cap(p.slots) {
		p.free = append(p.free, b[:0])
	}
	p.mu.Unlock()
	<-p.slots
}
