package copytest

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The metadata a user set on the source arrives at the destination: the
// standard headers, user metadata and, with --copy-tags, the tags; the
// storage class comes from --storage-class. Checked for a single PUT and a
// multipart copy.
func TestMetadataPreserved(t *testing.T) {
	t.Parallel()
	w, _ := newWorld(t, worldOptions{})
	seed := testSeed(t)
	expires := time.Date(2031, 5, 17, 8, 30, 0, 0, time.UTC)
	meta := func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("text/csv; charset=utf-8")
		in.CacheControl = aws.String("max-age=3600, must-revalidate")
		in.ContentDisposition = aws.String(`attachment; filename="report 2024.csv"`)
		in.ContentEncoding = aws.String("gzip") // the bytes are not gzip: they must arrive as they are
		in.ContentLanguage = aws.String("de-CH")
		in.Expires = aws.Time(expires)
		in.Metadata = map[string]string{"owner": "team-a", "checksum-note": "x=1;y=2", "empty": ""}
		in.Tagging = aws.String(url.Values{"project": {"migration"}, "cost centre": {"42/7"}}.Encode())
	}
	wantTags := map[string]string{"project": "migration", "cost centre": "42/7"}
	objects := map[string][]byte{
		"m/small.csv": randomBytes(seed, 4096),
		"m/large.csv": randomBytes(seed+1, 12*mib+1),
	}
	for k, b := range objects {
		w.src.put(t, k, b, meta)
	}
	r := w.copy(t, "m/", "m/", "--copy-tags", "--storage-class", "STANDARD_IA", "--part-size", "5MiB")
	if r.code != 0 {
		t.Fatalf("copy: %s", r)
	}
	for k, b := range objects {
		src, dst := w.src.head(t, k), w.dst.head(t, k)
		if dst == nil {
			t.Fatalf("%q missing at the destination", k)
		}
		for _, f := range []struct {
			name     string
			got, src *string
		}{
			{"Content-Type", dst.ContentType, src.ContentType},
			{"Cache-Control", dst.CacheControl, src.CacheControl},
			{"Content-Disposition", dst.ContentDisposition, src.ContentDisposition},
			{"Content-Encoding", dst.ContentEncoding, src.ContentEncoding},
			{"Content-Language", dst.ContentLanguage, src.ContentLanguage},
		} {
			if aws.ToString(f.got) != aws.ToString(f.src) || aws.ToString(f.src) == "" {
				t.Errorf("%q %s: destination %q, source %q", k, f.name, aws.ToString(f.got), aws.ToString(f.src))
			}
		}
		if got, err := http.ParseTime(aws.ToString(dst.ExpiresString)); err != nil || !got.Equal(expires) {
			t.Errorf("%q Expires: destination %q, want %s", k, aws.ToString(dst.ExpiresString), expires.Format(http.TimeFormat))
		}
		if !maps.Equal(dst.Metadata, src.Metadata) || dst.Metadata["owner"] != "team-a" {
			t.Errorf("%q user metadata: destination %v, source %v", k, dst.Metadata, src.Metadata)
		}
		if got := w.dst.tags(t, k); !maps.Equal(got, wantTags) {
			t.Errorf("%q tags: destination %v, want %v", k, got, wantTags)
		}
		if got := w.dst.get(t, k); sha(got) != sha(b) {
			t.Errorf("%q: destination bytes differ from the source", k)
		}
	}
	// versitygw accepts storage classes but reports STANDARD for every
	// object, so the request that created each object is checked instead.
	creates := 0
	for _, q := range w.meter.Requests() {
		isCreate := q.Method == http.MethodPost && strings.Contains(q.Target, "uploads")
		isPut := q.Method == http.MethodPut && !strings.Contains(q.Target, "partNumber=")
		if !isCreate && !isPut {
			continue
		}
		creates++
		if sc := q.Header.Get("X-Amz-Storage-Class"); sc != "STANDARD_IA" {
			t.Errorf("%s %s sent storage class %q, want STANDARD_IA", q.Method, q.Target, sc)
		}
	}
	if creates != len(objects) {
		t.Errorf("saw %d PutObject/CreateMultipartUpload requests, want %d", creates, len(objects))
	}
}
