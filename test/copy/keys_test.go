package copytest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// oddKeys are keys that path libraries, URL encoders and XML listings
// like to change.
func oddKeys() []string {
	long := "long/" + strings.Repeat(strings.Repeat("k", 200)+"/", 4)
	long += strings.Repeat("z", 1024-len(long)) // exactly 1,024 bytes, no segment over 255 (versitygw's limit)
	return []string{
		"keys/plain.txt",
		"keys/ünïcödé/日本語 ファイル.txt",
		"keys/emoji 😀.bin",
		"keys/with space.txt",
		"keys/  two leading spaces",
		"keys/plus+sign+.txt",
		"keys/percent%20literal.txt",
		"keys/percent%2Fslash",
		"keys/percent%",
		"keys/query?x=1&y=2#frag",
		"keys/tilde~star*paren()quote'bang!",
		"keys/semi;colon:comma,at@dollar$",
		"keys/brackets[]{}<>^`|\\",
		"keys/ends with dot.",
		"keys/trailing folder/",
		long,
	}
}

// pathKeys are keys that a file-system-backed store (versitygw) stores
// under another name; S3 and moto keep them byte for byte.
var pathKeys = []string{
	"keys/a//double-slash",
	"/leading-slash",
	"//two-leading-slashes",
	"./dot-slash",
	"keys/./dot-segment",
	"keys/../dotdot-segment",
	"../dotdot-first",
	"keys/trailing-dot-segment/.",
}

// Every key is copied byte for byte: the destination lists exactly the
// source's keys, and each body is identical. Folder keys (ending in "/")
// and zero-byte objects stay what they are.
func TestOddKeysCopiedByteForByte(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		moto bool
		keys []string
	}{
		{"versitygw", false, oddKeys()},
		{"moto", true, append(oddKeys(), pathKeys...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var w *world
			if tc.moto {
				w = newMotoWorld(t)
			} else {
				w, _ = newWorld(t, worldOptions{})
			}
			seed := testSeed(t)
			bodies := map[string][]byte{}
			for i, k := range tc.keys {
				b := randomBytes(seed+uint64(i), int64(100+i))
				if strings.HasSuffix(k, "/") {
					b = nil // a folder key holds nothing
				}
				bodies[k] = b
				w.src.put(t, k, b)
			}
			want := slices.Sorted(func(yield func(string) bool) {
				for k := range bodies {
					if !yield(k) {
						return
					}
				}
			})
			if got := w.src.keys(t, ""); !slices.Equal(got, want) {
				t.Fatalf("the %s source does not list the keys as written; fix the test's key set:\n got %q\nwant %q", tc.name, got, want)
			}

			r := w.copy(t, "", "", "--multipart-threshold", "64MiB")
			if r.code != 0 {
				t.Fatalf("copy: %s", r)
			}
			if s := r.summary(t); s.ObjectsDone != int64(len(want)) || s.ObjectsFailed != 0 {
				t.Errorf("summary %+v: want %d objects done", s, len(want))
			}
			if got := w.dst.keys(t, ""); !slices.Equal(got, want) {
				t.Errorf("destination keys differ from the source:\n%s", keyDiff(got, want))
			}
			for k, b := range bodies {
				if got := w.dst.get(t, k); sha(got) != sha(b) {
					t.Errorf("%q: destination body (%d bytes) differs from the source (%d bytes)", k, len(got), len(b))
				}
			}
		})
	}
}

// Zero-byte objects and zero-byte "folder" keys are copied as they are, with
// their metadata, by a single PUT of an empty body, next to a large object
// in the same run.
func TestZeroByteObjects(t *testing.T) {
	t.Parallel()
	w, _ := newWorld(t, worldOptions{})
	seed := testSeed(t)
	objects := map[string][]byte{
		"z/empty.bin":           {},
		"z/folder/":             {},
		"z/folder/inside.txt":   randomBytes(seed, 10),
		"z/nested/deeper/":      {},
		"z/large-neighbour.bin": randomBytes(seed+1, 11*mib),
	}
	for k, b := range objects {
		w.src.put(t, k, b, withContentType("application/x-empty"))
	}
	r := w.copy(t, "z/", "z/")
	if r.code != 0 {
		t.Fatalf("copy: %s", r)
	}
	if got, want := w.dst.keys(t, "z/"), w.src.keys(t, "z/"); !slices.Equal(got, want) {
		t.Fatalf("destination keys differ from the source:\n%s", keyDiff(got, want))
	}
	for k, b := range objects {
		h := w.dst.head(t, k)
		if h == nil {
			t.Errorf("%q is missing at the destination", k)
			continue
		}
		// versitygw answers application/x-directory for any folder key, so
		// the source's own answer is the reference.
		sh := w.src.head(t, k)
		if aws.ToInt64(h.ContentLength) != int64(len(b)) || aws.ToString(h.ContentType) != aws.ToString(sh.ContentType) {
			t.Errorf("%q: destination has %d bytes, Content-Type %q; want %d bytes, %q", k, aws.ToInt64(h.ContentLength), aws.ToString(h.ContentType), len(b), aws.ToString(sh.ContentType))
		}
		if ev := r.objects()[k]; len(b) == 0 && (ev == nil || ev["method"] != "put" || ev["status"] != "DONE") {
			t.Errorf("%q: object event %v; want a DONE single put", k, ev)
		}
	}
	if got := w.dst.get(t, "z/large-neighbour.bin"); sha(got) != sha(objects["z/large-neighbour.bin"]) {
		t.Errorf("large object differs")
	}
}

func keyDiff(got, want []string) string {
	var b strings.Builder
	for _, k := range want {
		if !slices.Contains(got, k) {
			fmt.Fprintf(&b, "  missing %q\n", k)
		}
	}
	for _, k := range got {
		if !slices.Contains(want, k) {
			fmt.Fprintf(&b, "  extra   %q\n", k)
		}
	}
	return b.String()
}
