package s3side

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3migrate/s3migrate/src/emulator"
	"github.com/s3migrate/s3migrate/src/transfer"
)

// flakyProxy is a TCP proxy in front of a real server that breaks chosen
// connections: it resets them before any response, or cuts the response
// after a number of bytes.
type flakyProxy struct {
	addr   string
	target string
	conns  atomic.Int32
	// cut returns, for the n-th connection (1-based), how many response
	// bytes to pass before resetting: 0 = reset at once, -1 = pass all.
	cut func(n int32) int64
}

func startFlakyProxy(t *testing.T, target string, cut func(n int32) int64) *flakyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{addr: ln.Addr().String(), target: strings.TrimPrefix(target, "http://"), cut: cut}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); p.serve(c.(*net.TCPConn)) }()
		}
	}()
	return p
}

func (p *flakyProxy) serve(c *net.TCPConn) {
	defer c.Close()
	limit := p.cut(p.conns.Add(1))
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(up, c) }()
	if limit == 0 {
		// Wait for the request to start, then reset.
		buf := make([]byte, 1)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Read(buf)
		_ = c.SetLinger(0)
		return
	}
	if limit < 0 {
		_, _ = io.Copy(c, up)
		return
	}
	_, _ = io.CopyN(c, up, limit)
	_ = c.SetLinger(0)
}

func (p *flakyProxy) endpoint() string { return "http://" + p.addr }

// rangeLog records the Range header of every GET.
type rangeLog struct {
	mu     sync.Mutex
	ranges []string
	next   aws.HTTPClient
}

func (l *rangeLog) Do(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet {
		l.mu.Lock()
		l.ranges = append(l.ranges, r.Header.Get("Range"))
		l.mu.Unlock()
	}
	return l.next.Do(r)
}

func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func TestConnectionResetsAreRetried(t *testing.T) {
	t.Parallel()
	srv := emulator.StartS3(t)
	srv.CreateBucket(t, "reset")
	mustPut(t, sideFor(t, srv, "reset", nil).Destination(), "k", []byte("payload"), transfer.PutOptions{})

	// Every connection is reset: with one attempt the call fails, so the
	// proxy really breaks connections.
	broken := startFlakyProxy(t, srv.Endpoint, func(int32) int64 { return 0 })
	one := sideFor(t, srv, "reset", func(c *Config) { c.Endpoint, c.MaxAttempts, c.HTTPClient = broken.endpoint(), 1, newHTTPClient() })
	if _, err := one.Stat(testCtx(t), "k"); err == nil {
		t.Fatal("Stat through a proxy that resets every connection succeeded")
	}

	// The first two connections are reset; the SDK retries on fresh ones.
	p := startFlakyProxy(t, srv.Endpoint, func(n int32) int64 {
		if n <= 2 {
			return 0
		}
		return -1
	})
	b := sideFor(t, srv, "reset", func(c *Config) { c.Endpoint, c.MaxAttempts, c.HTTPClient = p.endpoint(), 5, newHTTPClient() })
	so, err := b.Stat(testCtx(t), "k")
	if err != nil {
		t.Fatalf("Stat with two resets and 5 attempts: %v", err)
	}
	if so.Version.Size != 7 || p.conns.Load() < 3 {
		t.Fatalf("size %d after %d connections", so.Version.Size, p.conns.Load())
	}
	mustPut(t, b.Destination(), "k2", []byte("after resets"), transfer.PutOptions{})
}

// A body that breaks off mid-way is resumed from the byte where it stopped,
// not read again from the start.
func TestReadRangeResumesBrokenBody(t *testing.T) {
	t.Parallel()
	srv := emulator.StartS3(t)
	srv.CreateBucket(t, "resume")
	body := randBytes(t, 4<<20)
	mustPut(t, sideFor(t, srv, "resume", nil).Destination(), "k", body, transfer.PutOptions{})
	p := startFlakyProxy(t, srv.Endpoint, func(n int32) int64 {
		if n == 1 {
			return 1 << 20 // headers and a little under 1 MiB of body
		}
		return -1
	})
	log := &rangeLog{next: newHTTPClient()}
	b := sideFor(t, srv, "resume", func(c *Config) { c.Endpoint, c.HTTPClient = p.endpoint(), log })
	pin := transfer.SourceVersion{Size: int64(len(body)), ETag: fmt.Sprintf("%x", md5Of(body))}
	buf := make([]byte, len(body))
	if err := b.ReadRange(testCtx(t), "k", pin, 0, buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf, body) {
		t.Fatal("resumed read differs")
	}
	if len(log.ranges) != 2 || log.ranges[0] != fmt.Sprintf("bytes=0-%d", len(body)-1) || strings.HasPrefix(log.ranges[1], "bytes=0-") {
		t.Fatalf("ranges asked: %q; want the whole range, then the rest from where it broke", log.ranges)
	}
}

