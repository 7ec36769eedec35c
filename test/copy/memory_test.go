package copytest

import (
	"testing"
)

// The part buffers are the only object data in memory: copying a 200 MiB
// object with 4 parts of 8 MiB in flight keeps the process's peak resident
// set below parts in flight × part size plus a fixed allowance for the
// runtime, the SDK and SQLite. (Peak RSS is the kernel's VmHWM of the
// process: a measurement of size, not of time.)
func TestPeakMemoryBoundedByPartsInFlight(t *testing.T) {
	t.Parallel()
	const (
		size          = 200 * mib
		partSize      = 8 * mib
		partsInFlight = 4
		allowance     = 120 * mib
	)
	w, _ := newWorld(t, worldOptions{})
	body := randomBytes(testSeed(t), size)
	w.src.put(t, "mem/object.bin", body)
	r := w.copy(t, "mem/", "mem/", "--part-size", "8MiB", "--parts-in-flight", "4", "--objects-in-flight", "4")
	if r.code != 0 {
		t.Fatalf("copy: %s", r)
	}
	if got := w.dst.get(t, "mem/object.bin"); sha(got) != sha(body) {
		t.Fatalf("destination object differs from the source")
	}
	peak := r.peakRSSKiB * 1024
	bound := int64(partsInFlight*partSize + allowance)
	s := r.summary(t)
	t.Logf("peak RSS %.1f MiB for a %d MiB object (%d × %d MiB parts in flight; bound %d MiB); %.1f MB/s",
		float64(peak)/float64(mib), size/mib, partsInFlight, partSize/mib, bound/mib, s.MBps)
	if peak <= 0 {
		t.Fatalf("no peak RSS measured")
	}
	if peak > bound {
		t.Errorf("peak RSS %d bytes exceeds parts in flight × part size + %d MiB = %d", peak, allowance/mib, bound)
	}
}
