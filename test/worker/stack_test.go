// Package workertest runs the serverless worker end to end against real
// emulators: two versitygw servers (the two sides), local-aws-sqs,
// dynalite, moto_server (the far side's keys in SSM) and aws-lambda-rie
// running the built `bootstrap`, fed by a poller that behaves like Lambda's
// SQS event source mapping. The EC2 worker is the real s3migrate binary.
//
// The binaries are built once per `go test` run (TestMain).
package workertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3migrate/s3migrate/src/emulator"
	"github.com/s3migrate/s3migrate/src/queue"
	"github.com/s3migrate/s3migrate/src/s3side"
	"github.com/s3migrate/s3migrate/src/statestore/dynamostore"
	"github.com/s3migrate/s3migrate/src/transfer"
	"github.com/s3migrate/s3migrate/src/worker"
)

// Binaries built by TestMain.
var (
	cliBin       string // s3migrate
	bootstrapBin string // the Lambda, for aws-lambda-rie
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "s3migrate-workertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "workertest:", err)
		os.Exit(1)
	}
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "workertest:", err)
		os.Exit(1)
	}
	cliBin, bootstrapBin = filepath.Join(dir, "s3migrate"), filepath.Join(dir, "bootstrap")
	for _, b := range []struct{ out, pkg string }{{cliBin, "./src/cmd/s3migrate"}, {bootstrapBin, "./src/cmd/lambda"}} {
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", b.out, b.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "workertest: go build %s: %v\n%s", b.pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// stack is one test's world: both sides, the queue with its DLQ, the table.
type stack struct {
	src, dst        *emulator.S3Server
	srcBucket       string
	dstBucket       string
	sqs             *emulator.SQS
	ddb             *emulator.AWSService
	qp              emulator.QueuePair
	table           string
	sqsClient       *sqs.Client
	q, dlq          *queue.Queue
	states          *dynamostore.Store
	visibility      time.Duration
	maxReceiveCount int
	dstS3, srcS3    *s3.Client
}

type stackOptions struct {
	visibility      time.Duration // default 30 s
	maxReceiveCount int           // default 5
}

func newStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	if o.visibility == 0 {
		o.visibility = 30 * time.Second
	}
	if o.maxReceiveCount == 0 {
		o.maxReceiveCount = 5
	}
	s := &stack{srcBucket: "source-bkt", dstBucket: "dest-bkt", table: "s3migrate-state", visibility: o.visibility, maxReceiveCount: o.maxReceiveCount}
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); s.src = emulator.StartS3(t) }()
	go func() { defer wg.Done(); s.dst = emulator.StartS3(t) }()
	go func() { defer wg.Done(); s.sqs = emulator.StartSQS(t) }()
	go func() { defer wg.Done(); s.ddb = emulator.StartDynamoDB(t) }()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	s.src.CreateBucket(t, s.srcBucket)
	s.dst.CreateBucket(t, s.dstBucket)
	s.srcS3, s.dstS3 = s.src.Client(), s.dst.Client()
	s.qp = s.sqs.CreateQueueWithDLQ(t, "work", emulator.QueueOptions{VisibilityTimeout: o.visibility, MaxReceiveCount: o.maxReceiveCount})
	s.sqsClient = sqs.NewFromConfig(s.sqs.Config())
	s.q = queue.New(s.sqsClient, s.qp.URL)
	s.q.Backoff = 50 * time.Millisecond
	s.dlq = queue.New(sqs.NewFromConfig(s.sqs.Config()), s.qp.DLQURL)
	s.states = dynamostore.New(dynamodb.NewFromConfig(s.ddb.Config()), s.table)
	ctx := testCtx(t, time.Minute)
	if err := s.states.CreateTable(ctx); err != nil && !errors.Is(err, dynamostore.ErrTTLUnsupported) {
		t.Fatalf("create table: %v", err)
	}
	return s
}

// side returns an s3side configuration for a server with its root keys.
func sideConfig(srv *emulator.S3Server) s3side.Config {
	return s3side.Config{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, MaxAttempts: 3}
}

// worker returns an in-process worker on this stack.
func (s *stack) worker(t *testing.T, cfg worker.Config) *worker.Worker {
	t.Helper()
	if cfg.WorkerID == "" {
		cfg.WorkerID = "test-" + t.Name()
	}
	if cfg.DestBucket == "" {
		cfg.DestBucket = s.dstBucket
	}
	buckets := worker.S3Buckets{Src: worker.NewSide(sideConfig(s.src), nil), Dst: worker.NewSide(sideConfig(s.dst), nil)}
	w, err := worker.New(cfg, s.states, s.q, buckets, nil, nil)
	if err != nil {
		t.Fatalf("worker.New: %v", err)
	}
	return w
}

// pattern is deterministic content for a key: a 1 MiB random block
// (seeded by the key) repeated, each copy with its index written in, so a
// misplaced part changes the bytes.
type pattern struct {
	block []byte
	size  int64
}

