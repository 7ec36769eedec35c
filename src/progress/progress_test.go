package progress

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/s3migrate/s3migrate/src/transfer"
)

func TestJSONLinesAndSummary(t *testing.T) {
	var out bytes.Buffer
	r := New(&out, false, 0)
	r.AddPlanned(100)
	r.AddPlanned(50)
	r.BytesSent(100)
	r.ObjectDone(transfer.Result{Job: transfer.Job{SourceKey: "a b+c", DestKey: "p/a b+c"}, Status: transfer.StatusDone, Sent: 100})
	r.BytesSkipped(50)
	r.ObjectDone(transfer.Result{Job: transfer.Job{SourceKey: "gone"}, Status: transfer.StatusFailed, Err: errors.New("NoSuchKey")})
	c := r.Finish()
	if c.ObjectsTotal != 2 || c.ObjectsDone != 1 || c.ObjectsFailed != 1 || c.BytesSent != 100 || c.BytesSkipped != 50 || c.BytesTotal != 150 {
		t.Fatalf("counters = %+v", c)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 2 object lines and a summary, got:\n%s", out.String())
	}
	var first, last map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first["key"] != "a b+c" || first["status"] != "DONE" {
		t.Fatalf("first line %s (%v)", lines[0], err)
	}
	if err := json.Unmarshal([]byte(lines[2]), &last); err != nil || last["event"] != "summary" {
		t.Fatalf("last line %s (%v)", lines[2], err)
	}
	if f := last["failures"].([]any); len(f) != 1 || f[0].(map[string]any)["error"] != "NoSuchKey" {
		t.Fatalf("summary failures = %v", last["failures"])
	}
}

func TestBar(t *testing.T) {
	tests := []struct {
		c    Counters
		want []string
	}{
		{Counters{BytesTotal: 4 << 20, BytesSent: 1 << 20, BytesSkipped: 1 << 20, ObjectsTotal: 4, ObjectsDone: 1, MBps: 2},
			[]string{"[############------------]", " 50%", "2.0 MiB/4.0 MiB", "1/4 objects", "2.0 MB/s", "ETA 1s"}},
		{Counters{}, []string{"  0%", "0 B/0 B", "ETA ?"}},
	}
	for _, tc := range tests {
		got := bar(tc.c)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("bar(%+v) = %q, missing %q", tc.c, got, w)
			}
		}
	}
}