// versitygw with --max-requests 1 answers 503 SlowDown while another
// request is in flight: the SDK retries it with backoff.
func TestSlowDownIsRetried(t *testing.T) {
	t.Parallel()
	srv := emulator.StartS3(t, emulator.WithGatewayArgs("--max-requests", "1"))
	srv.CreateBucket(t, "slow")
	setup := sideFor(t, srv, "slow", nil)
	mustPut(t, setup.Destination(), "small", []byte("x"), transfer.PutOptions{})

	// Hold the only request slot with a PUT whose body trickles in
	// (versitygw streams request bodies into the handler).
	const held = 1 << 20
	pr, pw := io.Pipe()
	putDone := make(chan error, 1)
	presigned, err := s3.NewPresignClient(srv.Client()).PresignPutObject(testCtx(t), &s3.PutObjectInput{Bucket: aws.String("slow"), Key: aws.String("held")})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		req, err := http.NewRequestWithContext(testCtx(t), http.MethodPut, presigned.URL, pr)
		if err != nil {
			putDone <- err
			return
		}
		req.ContentLength = held
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("held PUT: HTTP %d", resp.StatusCode)
			}
		}
		putDone <- err
	}()
	if _, err := pw.Write(make([]byte, held/2)); err != nil {
		t.Fatal(err)
	}
	var release sync.Once
	releaseSlot := func() {
		release.Do(func() {
			go func() { _, _ = pw.Write(make([]byte, held-held/2)); pw.Close() }()
		})
	}
	t.Cleanup(releaseSlot)

	// Poll until the held PUT is counted: one-attempt calls then get 503.
	one := sideFor(t, srv, "slow", func(c *Config) { c.MaxAttempts = 1 })
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := one.Stat(testCtx(t), "small")
		var se *Error
		if errors.As(err, &se) && se.Status == http.StatusServiceUnavailable { // SlowDown; HEAD has no body to name it
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never throttled while a request was held: last result %v", err)
		}
		select {
		case err := <-putDone:
			t.Fatalf("the held PUT ended early: %v", err)
		default:
		}
	}

	// Release the slot when the retrying client sees its first 503.
	var saw503 atomic.Int32
	client := hookClient{next: http.DefaultClient, after: func(r *http.Response) {
		if r.StatusCode == http.StatusServiceUnavailable {
			saw503.Add(1)
			releaseSlot()
		}
	}}
	b := sideFor(t, srv, "slow", func(c *Config) { c.MaxAttempts, c.MaxBackoff, c.HTTPClient = 30, 100*time.Millisecond, client })
	if _, err := b.Stat(testCtx(t), "small"); err != nil {
		t.Fatalf("Stat with retries: %v", err)
	}
	if saw503.Load() == 0 {
		t.Fatal("no 503 was seen: the test did not exercise throttling")
	}
	if err := <-putDone; err != nil {
		t.Fatalf("held PUT: %v", err)
	}
}

type hookClient struct {
	next  aws.HTTPClient
	after func(*http.Response)
}

func (h hookClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := h.next.Do(r)
	if err == nil {
		h.after(resp)
	}
	return resp, err
}