func newPattern(key string, size int64) *pattern {
	h := sha256.Sum256([]byte(key))
	r := rand.New(rand.NewChaCha8(h))
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return &pattern{block: b, size: size}
}

// ReadAt fills p with bytes [off, off+len(p)).
func (p *pattern) ReadAt(buf []byte, off int64) (int, error) {
	n := 0
	for n < len(buf) && off < p.size {
		blk := off >> 20
		in := off & (1<<20 - 1)
		c := copy(buf[n:], p.block[in:])
		c = int(min(int64(c), p.size-off))
		// Stamp the block number into its first 8 bytes.
		for i := 0; i < c; i++ {
			if pos := in + int64(i); pos < 8 {
				buf[n+i] = byte(blk >> (8 * pos))
			}
		}
		n += c
		off += int64(c)
	}
	if n < len(buf) {
		return n, io.EOF
	}
	return n, nil
}

func (p *pattern) sha256() string {
	h := sha256.New()
	_, _ = io.Copy(h, io.NewSectionReader(p, 0, p.size))
	return hex.EncodeToString(h.Sum(nil))
}

// put writes a pattern object of size bytes at the source (multipart with
// 64 MiB parts when large) and returns its SHA-256.
func (s *stack) put(t *testing.T, key string, size int64) string {
	t.Helper()
	ctx := testCtx(t, 5*time.Minute)
	p := newPattern(key, size)
	const part = 64 << 20
	if size <= part {
		buf := make([]byte, size)
		_, _ = p.ReadAt(buf, 0)
		if _, err := s.srcS3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.srcBucket, Key: &key, Body: bytes.NewReader(buf)}); err != nil {
			t.Fatalf("put source %q: %v", key, err)
		}
		return p.sha256()
	}
	up, err := s.srcS3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &s.srcBucket, Key: &key})
	if err != nil {
		t.Fatalf("create upload %q: %v", key, err)
	}
	var parts []s3types.CompletedPart
	buf := make([]byte, part)
	for n, off := int32(1), int64(0); off < size; n, off = n+1, off+part {
		l := min(part, size-off)
		_, _ = p.ReadAt(buf[:l], off)
		out, err := s.srcS3.UploadPart(ctx, &s3.UploadPartInput{Bucket: &s.srcBucket, Key: &key, UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(buf[:l])})
		if err != nil {
			t.Fatalf("upload part %d of %q: %v", n, key, err)
		}
		parts = append(parts, s3types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	if _, err := s.srcS3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &s.srcBucket, Key: &key,
		UploadId: up.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatalf("complete %q: %v", key, err)
	}
	return p.sha256()
}

// destSHA returns the SHA-256 of a destination object, or "" if absent.
func (s *stack) destSHA(t *testing.T, key string) string {
	t.Helper()
	ctx := testCtx(t, 5*time.Minute)
	out, err := s.dstS3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.dstBucket, Key: &key})
	if err != nil {
		var nk *s3types.NoSuchKey
		if errors.As(err, &nk) || strings.Contains(err.Error(), "NotFound") {
			return ""
		}
		t.Fatalf("get destination %q: %v", key, err)
	}
	defer out.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		t.Fatalf("read destination %q: %v", key, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// srcETag returns the source object's ETag (no quotes) and size.
func (s *stack) srcHead(t *testing.T, key string) (string, int64) {
	t.Helper()
	out, err := s.srcS3.HeadObject(testCtx(t, time.Minute), &s3.HeadObjectInput{Bucket: &s.srcBucket, Key: &key})
	if err != nil {
		t.Fatalf("head source %q: %v", key, err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), aws.ToInt64(out.ContentLength)
}

// send queues message bodies on the work queue.
func (s *stack) send(t *testing.T, bodies ...string) {
	t.Helper()
	if err := s.q.SendBatch(testCtx(t, time.Minute), bodies); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// state reads an object's state record.
func (s *stack) state(t *testing.T, key string) transfer.ObjectState {
	t.Helper()
	st, ok, err := s.states.Load(testCtx(t, time.Minute), s.dstBucket+"/"+key)
	if err != nil || !ok {
		t.Fatalf("state of %q: found=%v err=%v", key, ok, err)
	}
	return st
}

// depth returns the visible+in-flight counts of the work queue and the DLQ.
func (s *stack) depth(t *testing.T) (work, dlq int64) {
	t.Helper()
	ctx := testCtx(t, time.Minute)
	d, err := s.q.Depth(ctx)
	if err != nil {
		t.Fatalf("depth: %v", err)
	}
	dd, err := s.dlq.Depth(ctx)
	if err != nil {
		t.Fatalf("dlq depth: %v", err)
	}
	return d.Total(), dd.Total()
}

// waitFor polls cond until it is true or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// job returns a v1 copy job body for a source key.
func (s *stack) job(t *testing.T, key string, size int64, etag string) string {
	t.Helper()
	b, err := encodeCopy(s.srcBucket, key, size, etag, s.dstBucket, key)
	if err != nil {
		t.Fatalf("encode job: %v", err)
	}
	return b
}

type queueMessage = queue.Message
