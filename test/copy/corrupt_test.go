package copytest

import (
	"strings"
	"testing"
)

// A proxy that flips one byte of an upload body between the tool and the
// destination never yields a corrupt object: the destination rejects the
// body (Content-MD5), the tool sends it again and the object ends
// identical to the source. When every attempt is corrupted the object
// fails with a clear reason and nothing is written at the destination.
func TestCorruptedUploadNeverBecomesAnObject(t *testing.T) {
	t.Parallel()
	const attempts = 5 // the engine's default attempts per part / PUT
	for _, tc := range []struct {
		name    string
		size    int64
		corrupt []int // request bodies to corrupt (1-based, in arrival order)
		fail    bool
	}{
		{"single PUT, first body", 300 << 10, []int{1}, false},
		{"multipart, third part body", 17 * mib, []int{3}, false},
		{"multipart, first two bodies", 12 * mib, []int{1, 2}, false},
		{"single PUT, every attempt", 64 << 10, []int{1, 2, 3, 4, 5}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, proxies := newWorld(t, worldOptions{corrupt: tc.corrupt})
			body := randomBytes(testSeed(t), tc.size)
			w.src.put(t, "c/object.bin", body)
			r := w.copy(t, "c/", "c/", "--part-size", "5MiB", "--parts-in-flight", "2")
			defer w.logRequestsOnFailure(t)

			flipped := 0
			for _, p := range proxies {
				flipped += p.Corrupted()
			}
			if flipped != len(tc.corrupt) {
				t.Fatalf("the proxies flipped %d bodies, want %d: the test did not corrupt what it meant to", flipped, len(tc.corrupt))
			}
			if tc.fail {
				if r.code != 1 {
					t.Fatalf("copy with every attempt corrupted: want exit 1, got %s", r)
				}
				ev := r.objects()["c/object.bin"]
				msg, _ := ev["error"].(string)
				if ev["status"] != "FAILED" || !strings.Contains(msg, "BadDigest") {
					t.Errorf("object event %v: want FAILED naming BadDigest", ev)
				}
				if h := w.dst.head(t, "c/object.bin"); h != nil {
					t.Errorf("an object of %d bytes exists at the destination after every upload was corrupted", *h.ContentLength)
				}
				if puts := len(uploadBodies(w.meter.Requests())); puts != attempts {
					t.Errorf("the tool sent the body %d times, want %d attempts", puts, attempts)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("copy: %s", r)
			}
			if got := w.dst.get(t, "c/object.bin"); sha(got) != sha(body) {
				t.Fatalf("destination object differs from the source after a corrupted upload")
			}
			// Each corrupted body was sent again: one upload request more per flip.
			parts := (tc.size + 5*mib - 1) / (5 * mib)
			if got := int64(len(uploadBodies(w.meter.Requests()))); got != parts+int64(len(tc.corrupt)) {
				t.Errorf("%d upload requests for %d parts and %d corrupted bodies", got, parts, len(tc.corrupt))
			}
			if !strings.Contains(r.stderr, "BadDigest") {
				t.Errorf("the retry was not logged with the destination's reason:\n%s", tail(r.stderr))
			}
		})
	}
}
