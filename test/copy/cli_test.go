package copytest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A key in --key-list that does not exist at the source fails that object
// alone, with a reason that says the key was not found; the other objects
// are copied, the exit code is 1, `s3migrate status` lists the failure with
// its reason (and exits 1), and a re-run retries only that object.
func TestMissingSourceKeyFailsOnlyThatObject(t *testing.T) {
	t.Parallel()
	w, _ := newWorld(t, worldOptions{})
	seed := testSeed(t)
	w.src.put(t, "f/a.txt", randomBytes(seed, 1000))
	w.src.put(t, "f/c.bin", randomBytes(seed+1, 6*mib))
	list := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(list, []byte("f/a.txt\nf/missing.txt\nf/c.bin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := w.copy(t, "f/", "g/", "--key-list", list)
	if r.code != 1 {
		t.Fatalf("copy with a missing key: want exit 1, got %s", r)
	}
	objs := r.objects()
	for _, k := range []string{"f/a.txt", "f/c.bin"} {
		if objs[k]["status"] != "DONE" {
			t.Errorf("%s: %v, want DONE", k, objs[k])
		}
	}
	if got := w.dst.keys(t, ""); !slices.Equal(got, []string{"g/a.txt", "g/c.bin"}) {
		t.Errorf("destination keys %q, want g/a.txt and g/c.bin", got)
	}
	miss := objs["f/missing.txt"]
	reason, _ := miss["error"].(string)
	t.Logf("reason given for the missing key: %s", reason)
	if miss["status"] != "FAILED" || !strings.Contains(reason, "does not exist (no such key)") || !strings.Contains(reason, "f/missing.txt") {
		t.Errorf("missing key: %v; want FAILED with a reason naming the key and saying it was not found", miss)
	}
	if !strings.Contains(r.stderr, "1 objects failed") || !strings.Contains(r.stderr, "s3migrate status") {
		t.Errorf("stderr does not tell the user what failed and what to do next:\n%s", r.stderr)
	}

	st := w.status(t)
	if st.code != 1 {
		t.Errorf("status with a failed object: want exit 1, got %s", st)
	}
	var line string
	for _, l := range strings.Split(st.stdout, "\n") {
		if strings.Contains(l, "f/missing.txt") {
			line = l
		}
	}
	if !strings.HasPrefix(line, "FAILED") || !strings.Contains(line, "does not exist") {
		t.Errorf("status does not list the failure with its reason:\n%s", st.stdout)
	}
	if !strings.Contains(st.stdout, "DONE=2") || !strings.Contains(st.stdout, "FAILED=1") {
		t.Errorf("status counts: %s", st.stdout)
	}

	// The key appears at the source: the next run copies it and sends
	// nothing for the two objects already there.
	w.src.put(t, "f/missing.txt", randomBytes(seed+2, 10))
	again := w.copy(t, "f/", "g/", "--key-list", list)
	if again.code != 0 {
		t.Fatalf("re-run: %s", again)
	}
	if s := again.summary(t); s.ObjectsDone != 1 || s.ObjectsSkipped != 2 || s.BytesSent != 10 {
		t.Errorf("re-run summary %+v: want the one object copied (10 bytes) and two unchanged", s)
	}
	if st := w.status(t); st.code != 0 || !strings.Contains(st.stdout, "DONE=3") {
		t.Errorf("status after the re-run: %s", st)
	}
}

// Bad flags and arguments exit 2 before any request, with a message that
// names the flag or argument at fault.
func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	w := &world{ // nothing listens here: a usage error must not reach the network
		src:   side{endpoint: "http://127.0.0.1:9", accessKey: "AKUNUSED", secretKey: "unused"},
		dst:   side{endpoint: "http://127.0.0.1:9", accessKey: "AKUNUSED2", secretKey: "unused"},
		state: filepath.Join(t.TempDir(), "state.db"),
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", w.copyArgs("s3://a-bucket/p/", "s3://b-bucket/p/", "--parts-in-fligth", "4"), "parts-in-fligth"},
		{"part size below 5 MiB", w.copyArgs("s3://a-bucket/p/", "s3://b-bucket/p/", "--part-size", "1MiB"), "--part-size"},
		{"part size not a size", w.copyArgs("s3://a-bucket/p/", "s3://b-bucket/p/", "--part-size", "big"), "part-size"},
		{"zero parts in flight", w.copyArgs("s3://a-bucket/p/", "s3://b-bucket/p/", "--parts-in-flight", "0"), "--parts-in-flight"},
		{"zero objects in flight", w.copyArgs("s3://a-bucket/p/", "s3://b-bucket/p/", "--objects-in-flight", "0"), "--objects-in-flight"},
		{"unknown encryption", w.copyArgs("s3://a-bucket/p/", "s3://b-bucket/p/", "--sse", "rot13"), "--sse"},
		{"unknown progress mode", w.copyArgs("s3://a-bucket/p/", "s3://b-bucket/p/", "--progress", "loud"), "--progress"},
		{"unknown log level", w.copyArgs("s3://a-bucket/p/", "s3://b-bucket/p/", "--log-level", "chatty"), "--log-level"},
		{"source not a URL the tool reads", w.copyArgs("gs://a-bucket/p/", "s3://b-bucket/p/"), "source"},
		{"prefix to a single key", w.copyArgs("s3://a-bucket/p/", "s3://b-bucket/key"), "prefix"},
		{"one argument", []string{"copy", "s3://a-bucket/p/"}, "needs a source and a destination"},
		{"status, unknown flag", []string{"status", "--jsn"}, "jsn"},
		{"unknown command", []string{"cpoy"}, "cpoy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startCLI(t, w.env(), tc.args...).wait(t)
			if r.code != 2 {
				t.Fatalf("want exit 2, got %s", r)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr does not name %q:\n%s", tc.want, r.stderr)
			}
		})
	}
}

