package worker_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3migrate/s3migrate/src/emulator"
	"github.com/s3migrate/s3migrate/src/internal/callcount"
	"github.com/s3migrate/s3migrate/src/message"
	"github.com/s3migrate/s3migrate/src/queue"
	"github.com/s3migrate/s3migrate/src/s3side"
	"github.com/s3migrate/s3migrate/src/statestore/dynamostore"
	"github.com/s3migrate/s3migrate/src/transfer"
	"github.com/s3migrate/s3migrate/src/worker"
)

// putRepeating writes size bytes of a repeating 1 MiB block (each copy
// stamped with its index) with 64 MiB parts, and returns the MD5 of the
// whole object as hex.
func putRepeating(t *testing.T, c *s3.Client, bucket, key string, size int64) string {
	t.Helper()
	ctx := context.Background()
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i*7 + i>>9)
	}
	const part = 64 << 20
	buf := make([]byte, part)
	fill := func(off int64, b []byte) {
		for i := 0; i < len(b); {
			pos := (off + int64(i)) & (1<<20 - 1)
			n := copy(b[i:], block[pos:])
			if pos == 0 {
				copy(b[i:min(i+8, len(b))], fmt.Sprintf("%08x", (off+int64(i))>>20))
			}
			i += n
		}
	}
	sum := md5.New()
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for n, off := int32(1), int64(0); off < size; n, off = n+1, off+part {
		b := buf[:min(part, size-off)]
		fill(off, b)
		sum.Write(b)
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(b)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s3types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(sum.Sum(nil))
}

func md5Of(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	h := md5.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// The DynamoDB and SQS calls the worker makes per object do not depend on
// the object's size: counted through the SDK middleware (callcount) on the
// worker's own clients, for objects of 1 MiB (one PUT), 16 MiB and 1 GiB
// (multipart: 4 and 205 parts), all on the normal (not fanned-out) path.
func TestCallsPerObjectDoNotGrowWithSize(t *testing.T) {
	if testing.Short() {
		t.Skip("copies 1 GiB through two versitygw servers; skipped with -short")
	}
	src, dst := emulator.StartS3(t), emulator.StartS3(t)
	sq, ddb := emulator.StartSQS(t), emulator.StartDynamoDB(t)
	src.CreateBucket(t, "src")
	dst.CreateBucket(t, "dst")
	qp := sq.CreateQueueWithDLQ(t, "work", emulator.QueueOptions{VisibilityTimeout: 10 * time.Minute})
	var calls callcount.Counter
	q := queue.New(sqs.NewFromConfig(calls.Instrument(sq.Config())), qp.URL)
	states := dynamostore.New(dynamodb.NewFromConfig(calls.Instrument(ddb.Config())), "state")
	if err := states.CreateTable(context.Background()); err != nil && !errors.Is(err, dynamostore.ErrTTLUnsupported) {
		t.Fatal(err)
	}
	side := func(s *emulator.S3Server) *worker.Side {
		return worker.NewSide(s3side.Config{Endpoint: s.Endpoint, Region: s.Region, PathStyle: true,
			AccessKeyID: s.AccessKey, SecretAccessKey: s.SecretKey}, nil)
	}
	w, err := worker.New(worker.Config{WorkerID: "counted", Engine: transfer.Options{PartsInFlight: 16}, FanOutBytes: -1},
		states, q, worker.S3Buckets{Src: side(src), Dst: side(dst)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	type count struct{ ddb, sqs int64 }
	got := map[int64]count{}
	for _, size := range []int64{1 << 20, 16 << 20, 1 << 30} {
		key := fmt.Sprintf("size/%d", size)
		sum := putRepeating(t, src.Client(), "src", key, size)
		body, err := message.EncodeCopy(message.Object{Bucket: "src", Key: key, Size: size}, message.Location{Bucket: "dst", Key: key})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a Lambda-like deadline
		if err := q.SendBatch(ctx, []string{body}); err != nil {
			t.Fatal(err)
		}
		msgs, err := q.Receive(ctx, 1, 5*time.Second, 0)
		if err != nil || len(msgs) != 1 {
			cancel()
			t.Fatalf("receive: %v (%d messages)", err, len(msgs))
		}
		calls.Reset() // count only what the worker does for the object
		start := time.Now()
		res := w.Process(ctx, []worker.Message{{ID: msgs[0].ID, ReceiptHandle: msgs[0].ReceiptHandle, Body: msgs[0].Body, ReceiveCount: 1}}, worker.ProcessOptions{})
		elapsed := time.Since(start)
		c := count{ddb: calls.Service("DynamoDB"), sqs: calls.Service("SQS")}
		detail := calls.String()
		cancel()
		if res[0].Outcome != worker.Ack {
			t.Fatalf("%d bytes: outcome %s: %s", size, res[0].Outcome, res[0].Reason)
		}
		if d := md5Of(t, dst.Client(), "dst", key); d != sum {
			t.Fatalf("%d bytes: destination md5 %s, source %s", size, d, sum)
		}
		got[size] = c
		t.Logf("%11d bytes: DynamoDB calls %d, SQS calls %d [%s] in %.1fs", size, c.ddb, c.sqs, detail, elapsed.Seconds())
	}
	// Claim + finish for a single PUT; claim + record the upload id + finish for multipart.
	if got[1<<20] != (count{ddb: 2, sqs: 0}) {
		t.Errorf("1 MiB: %+v, want 2 DynamoDB calls (claim, finish) and no SQS call", got[1<<20])
	}
	if got[1<<30] != got[16<<20] || got[1<<30] != (count{ddb: 3, sqs: 0}) {
		t.Errorf("calls grow with size: 16 MiB %+v, 1 GiB %+v; want 3 DynamoDB calls (claim, record the upload, finish) and no SQS call for both", got[16<<20], got[1<<30])
	}
}
