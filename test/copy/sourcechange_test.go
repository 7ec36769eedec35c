package copytest

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// A source object overwritten while its multipart copy runs ends as the new
// version's bytes exactly, never a mix of both: the upload that holds parts
// of the old version is aborted (none is left at the destination) and the
// copy starts again on the new version. The overwrite happens while the
// destination holds the upload at a fixed byte count, so it always lands
// mid-copy.
func TestSourceModifiedMidCopy(t *testing.T) {
	t.Parallel()
	const size = 40 * mib
	for _, tc := range []struct {
		name      string
		versioned bool
		newSize   int64
	}{
		{"unversioned, same size", false, size},
		{"unversioned, new size", false, size + 3*mib + 7},
		{"versioned, same size", true, size},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seed := testSeed(t)
			w, _ := newWorld(t, worldOptions{srcVersioned: tc.versioned})
			old, fresh := randomBytes(seed, size), randomBytes(seed+1, tc.newSize)
			w.src.put(t, "obj/data.bin", old)

			hold := 2*5*mib + mib // two whole parts and one started
			w.meter.Hold(hold)
			p := w.start(t, "obj/", "obj/", "--part-size", "5MiB", "--parts-in-flight", "4", "--log-level", "info")
			w.meter.waitHeld(t, p, hold)
			w.src.put(t, "obj/data.bin", fresh)
			w.meter.Hold(0)
			r := p.wait(t)
			defer w.logRequestsOnFailure(t)

			if r.code != 0 {
				t.Fatalf("copy: %s", r)
			}
			got := w.dst.get(t, "obj/data.bin")
			switch sha(got) {
			case sha(fresh):
			case sha(old):
				t.Fatalf("destination holds the old version although the source changed before the copy ended\n%s", r)
			default:
				t.Fatalf("destination holds %d bytes that are neither version (a mix?)", len(got))
			}
			if !strings.Contains(r.stderr, "source changed") {
				t.Errorf("the run did not report the source change:\n%s", tail(r.stderr))
			}
			if !logSays(t, r.stderr, "aborted multipart upload", map[string]any{"reason": "source changed during copy"}) {
				t.Errorf("the run did not log aborting the old version's upload:\n%s", tail(r.stderr))
			}
			for _, line := range strings.Split(r.stderr, "\n") {
				if strings.Contains(line, "aborted multipart upload") {
					t.Log(line)
				}
			}
			if ups := w.dst.uploads(t, "obj/"); len(ups) != 0 {
				t.Errorf("%d multipart uploads left at the destination (the old version's upload was not aborted), e.g. %s",
					len(ups), aws.ToString(ups[0].UploadId))
			}
			if ev := r.objects()["obj/data.bin"]; ev == nil || ev["status"] != "DONE" || ev["size"] != float64(tc.newSize) {
				t.Errorf("object event %v: want DONE with the new size %d", ev, tc.newSize)
			}
		})
	}
}
