package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3migrate/s3migrate/src/emulator"
)

func TestParseCopyArgs(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "urls.txt")
	os.WriteFile(list, []byte("# two files\nhttps://h/a/b%20c.bin?X-Amz-Signature=secret\nhttps://h/x%20y.bin renamed.bin\n"), 0o644)
	empty := filepath.Join(dir, "empty.txt")
	os.WriteFile(empty, []byte("# nothing\n"), 0o644)
	tests := []struct {
		name     string
		args     []string
		urlList  string
		wantKeys []string // http entries' keys
		wantDst  string
		wantErr  string
	}{
		{"s3 to s3", []string{"s3://src-b/p/", "s3://dst-b/q/"}, "", nil, "q/", ""},
		{"url to prefix", []string{"https://h/dir/f.bin?sig=1", "s3://dst-b/in/"}, "", []string{"dir/f.bin"}, "in/", ""},
		{"url to exact key", []string{"https://h/dir/f.bin", "s3://dst-b/in/g.bin"}, "", []string{"in/g.bin"}, "", ""},
		{"url list", []string{"s3://dst-b/in/"}, list, []string{"a/b c.bin", "renamed.bin"}, "in/", ""},
		{"url list wants only destination", []string{"s3://a-b/", "s3://dst-b/in/"}, list, nil, "", "only the destination"},
		{"url list to a key", []string{"s3://dst-b/in"}, list, nil, "", "must be a prefix"},
		{"empty url list", []string{"s3://dst-b/in/"}, empty, nil, "", "holds no URL"},
		{"missing url list", []string{"s3://dst-b/in/"}, filepath.Join(dir, "nope"), nil, "", "--url-list"},
		{"prefix to key", []string{"s3://src-b/p/", "s3://dst-b/key"}, "", nil, "", "must be one too"},
		{"one argument", []string{"s3://src-b/p/"}, "", nil, "", "needs a source and a destination"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := parseCopyArgs(tc.args, tc.urlList)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				if err != nil && strings.Contains(err.Error(), "secret") {
					t.Fatalf("error leaks a URL signature: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, e := range a.entries {
				keys = append(keys, e.Key)
			}
			if strings.Join(keys, "|") != strings.Join(tc.wantKeys, "|") || a.dst.Key != tc.wantDst {
				t.Fatalf("keys %q dst %q, want %q %q", keys, a.dst.Key, tc.wantKeys, tc.wantDst)
			}
		})
	}
}

// TestCopyFromHTTP copies a URL list (ranged GETs, multipart) into a real
// S3 server and checks the bytes; the presigned-style query never shows in
// the output.
func TestCopyFromHTTP(t *testing.T) {
	big := make([]byte, 13<<20+7)
	rand.Read(big)
	small := []byte("hello over http")
	files := map[string][]byte{"/data/big.bin": big, "/data/small.txt": small}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"v1-`+r.URL.Path[len(r.URL.Path)-5:]+`"`)
		http.ServeContent(w, r, r.URL.Path, time.Unix(1700000000, 0), bytes.NewReader(b))
	}))
	defer srv.Close()
	s3srv := emulator.StartS3(t)
	s3srv.CreateBucket(t, "dst-http")
	dir := t.TempDir()
	list := filepath.Join(dir, "urls.txt")
	os.WriteFile(list, []byte(srv.URL+"/data/big.bin?X-Amz-Signature=topsecret\n"+srv.URL+"/data/small.txt greeting.txt\n"+srv.URL+"/data/missing.bin\n"), 0o644)
	env := func(k string) string {
		return map[string]string{"S3MIGRATE_DST_ACCESS_KEY_ID": s3srv.AccessKey, "S3MIGRATE_DST_SECRET_ACCESS_KEY": s3srv.SecretKey}[k]
	}
	run := func() (int, string) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), Env{Stdout: &out, Stderr: &errb, Getenv: env}, []string{"copy", "--url-list", list,
			"--state", filepath.Join(dir, "state.db"), "--progress", "json", "--proxy", "direct",
			"--dst-endpoint", s3srv.Endpoint, "--dst-path-style", "--dst-region", s3srv.Region, "s3://dst-http/web/"})
		return code, out.String() + errb.String()
	}
	code, out := run()
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d (one URL is missing)\n%s", code, ExitFailed, out)
	}
	if strings.Contains(out, "topsecret") {
		t.Fatalf("output leaks the URL signature:\n%s", out)
	}
	if !strings.Contains(out, "missing.bin") || !strings.Contains(out, "not found") {
		t.Fatalf("output does not name the missing URL's failure:\n%s", out)
	}
	c := s3srv.Client()
	for key, want := range map[string][]byte{"web/data/big.bin": big, "web/greeting.txt": small} {
		g, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("dst-http"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		got, _ := io.ReadAll(g.Body)
		g.Body.Close()
		if sha256.Sum256(got) != sha256.Sum256(want) {
			t.Fatalf("%s: %d bytes differ from the %d served", key, len(got), len(want))
		}
	}
	// A re-run sends nothing for the two copied URLs.
	_, out = run()
	if !strings.Contains(out, `"bytes_sent":0`) {
		t.Fatalf("re-run sent bytes again:\n%s", out)
	}
}
