package httpsource_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3migrate/s3migrate/src/httpsource"
	"github.com/s3migrate/s3migrate/src/transfer"
)

const secret = "X-Amz-Signature=0123456789abcdefSECRET"

// object is one file the test server serves with http.ServeContent.
type object struct {
	data    []byte
	etag    string // with quotes; "" = none
	modTime time.Time
}

// fileServer is a real HTTP server with Range/If-Match/If-Range support
// (http.ServeContent) and switches for the misbehaviours a source meets.
type fileServer struct {
	*httptest.Server
	mu             sync.Mutex
	objects        map[string]*object
	refuseHead     bool // answer HEAD with 403, as S3 does for a presigned GET URL
	requireSig     bool // 403 unless the query holds the signature
	failNext       int  // answer the next n requests with 503
	cutNext        int  // send half of the next n bodies, then drop the connection
	noRanges       bool // ignore Range and conditions: 200 with the whole body
	ignoreIfMatch  bool // drop If-Match/If-Range before serving
	requests       []*http.Request
	requestsByPath map[string]int
}

func newFileServer(t *testing.T) *fileServer {
	fs := &fileServer{objects: map[string]*object{}, requestsByPath: map[string]int{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fileServer) put(path string, data []byte, etag string, mod time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.objects[path] = &object{data: data, etag: etag, modTime: mod}
}

func (fs *fileServer) set(f func(*fileServer)) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f(fs)
}

func (fs *fileServer) log() []*http.Request {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]*http.Request(nil), fs.requests...)
}

