package lambdaapp

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/s3migrate/s3migrate/src/config/lambdaenv"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseTuning(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Tuning) bool
		wantErr string
	}{
		{"defaults", nil, func(c Tuning) bool {
			return c.PartSize == 5<<20 && c.DeadlineMargin == 30*time.Second && c.EstimatedMBps == 50 && c.FanOutBytes == 0 && c.LogLevel == "info"
		}, ""},
		{"sizes with units", map[string]string{EnvPartSize: "8MiB", EnvFanOutBytes: "100GiB", EnvBandwidthLimit: "40MB"}, func(c Tuning) bool {
			return c.PartSize == 8<<20 && c.FanOutBytes == 100<<30 && c.BandwidthLimit == 40e6
		}, ""},
		{"fan-out off", map[string]string{EnvFanOutBytes: "-1"}, func(c Tuning) bool { return c.FanOutBytes == -1 }, ""},
		{"durations", map[string]string{EnvDeadlineMargin: "45s", EnvRetryDelay: "2m"}, func(c Tuning) bool {
			return c.DeadlineMargin == 45*time.Second && c.RetryDelay == 2*time.Minute
		}, ""},
		{"bad size", map[string]string{EnvPartSize: "lots"}, nil, EnvPartSize},
		{"bad duration", map[string]string{EnvDeadlineMargin: "soon"}, nil, EnvDeadlineMargin},
		{"bad bool", map[string]string{EnvPathStyle: "maybe"}, nil, EnvPathStyle},
		{"zero throughput", map[string]string{EnvEstimatedMBps: "0"}, nil, EnvEstimatedMBps},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTuning(lookupFrom(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(got) {
				t.Fatalf("ParseTuning = %+v, %v", got, err)
			}
		})
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "-1", "5MiB", "8 MiB", "1GB", "B", "", "9223372036854775807", "-2", "1TiB", "-1KiB", "9223372036854775807GiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && n < -1 {
			t.Fatalf("parseSize(%q) = %d: below -1 accepted", s, n)
		}
	})
}

// The worker README lists every variable with its default, from the tables.
func TestREADMEListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if !strings.Contains(readme, lambdaenv.Markdown()) {
		t.Errorf("src/worker/README.md does not contain lambdaenv.Markdown(): regenerate its environment table")
	}
	for _, v := range TuningVariables() {
		if !strings.Contains(readme, "| `"+v.Name+"` |") {
			t.Errorf("src/worker/README.md does not document %s", v.Name)
		}
	}
}
