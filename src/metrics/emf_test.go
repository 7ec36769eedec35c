package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// validEMF checks one line against the EMF specification's rules and
// returns the metric values by name.
func validEMF(t *testing.T, line []byte) (map[string]any, map[string]string) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(line, &doc); err != nil {
		t.Fatalf("line is not a JSON object: %v: %s", err, line)
	}
	aws, ok := doc["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws object: %s", line)
	}
	ts, ok := aws["Timestamp"].(float64)
	if !ok || ts != math.Trunc(ts) || ts <= 0 {
		t.Fatalf("_aws.Timestamp is not a positive integer of ms: %v", aws["Timestamp"])
	}
	cwm, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(cwm) == 0 {
		t.Fatalf("_aws.CloudWatchMetrics missing or empty")
	}
	values := map[string]any{}
	units := map[string]string{}
	validUnits := map[string]bool{"Bytes": true, "Count": true, "Megabytes/Second": true, "Seconds": true, "Milliseconds": true, "None": true}
	for _, d := range cwm {
		dir := d.(map[string]any)
		if ns, _ := dir["Namespace"].(string); ns != "s3migrate" {
			t.Fatalf("Namespace %v", dir["Namespace"])
		}
		dimSets, ok := dir["Dimensions"].([]any)
		if !ok {
			t.Fatalf("Dimensions is not an array of arrays")
		}
		for _, ds := range dimSets {
			set, ok := ds.([]any)
			if !ok || len(set) > 30 {
				t.Fatalf("dimension set %v is not an array of at most 30 names", ds)
			}
			for _, name := range set {
				if v, ok := doc[name.(string)].(string); !ok || v == "" {
					t.Fatalf("dimension %v has no string value at the top level", name)
				}
			}
		}
		ms, ok := dir["Metrics"].([]any)
		if !ok || len(ms) == 0 || len(ms) > 100 {
			t.Fatalf("Metrics must hold 1..100 definitions: %v", dir["Metrics"])
		}
		for _, m := range ms {
			def := m.(map[string]any)
			name, _ := def["Name"].(string)
			unit, _ := def["Unit"].(string)
			if !validUnits[unit] {
				t.Fatalf("metric %s has unit %q", name, unit)
			}
			v, ok := doc[name].(float64)
			if !ok {
				t.Fatalf("metric %s has no numeric value at the top level: %v", name, doc[name])
			}
			values[name] = v
			units[name] = unit
		}
	}
	return values, units
}

func TestObjectLinesAreValidEMF(t *testing.T) {
	var buf bytes.Buffer
	e := New(&buf, DimFunctionName, "s3migrate-worker")
	e.Now = func() time.Time { return time.UnixMilli(1700000000123) }
	if err := e.Object(Object{Bytes: 200 << 20, Duration: 4 * time.Second, Properties: map[string]any{"key": "a b/c", "parts": 25}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Object(Object{Failed: true, Properties: map[string]any{"key": "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Bytes(5<<20, nil); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	var lines [][]byte
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if len(lines) != 3 {
		t.Fatalf("%d lines, want one per event (3)", len(lines))
	}
	tests := []struct {
		want  map[string]float64
		units map[string]string
	}{
		{map[string]float64{BytesCopied: 200 << 20, ObjectsDone: 1, ObjectsFailed: 0, ThroughputMBps: 50},
			map[string]string{BytesCopied: "Bytes", ObjectsDone: "Count", ObjectsFailed: "Count", ThroughputMBps: "Megabytes/Second"}},
		{map[string]float64{BytesCopied: 0, ObjectsDone: 0, ObjectsFailed: 1}, nil},
		{map[string]float64{BytesCopied: 5 << 20}, nil},
	}
	for i, tc := range tests {
		got, units := validEMF(t, lines[i])
		if len(got) != len(tc.want) {
			t.Fatalf("line %d metrics %v, want %v", i, got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
		for k, u := range tc.units {
			if units[k] != u {
				t.Errorf("line %d: %s unit %s, want %s", i, k, units[k], u)
			}
		}
	}
	var first map[string]any
	_ = json.Unmarshal(lines[0], &first)
	if first["key"] != "a b/c" || first["FunctionName"] != "s3migrate-worker" {
		t.Errorf("properties/dimension missing: %v", first)
	}
	if ts := first["_aws"].(map[string]any)["Timestamp"].(float64); ts != 1700000000123 {
		t.Errorf("timestamp %v", ts)
	}
}

func TestWorkerDimension(t *testing.T) {
	var buf bytes.Buffer
	if err := New(&buf, DimWorker, "ip-10-0-0-1/4242").Object(Object{Bytes: 1}); err != nil {
		t.Fatal(err)
	}
	validEMF(t, bytes.TrimSpace(buf.Bytes()))
	var doc map[string]any
	_ = json.Unmarshal(buf.Bytes(), &doc)
	if doc["Worker"] != "ip-10-0-0-1/4242" {
		t.Fatalf("Worker dimension %v", doc["Worker"])
	}
}