func (fs *fileServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	fs.requests = append(fs.requests, r.Clone(context.Background()))
	fs.requestsByPath[r.URL.Path]++
	obj, ok := fs.objects[r.URL.Path]
	fail := fs.failNext > 0
	if fail {
		fs.failNext--
	}
	cut := !fail && fs.cutNext > 0 && r.Method == http.MethodGet
	if cut {
		fs.cutNext--
	}
	refuseHead, requireSig, noRanges, ignoreIfMatch := fs.refuseHead, fs.requireSig, fs.noRanges, fs.ignoreIfMatch
	fs.mu.Unlock()

	switch {
	case fail:
		http.Error(w, "slow down", http.StatusServiceUnavailable)
		return
	case requireSig && !strings.Contains(r.URL.RawQuery, secret):
		http.Error(w, "AccessDenied", http.StatusForbidden)
		return
	case refuseHead && r.Method == http.MethodHead:
		w.WriteHeader(http.StatusForbidden)
		return
	case !ok:
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	if obj.etag != "" {
		w.Header().Set("ETag", obj.etag)
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "max-age=60")
	w.Header().Set("X-Amz-Meta-Camera", "x100")
	if cut {
		hj, _ := w.(http.Hijacker)
		c, brw, _ := hj.Hijack()
		fmt.Fprintf(brw, "HTTP/1.1 206 Partial Content\r\nContent-Length: %d\r\nContent-Range: %s\r\nETag: %s\r\n\r\n", 1000, "bytes 0-999/"+fmt.Sprint(len(obj.data)), obj.etag)
		brw.Write(obj.data[:min(500, len(obj.data))])
		brw.Flush()
		c.Close()
		return
	}
	if noRanges {
		w.Header().Set("Content-Length", fmt.Sprint(len(obj.data)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(obj.data)
		return
	}
	if ignoreIfMatch {
		r.Header.Del("If-Match")
		r.Header.Del("If-Range")
		r.Header.Del("If-Unmodified-Since")
	}
	http.ServeContent(w, r, "", obj.modTime, bytes.NewReader(obj.data))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func newSource(t *testing.T, entries []httpsource.Entry, logs io.Writer) *httpsource.Source {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	s, err := httpsource.New(entries, httpsource.Options{
		RetryMax: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readAll reads an object in parts of partSize, as the engine does.
func readAll(ctx context.Context, s *httpsource.Source, key string, pin transfer.SourceVersion, partSize int) ([]byte, error) {
	out := make([]byte, pin.Size)
	for off := 0; off < len(out); off += partSize {
		if err := s.ReadRange(ctx, key, pin, int64(off), out[off:min(off+partSize, len(out))]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func TestStatAndReadRange(t *testing.T) {
	fs := newFileServer(t)
	data := randomBytes(1<<20 + 17)
	fs.put("/photos/a b+c.jpg", data, `"etag-1"`, t0)
	fs.put("/empty", nil, `"etag-e"`, t0)
	ctx := context.Background()

	for _, refuseHead := range []bool{false, true} {
		t.Run(fmt.Sprintf("refuseHead=%v", refuseHead), func(t *testing.T) {
			fs.set(func(fs *fileServer) { fs.refuseHead = refuseHead; fs.requests = nil })
			e, err := httpsource.NewEntry(fs.URL+"/photos/a%20b+c.jpg?"+secret, "")
			if err != nil {
				t.Fatal(err)
			}
			if e.Key != "photos/a b+c.jpg" {
				t.Fatalf("key = %q", e.Key)
			}
			empty, _ := httpsource.NewEntry(fs.URL+"/empty", "")
			s := newSource(t, []httpsource.Entry{e, empty}, nil)
			obj, err := s.Stat(ctx, e.Key)
			if err != nil {
				t.Fatal(err)
			}
			want := transfer.SourceVersion{Size: int64(len(data)), ETag: "etag-1", LastModified: t0}
			if obj.Version != want {
				t.Fatalf("version = %+v, want %+v", obj.Version, want)
			}
			if obj.Meta.ContentType != "image/jpeg" || obj.Meta.CacheControl != "max-age=60" || obj.Meta.User["camera"] != "x100" {
				t.Fatalf("metadata = %+v", obj.Meta)
			}
			if refuseHead {
				reqs := fs.log()
				if len(reqs) != 2 || reqs[0].Method != http.MethodHead || reqs[1].Method != http.MethodGet || reqs[1].Header.Get("Range") != "bytes=0-0" {
					t.Fatalf("requests after a refused HEAD: %v", methodsAndRanges(reqs))
				}
			}
			got, err := readAll(ctx, s, e.Key, obj.Version, 100_000)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatal("bytes read differ from the object")
			}
			for _, r := range fs.log() {
				if r.Method == http.MethodGet && r.Header.Get("Range") != "bytes=0-0" && (r.Header.Get("If-Match") != `"etag-1"` || r.Header.Get("If-Range") != `"etag-1"`) {
					t.Fatalf("ranged GET without the pin: %v", r.Header)
				}
				if r.Header.Get("Accept-Encoding") != "identity" {
					t.Fatalf("request asks for Accept-Encoding %q", r.Header.Get("Accept-Encoding"))
				}
			}

			eobj, err := s.Stat(ctx, "empty")
			if err != nil || eobj.Version.Size != 0 || eobj.Version.ETag != "etag-e" {
				t.Fatalf("Stat(empty) = %+v, %v", eobj, err)
			}
		})
	}
}

func methodsAndRanges(reqs []*http.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Header.Get("Range"))
	}
	return out
}

func TestSourceChanged(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		etag   string // initial ETag ("" = server sends none)
		setup  func(fs *fileServer)
		change func(fs *fileServer)
	}{
		{"same size new etag", `"v1"`, nil, func(fs *fileServer) { fs.put("/k", randomBytes(4096), `"v2"`, t0) }},
		{"shorter", `"v1"`, nil, func(fs *fileServer) { fs.put("/k", randomBytes(100), `"v2"`, t0) }},
		{"longer, same etag (lying server)", `"v1"`, nil, func(fs *fileServer) { fs.put("/k", randomBytes(8192), `"v1"`, t0) }},
		{"no etag, new mtime", "", nil, func(fs *fileServer) { fs.put("/k", randomBytes(4096), "", t0.Add(time.Hour)) }},
		{"server ignores If-Match", `"v1"`, func(fs *fileServer) { fs.ignoreIfMatch = true }, func(fs *fileServer) { fs.put("/k", randomBytes(4096), `"v2"`, t0) }},
		{"server ignores Range", `"v1"`, func(fs *fileServer) { fs.noRanges = true }, func(fs *fileServer) { fs.put("/k", randomBytes(4096), `"v2"`, t0) }},
		{"gone", `"v1"`, nil, func(fs *fileServer) { fs.set(func(fs *fileServer) { delete(fs.objects, "/k") }) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFileServer(t)
			if tt.setup != nil {
				fs.set(tt.setup)
			}
			fs.put("/k", randomBytes(4096), tt.etag, t0)
			s := newSource(t, []httpsource.Entry{{URL: fs.URL + "/k", Key: "k"}}, nil)
			obj, err := s.Stat(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 1000)
			if err := s.ReadRange(ctx, "k", obj.Version, 1000, buf); err != nil {
				t.Fatalf("read before the change: %v", err)
			}
			tt.change(fs)
			err = s.ReadRange(ctx, "k", obj.Version, 2000, buf)
			want := transfer.ErrSourceChanged
			if tt.name == "gone" {
				want = transfer.ErrNotFound
			}
			if !errors.Is(err, want) {
				t.Fatalf("read after the change: %v, want %v", err, want)
			}
		})
	}
}

func TestServerWithoutRanges(t *testing.T) {
	fs := newFileServer(t)
	fs.set(func(fs *fileServer) { fs.noRanges = true })
	data := randomBytes(50_000)
	fs.put("/k", data, `"v1"`, t0)
	s := newSource(t, []httpsource.Entry{{URL: fs.URL + "/k", Key: "k"}}, nil)
	obj, err := s.Stat(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(context.Background(), s, "k", obj.Version, 7000)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read without range support: %v (equal=%v)", err, bytes.Equal(got, data))
	}
}

func TestErrors(t *testing.T) {
	fs := newFileServer(t)
	fs.put("/k", randomBytes(10), `"v1"`, t0)
	ctx := context.Background()
	s := newSource(t, []httpsource.Entry{
		{URL: fs.URL + "/missing?" + secret, Key: "missing"},
		{URL: fs.URL + "/k?" + secret, Key: "k"},
		{URL: fs.URL + "/k?expired=1", Key: "expired"},
	}, nil)
	fs.set(func(fs *fileServer) { fs.requireSig = true; fs.refuseHead = true })

	if _, err := s.Stat(ctx, "missing"); !errors.Is(err, transfer.ErrNotFound) {
		t.Errorf("Stat(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, "not-in-list"); !errors.Is(err, transfer.ErrNotFound) {
		t.Errorf("Stat(not in the list) = %v, want ErrNotFound", err)
	}
	_, err := s.Stat(ctx, "expired")
	if !errors.Is(err, transfer.ErrAccessDenied) {
		t.Errorf("Stat(expired presigned URL) = %v, want ErrAccessDenied", err)
	}
	if obj, err := s.Stat(ctx, "k"); err != nil || obj.Version.Size != 10 {
		t.Errorf("Stat(k) = %+v, %v", obj, err)
	}
	if err := s.ReadRange(ctx, "k", transfer.SourceVersion{Size: 10, ETag: "v1"}, 5, make([]byte, 6)); err == nil {
		t.Errorf("read past the pinned size succeeded")
	}
}

// TestRetries: 503s and a body cut short are retried; a server that keeps
// failing ends in an error that names the URL without its signature.
func TestRetries(t *testing.T) {
	fs := newFileServer(t)
	data := randomBytes(5000)
	fs.put("/k", data, `"v1"`, t0)
	ctx := context.Background()
	var logs bytes.Buffer
	s := newSource(t, []httpsource.Entry{{URL: fs.URL + "/k?" + secret, Key: "k"}}, &syncWriter{w: &logs})

	fs.set(func(fs *fileServer) { fs.failNext = 2 })
	obj, err := s.Stat(ctx, "k")
	if err != nil {
		t.Fatalf("Stat after two 503s: %v", err)
	}
	fs.set(func(fs *fileServer) { fs.failNext, fs.cutNext, fs.requests = 1, 1, nil })
	buf := make([]byte, 1000)
	if err := s.ReadRange(ctx, "k", obj.Version, 0, buf); err != nil {
		t.Fatalf("ReadRange after a 503 and a cut body: %v", err)
	}
	if !bytes.Equal(buf, data[:1000]) {
		t.Fatal("wrong bytes after retries")
	}
	if n := len(fs.log()); n != 3 {
		t.Fatalf("%d requests, want 3 (503, cut, good)", n)
	}

	fs.set(func(fs *fileServer) { fs.failNext, fs.requests = 100, nil })
	err = s.ReadRange(ctx, "k", obj.Version, 0, buf)
	if err == nil {
		t.Fatal("ReadRange against a failing server succeeded")
	}
	if n := len(fs.log()); n != 4 {
		t.Fatalf("%d attempts, want 1 + 3 retries", n)
	}
	if !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "/k?REDACTED") {
		t.Fatalf("error %q does not say what failed", err)
	}
	if strings.Contains(err.Error(), "SECRET") || strings.Contains(logs.String(), "SECRET") {
		t.Fatalf("signature leaked:\nerror: %v\nlogs: %s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "REDACTED") {
		t.Fatalf("retry logs do not show the (redacted) URL: %s", logs.String())
	}

	// A connection error (nothing listening) is retried, then reported without the signature.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/k?" + secret
	ln.Close()
	s2 := newSource(t, []httpsource.Entry{{URL: dead, Key: "k"}}, &syncWriter{w: &logs})
	if _, err := s2.Stat(ctx, "k"); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("Stat of a dead server = %v", err)
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Fatalf("signature leaked into logs: %s", logs.String())
	}
}

func TestList(t *testing.T) {
	fs := newFileServer(t)
	fs.put("/b/1", randomBytes(3), `"e1"`, t0)
	fs.put("/a/2", randomBytes(5), `"e2"`, t0)
	fs.put("/c", randomBytes(7), `"e3"`, t0)
	s := newSource(t, []httpsource.Entry{{URL: fs.URL + "/b/1", Key: "b/1"}, {URL: fs.URL + "/a/2", Key: "a/2"}, {URL: fs.URL + "/c", Key: "c"}}, nil)
	var got []string
	err := s.List(context.Background(), "", func(o transfer.ListedObject) error {
		got = append(got, fmt.Sprintf("%s:%d:%s", o.Key, o.Size, o.ETag))
		return nil
	})
	if err != nil || strings.Join(got, ",") != "a/2:5:e2,b/1:3:e1,c:7:e3" {
		t.Fatalf("List = %v, %v", got, err)
	}
	if keys := s.Keys(); strings.Join(keys, ",") != "a/2,b/1,c" {
		t.Fatalf("Keys = %v", keys)
	}
}

func TestDuplicateKeys(t *testing.T) {
	_, err := httpsource.New([]httpsource.Entry{
		{URL: "https://h1.example/x?" + secret, Key: "x"},
		{URL: "https://h2.example/x?" + secret, Key: "x"},
	}, httpsource.Options{})
	if err == nil || !strings.Contains(err.Error(), "explicit destination key") || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("New with duplicate keys = %v", err)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