func TestRegionIsDetected(t *testing.T) {
	t.Parallel()
	srv := emulator.StartS3(t, emulator.WithRegion("eu-west-3"))
	srv.CreateBucket(t, "paris")
	c, err := New(testCtx(t), Config{Endpoint: srv.Endpoint, PathStyle: true, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(testCtx(t), "paris")
	if err != nil {
		t.Fatal(err)
	}
	if b.Region() != "eu-west-3" {
		t.Fatalf("detected region %q, want eu-west-3", b.Region())
	}
	mustPut(t, b.Destination(), "k", []byte("signed for eu-west-3"), transfer.PutOptions{})
	// The endpoint's region is learnt even for a bucket it does not have;
	// the bucket itself then reports not found.
	missing, err := c.Bucket(testCtx(t), "no-such-bucket")
	if err != nil || missing.Region() != "eu-west-3" {
		t.Fatalf("detection for a missing bucket: %v", err)
	}
	if _, err := missing.Stat(testCtx(t), "k"); !errors.Is(err, transfer.ErrNotFound) {
		t.Fatalf("Stat in a missing bucket: %v", err)
	}
}

// Credentials from named environment variables and from a named profile
// (not parallel: both change the process environment).
func TestCredentialSources(t *testing.T) {
	srv := emulator.StartS3(t)
	srv.CreateBucket(t, "creds")
	t.Setenv("S3SIDE_TEST_ID", srv.AccessKey)
	t.Setenv("S3SIDE_TEST_SECRET", srv.SecretKey)
	dir := t.TempDir()
	credFile := filepath.Join(dir, "credentials")
	content := fmt.Sprintf("[side-b]\naws_access_key_id = %s\naws_secret_access_key = %s\n", srv.AccessKey, srv.SecretKey)
	if err := os.WriteFile(credFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	for _, tt := range []struct {
		name string
		mod  func(*Config)
	}{
		{"env vars", func(c *Config) {
			c.AccessKeyID, c.SecretAccessKey, c.AccessKeyIDEnv, c.SecretAccessKeyEnv = "", "", "S3SIDE_TEST_ID", "S3SIDE_TEST_SECRET"
		}},
		{"profile", func(c *Config) { c.AccessKeyID, c.SecretAccessKey, c.Profile = "", "", "side-b" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := sideFor(t, srv, "creds", tt.mod)
			mustPut(t, b.Destination(), tt.name, []byte("x"), transfer.PutOptions{})
		})
	}
	if _, err := New(testCtx(t), Config{AccessKeyIDEnv: "S3SIDE_UNSET_ID", SecretAccessKeyEnv: "S3SIDE_UNSET_SECRET"}); err == nil || !strings.Contains(err.Error(), "S3SIDE_UNSET_ID") {
		t.Fatalf("unset env vars: %v", err)
	}
	if _, err := New(testCtx(t), Config{Profile: "no-such-profile"}); err == nil {
		t.Fatal("a missing profile was accepted")
	}
}

// authLog records the access key in each request's signature and the STS
// calls' bodies.
type authLog struct {
	mu      sync.Mutex
	keys    []string
	stsBody []string
	next    aws.HTTPClient
}

func (l *authLog) Do(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	auth := r.Header.Get("Authorization")
	if i := strings.Index(auth, "Credential="); i >= 0 {
		l.keys = append(l.keys, strings.SplitN(auth[i+len("Credential="):], "/", 2)[0])
	}
	if r.Method == http.MethodPost && r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		l.stsBody = append(l.stsBody, string(body))
	}
	l.mu.Unlock()
	return l.next.Do(r)
}

// Assume-role goes to STS with the external id, and the S3 calls are signed
// with the role's temporary keys (moto serves both STS and S3).
func TestAssumeRole(t *testing.T) {
	t.Parallel()
	moto := emulator.StartMoto(t)
	ctx := testCtx(t)
	if _, err := s3.NewFromConfig(moto.Config(), func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("role-bucket")}); err != nil {
		t.Fatal(err)
	}
	log := &authLog{next: http.DefaultClient}
	cfg := Config{
		Endpoint: moto.Endpoint, Region: moto.Region, PathStyle: true,
		AccessKeyID: emulator.DummyAccessKeyID, SecretAccessKey: emulator.DummySecretAccessKey,
		RoleARN: "arn:aws:iam::123456789012:role/copier", ExternalID: "ext-42", STSEndpoint: moto.Endpoint,
		HTTPClient: log,
	}
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(ctx, "role-bucket")
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, b.Destination(), "k", []byte("as the role"), transfer.PutOptions{})
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.stsBody) == 0 || !strings.Contains(log.stsBody[0], "Action=AssumeRole") || !strings.Contains(log.stsBody[0], "ExternalId=ext-42") {
		t.Fatalf("STS calls: %q", log.stsBody)
	}
	last := log.keys[len(log.keys)-1]
	if last == emulator.DummyAccessKeyID || last == "" {
		t.Fatalf("PutObject signed with %q, want the role's temporary key", last)
	}
}

// Bytes allocated per part do not grow with the part: no copy of the body
// is made by ReadRange or UploadPart.
func TestPartAllocationsDoNotScaleWithPartSize(t *testing.T) {
	srv := emulator.StartS3(t)
	srv.CreateBucket(t, "alloc")
	b := sideFor(t, srv, "alloc", nil)
	d := b.Destination()
	const part = 8 << 20
	body := randBytes(t, part)
	mustPut(t, d, "src", body, transfer.PutOptions{})
	pin := transfer.SourceVersion{Size: part, ETag: fmt.Sprintf("%x", md5Of(body))}
	id, err := d.CreateUpload(testCtx(t), "dst", transfer.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, part)
	sum := md5Of(body)
	ctx := testCtx(t)
	measure := func(name string, f func() error) {
		if err := f(); err != nil { // warm up connections and pools
			t.Fatal(err)
		}
		const runs = 5
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range runs {
			if err := f(); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		perOp := (after.TotalAlloc - before.TotalAlloc) / runs
		allocs := (after.Mallocs - before.Mallocs) / runs
		t.Logf("%s of %d MiB: %d bytes in %d allocations per call", name, part>>20, perOp, allocs)
		if perOp > part/8 {
			t.Errorf("%s allocates %d bytes per %d-byte part: the body is being copied", name, perOp, part)
		}
	}
	measure("ReadRange", func() error { return b.ReadRange(ctx, "src", pin, 0, buf) })
	measure("UploadPart", func() error {
		_, err := d.UploadPart(ctx, "dst", id, transfer.PartBody{Number: 1, Data: body, MD5: sum})
		return err
	})
	if !bytes.Equal(buf, body) {
		t.Fatal("ReadRange bytes differ")
	}
}