// --include and --exclude select keys relative to the source prefix, and
// --dry-run lists what would be copied without writing anything at the
// destination.
func TestIncludeExcludeAndDryRun(t *testing.T) {
	t.Parallel()
	w, _ := newWorld(t, worldOptions{})
	for _, k := range []string{"s/a.jpg", "s/b.jpg", "s/raw/c.jpg", "s/raw/d.txt", "s/e.txt", "s/tmp/f.jpg"} {
		w.src.put(t, k, []byte(k))
	}
	cases := []struct {
		name string
		args []string
		want []string // destination keys under t/
	}{
		{"include", []string{"--include", "*.jpg"}, []string{"t/a.jpg", "t/b.jpg", "t/raw/c.jpg", "t/tmp/f.jpg"}},
		{"include and exclude", []string{"--include", "*.jpg", "--exclude", "tmp/*"}, []string{"t/a.jpg", "t/b.jpg", "t/raw/c.jpg"}},
		{"two includes", []string{"--include", "raw/*", "--include", "?.txt"}, []string{"t/e.txt", "t/raw/c.jpg", "t/raw/d.txt"}},
		{"exclude only", []string{"--exclude", "*.jpg"}, []string{"t/e.txt", "t/raw/d.txt"}},
	}
	for _, tc := range cases {
		t.Run(tc.name+", dry run", func(t *testing.T) {
			before := len(w.meter.Requests())
			r := w.copy(t, "s/", "t/", append(tc.args, "--dry-run")...)
			if r.code != 0 {
				t.Fatalf("dry run: %s", r)
			}
			var listed []string
			for _, l := range strings.Split(r.stdout, "\n") {
				if _, after, ok := strings.Cut(l, "-> s3://"+dstBucket+"/"); ok {
					listed = append(listed, after)
				}
			}
			slices.Sort(listed)
			if !slices.Equal(listed, tc.want) {
				t.Errorf("dry run lists %q, want %q\n%s", listed, tc.want, r.stdout)
			}
			for _, q := range w.meter.Requests()[before:] {
				if q.Method != "GET" && q.Method != "HEAD" {
					t.Errorf("dry run sent %s %s to the destination", q.Method, q.Target)
				}
			}
			if got := w.dst.keys(t, ""); len(got) != 0 {
				t.Errorf("dry run wrote %q", got)
			}
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w.state = filepath.Join(t.TempDir(), "state.db")
			r := w.copy(t, "s/", "t/", tc.args...)
			if r.code != 0 {
				t.Fatalf("copy: %s", r)
			}
			if got := w.dst.keys(t, "t/"); !slices.Equal(got, tc.want) {
				t.Errorf("destination keys %q, want %q", got, tc.want)
			}
			for _, k := range tc.want {
				if got := string(w.dst.get(t, k)); got != "s/"+strings.TrimPrefix(k, "t/") {
					t.Errorf("%s holds %q", k, got)
				}
			}
			w.dst.deleteAll(t, "t/")
		})
	}
}
