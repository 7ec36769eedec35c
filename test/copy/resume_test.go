package copytest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// killAt runs a copy until the destination has seen exactly holdAt PUT body
// bytes in total (over all runs so far), then kills the process with
// SIGKILL while its parts are in flight.
func killAt(t *testing.T, w *world, holdAt int64, args ...string) {
	t.Helper()
	w.meter.Hold(holdAt)
	p := w.start(t, "big/", "big/", args...)
	w.meter.waitHeld(t, p, holdAt)
	p.kill9(t)
	w.meter.cut(t)
}

// After kill -9 at five random byte counts during a multipart copy, running
// the same command again each time ends with the destination object
// identical to the source, and every kill costs at most the parts that were
// in flight: the bytes sent again are bounded by parts in flight × part size.
func TestResumeAfterKill9(t *testing.T) {
	t.Parallel()
	const (
		size          = 160*mib + 777 // a short last part
		partSize      = 5 * mib
		partsInFlight = 4
		kills         = 5
	)
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	w, _ := newWorld(t, worldOptions{})
	body := randomBytes(seed, size)
	w.src.put(t, "big/object.bin", body)
	args := []string{"--part-size", "5MiB", "--parts-in-flight", fmt.Sprint(partsInFlight), "--objects-in-flight", "1"}

	// Kill points: cumulative PUT body bytes seen by the destination. Each
	// is 1 MiB to size/6 past the previous one, so all five lie before the
	// end of the copy (which needs at least size bytes) and are spread over it.
	var points []int64
	at := int64(0)
	for range kills {
		at += mib + rng.Int64N(size/6-mib)
		points = append(points, at)
	}
	present := int64(0) // bytes of complete parts at the destination
	sentBefore := int64(0)
	for i, at := range points {
		killAt(t, w, at, args...)
		rec := onlyRecord(t, w.status(t, "--json"))
		if rec.Status != "RUNNING" || rec.UploadID == "" || rec.PartSize != partSize {
			t.Fatalf("after kill %d the state says %+v; want RUNNING with the upload id and part size %d", i+1, rec, partSize)
		}
		// S3 is the truth: the parts listed now are what the next run skips.
		now := w.dst.partBytes(t, "big/object.bin", rec.UploadID, size, partSize)
		sent := w.meter.PutBytes()
		lost := present + (sent - sentBefore) - now
		t.Logf("kill %d at %d bytes seen by the destination: %d bytes of whole parts there, %.1f MiB lost", i+1, sent, now, float64(lost)/float64(mib))
		// The meter counts body bytes as it forwards them, a read buffer at a
		// time, so the server can hold slightly more than it has counted yet.
		const meterSlack = 1 << 20
		if lost < -meterSlack || lost > partsInFlight*partSize {
			t.Errorf("kill %d lost %d bytes; want at most parts in flight × part size = %d", i+1, lost, partsInFlight*partSize)
		}
		present, sentBefore = now, sent
	}

	final := w.copy(t, "big/", "big/", args...)
	if final.code != 0 {
		t.Fatalf("final run: %s", final)
	}
	sum := final.summary(t)
	if sum.ObjectsDone != 1 || sum.BytesSkipped+sum.BytesSent != size {
		t.Fatalf("final run summary %+v: want the object done with skipped + sent = %d", sum, size)
	}
	if got := w.dst.get(t, "big/object.bin"); sha(got) != sha(body) {
		t.Fatalf("destination object (%d bytes, sha256 %s) differs from the source (%d bytes, sha256 %s)", len(got), sha(got), len(body), sha(body))
	}
	total := w.meter.PutBytes()
	resent := total - size
	bound := int64(kills * partsInFlight * partSize)
	t.Logf("destination received %d body bytes for a %d-byte object: %d re-sent over %d kills (%.1f MiB per kill; bound %d MiB per kill)",
		total, size, resent, kills, float64(resent)/float64(kills)/float64(mib), partsInFlight*partSize/mib)
	if resent < 0 || resent > bound {
		t.Errorf("re-sent %d bytes over %d kills; want at most parts in flight × part size per kill = %d", resent, kills, bound)
	}
	if ups := w.dst.uploads(t, "big/"); len(ups) != 0 {
		t.Errorf("%d multipart uploads left at the destination, e.g. %q %s", len(ups), aws.ToString(ups[0].Key), aws.ToString(ups[0].UploadId))
	}
	if errs := w.meter.Errors(); len(errs) > 0 {
		t.Errorf("meter could not parse requests: %v", errs)
	}
}

