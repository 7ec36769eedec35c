package copytest

import (
	"testing"
)

// Running the same command again after a finished migration sends no object
// bytes at all (the destination sees no PUT body) and exits 0.
func TestRerunOfFinishedMigrationSendsNothing(t *testing.T) {
	t.Parallel()
	w, _ := newWorld(t, worldOptions{})
	seed := testSeed(t)
	objects := map[string][]byte{
		"set/large.bin": randomBytes(seed, 12*mib+3),
		"set/small.txt": randomBytes(seed+1, 1000),
		"set/empty":     {},
	}
	for k, b := range objects {
		w.src.put(t, k, b)
	}
	first := w.copy(t, "set/", "set/", "--part-size", "5MiB")
	if first.code != 0 {
		t.Fatalf("first run: %s", first)
	}
	if s := first.summary(t); s.ObjectsDone != 3 || s.BytesSent != 12*mib+1003 {
		t.Fatalf("first run summary %+v: want 3 objects done and %d bytes sent", s, 12*mib+1003)
	}

	before := len(w.meter.Requests())
	again := w.copy(t, "set/", "set/", "--part-size", "5MiB")
	if again.code != 0 {
		t.Fatalf("re-run: %s", again)
	}
	s := again.summary(t)
	if s.BytesSent != 0 || s.ObjectsSkipped != 3 || s.ObjectsDone != 0 {
		t.Errorf("re-run summary %+v: want 0 bytes sent and 3 objects unchanged", s)
	}
	if bodies := uploadBodies(w.meter.Requests()[before:]); len(bodies) != 0 {
		t.Errorf("re-run sent %d object bodies to the destination, first %s %s", len(bodies), bodies[0].Method, bodies[0].Target)
	}
	for k, b := range objects {
		if got := w.dst.get(t, k); sha(got) != sha(b) {
			t.Errorf("%s: destination bytes differ from the source", k)
		}
	}
	if errs := w.meter.Errors(); len(errs) > 0 {
		t.Errorf("meter could not parse requests: %v", errs)
	}
}