// A run killed mid-way with one --part-size and started again with another
// finishes the upload in progress with its recorded part size (it says so
// in its log) instead of starting over: the object is correct, its
// multipart ETag shows the first run's part count and the bytes sent again
// stay within one kill's in-flight parts.
func TestPartSizeChangeBetweenRuns(t *testing.T) {
	t.Parallel()
	const (
		size          = 120*mib + 12345 // a short last part
		partsInFlight = 4
	)
	for _, tc := range []struct {
		name          string
		first, second int64
	}{
		{"5MiB then 8MiB", 5 * mib, 8 * mib},
		{"8MiB then 5MiB", 8 * mib, 5 * mib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seed := testSeed(t)
			rng := rand.New(rand.NewPCG(seed, 2))
			w, _ := newWorld(t, worldOptions{})
			body := randomBytes(seed, size)
			w.src.put(t, "big/object.bin", body)
			flags := func(part int64) []string {
				return []string{"--part-size", fmt.Sprint(part), "--parts-in-flight", fmt.Sprint(partsInFlight), "--log-level", "info"}
			}
			at := size/6 + rng.Int64N(size/3)
			killAt(t, w, at, flags(tc.first)...)
			rec := onlyRecord(t, w.status(t, "--json"))
			if rec.PartSize != tc.first || rec.UploadID == "" {
				t.Fatalf("after the kill the state says %+v; want the upload with part size %d", rec, tc.first)
			}
			present := w.dst.partBytes(t, "big/object.bin", rec.UploadID, size, tc.first)
			killed := w.meter.PutBytes()

			r := w.copy(t, "big/", "big/", flags(tc.second)...)
			if r.code != 0 {
				t.Fatalf("second run: %s", r)
			}
			if !logSays(t, r.stderr, "keeping the part size of the upload in progress", map[string]any{
				"part_size": float64(tc.first), "requested_part_size": float64(tc.second)}) {
				t.Errorf("second run did not log that it keeps part size %d over the requested %d:\n%s", tc.first, tc.second, tail(r.stderr))
			}
			s := r.summary(t)
			if s.BytesSkipped != present || s.BytesSent != size-present {
				t.Errorf("second run summary %+v: want %d bytes skipped (the parts at the destination) and %d sent", s, present, size-present)
			}
			h := w.dst.head(t, "big/object.bin")
			wantParts := (size + tc.first - 1) / tc.first
			if etag := aws.ToString(h.ETag); !strings.HasSuffix(strings.Trim(etag, `"`), fmt.Sprintf("-%d", wantParts)) {
				t.Errorf("destination ETag %s: want a %d-part upload (part size %d)", etag, wantParts, tc.first)
			}
			if got := w.dst.get(t, "big/object.bin"); sha(got) != sha(body) {
				t.Fatalf("destination object differs from the source")
			}
			resent := w.meter.PutBytes() - size
			t.Logf("killed at %d bytes, %d of them in whole parts; %d bytes sent again", killed, present, resent)
			if resent < 0 || resent > partsInFlight*tc.first {
				t.Errorf("sent %d bytes again; want at most parts in flight × part size = %d", resent, partsInFlight*tc.first)
			}
		})
	}
}

// logSays reports whether a JSON log line on stderr has msg and the attrs.
func logSays(t *testing.T, stderr, msg string, attrs map[string]any) bool {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != msg {
			continue
		}
		ok := true
		for k, v := range attrs {
			if rec[k] != v {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// stateRecord is what `s3migrate status --json` prints per object.
type stateRecord struct {
	SourceKey string `json:"source_key"`
	DestKey   string `json:"dest_key"`
	Status    string `json:"status"`
	UploadID  string `json:"upload_id"`
	PartSize  int64  `json:"part_size"`
	Bytes     int64  `json:"bytes"`
	Error     string `json:"error"`
	Attempts  int    `json:"attempts"`
}

func records(t *testing.T, r result) []stateRecord {
	t.Helper()
	var out []stateRecord
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line == "" {
			continue
		}
		var rec stateRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("status --json line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

func onlyRecord(t *testing.T, r result) stateRecord {
	t.Helper()
	recs := records(t, r)
	if len(recs) != 1 {
		t.Fatalf("status lists %d records, want 1: %s", len(recs), r)
	}
	return recs[0]
}

// Ctrl-C (SIGINT) mid-copy stops the run with exit code 3 and a hint to run
// the same command again; the object is recorded as in progress (not
// failed), and the next run resumes it from the parts already there.
func TestInterruptThenResume(t *testing.T) {
	t.Parallel()
	const size = 40 * mib
	w, _ := newWorld(t, worldOptions{})
	body := randomBytes(testSeed(t), size)
	w.src.put(t, "big/object.bin", body)
	args := []string{"--part-size", "5MiB", "--parts-in-flight", "2"}

	hold := int64(17 * mib)
	w.meter.Hold(hold)
	p := w.start(t, "big/", "big/", args...)
	w.meter.waitHeld(t, p, hold)
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("SIGINT: %v", err)
	}
	r := p.wait(t)
	w.meter.cut(t)
	if r.code != 3 {
		t.Fatalf("interrupted run: want exit 3, got %s", r)
	}
	if !strings.Contains(r.stderr, "run the same command again to resume") {
		t.Errorf("interrupted run does not tell how to resume:\n%s", r.stderr)
	}
	if ev := r.objects()["big/object.bin"]; ev != nil && ev["status"] == "FAILED" {
		t.Errorf("interrupted object reported as FAILED: %v", ev)
	}
	st := w.status(t)
	if st.code != 0 || !strings.Contains(st.stdout, "RUNNING") || strings.Contains(st.stdout, "FAILED") {
		t.Errorf("status after the interrupt: want the object in progress (RUNNING), not failed: %s", st)
	}

	again := w.copy(t, "big/", "big/", args...)
	if again.code != 0 {
		t.Fatalf("resumed run: %s", again)
	}
	if s := again.summary(t); s.BytesSkipped < 2*5*mib || s.BytesSkipped+s.BytesSent != size {
		t.Errorf("resumed run summary %+v: want the parts sent before the interrupt skipped", s)
	}
	if got := w.dst.get(t, "big/object.bin"); sha(got) != sha(body) {
		t.Fatalf("destination object differs from the source")
	}
}
