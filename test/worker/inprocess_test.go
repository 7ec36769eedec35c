package workertest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3migrate/s3migrate/src/message"
	"github.com/s3migrate/s3migrate/src/transfer"
	"github.com/s3migrate/s3migrate/src/worker"
)

func encodeCopy(srcBucket, srcKey string, size int64, etag, dstBucket, dstKey string) (string, error) {
	return message.EncodeCopy(message.Object{Bucket: srcBucket, Key: srcKey, Size: size, ETag: etag},
		message.Location{Bucket: dstBucket, Key: dstKey})
}

// drain receives and processes messages with w until the queue is empty,
// deleting the done ones as the Lambda mapping does. ctxFor gives each
// batch its context (a deadline stands for the Lambda timeout).
func (s *stack) drain(t *testing.T, w *worker.Worker, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ctx := testCtx(t, time.Minute)
		msgs, err := s.q.Receive(ctx, 10, time.Second, 0)
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(msgs) == 0 {
			if n, _ := s.depth(t); n == 0 {
				return
			}
			continue
		}
		for i, r := range w.Process(ctx, toWorker(msgs...), worker.ProcessOptions{}) {
			if r.Outcome == worker.Ack {
				if err := s.q.Delete(ctx, msgs[i].ReceiptHandle); err != nil {
					t.Fatalf("delete: %v", err)
				}
			}
		}
	}
	t.Fatalf("queue not drained within %s", within)
}

func toWorker(msgs ...queueMessage) []worker.Message {
	out := make([]worker.Message, len(msgs))
	for i, m := range msgs {
		out[i] = worker.Message{ID: m.ID, ReceiptHandle: m.ReceiptHandle, Body: m.Body, ReceiveCount: m.ReceiveCount}
	}
	return out
}

// A duplicate of a finished object's message does nothing, and two workers
// given the same object at the same time end in one correct object.
func TestDuplicateDeliveryAndTwoWorkersOnOneObject(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	small := s.put(t, "dup/small.bin", 1<<20)
	big := s.put(t, "dup/big.bin", 40<<20)
	sEtag, sSize := s.srcHead(t, "dup/small.bin")
	bEtag, bSize := s.srcHead(t, "dup/big.bin")

	// Sequential duplicates.
	s.send(t, s.job(t, "dup/small.bin", sSize, sEtag))
	w1 := s.worker(t, worker.Config{WorkerID: "w1", Engine: transfer.Options{PartsInFlight: 4}, Lease: 10 * time.Second, RetryDelay: time.Second})
	s.drain(t, w1, time.Minute)
	if got := s.destSHA(t, "dup/small.bin"); got != small {
		t.Fatalf("small object: destination sha256 %q, source %q", got, small)
	}
	s.send(t, s.job(t, "dup/small.bin", sSize, sEtag), s.job(t, "dup/small.bin", sSize, sEtag))
	s.drain(t, w1, time.Minute)
	if st := s.state(t, "dup/small.bin"); st.Status != transfer.StatusDone || st.Attempts != 1 {
		t.Fatalf("after two duplicates the object should be DONE after 1 attempt, state %+v", st)
	}

	// Two workers receive the same object at once.
	s.send(t, s.job(t, "dup/big.bin", bSize, bEtag), s.job(t, "dup/big.bin", bSize, bEtag))
	ctx := testCtx(t, 2*time.Minute)
	var msgs []queueMessage
	waitFor(t, 30*time.Second, "both duplicates received", func() bool {
		m, err := s.q.Receive(ctx, 10, time.Second, 0)
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		msgs = append(msgs, m...)
		return len(msgs) >= 2
	})
	w2 := s.worker(t, worker.Config{WorkerID: "w2", Engine: transfer.Options{PartsInFlight: 4}, Lease: 10 * time.Second, RetryDelay: time.Second})
	var wg sync.WaitGroup
	outs := make([]worker.Result, 2)
	for i, w := range []*worker.Worker{w1, w2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = w.Process(context.WithoutCancel(ctx), toWorker(msgs[i]), worker.ProcessOptions{})[0] // no deadline: EC2-like leases
		}()
	}
	wg.Wait()
	// One copies; the other finds the object held and retries after the
	// holder's lease, when it finds the object DONE.
	acks := 0
	for i, o := range outs {
		switch {
		case o.Outcome == worker.Ack:
			acks++
		case o.Outcome != worker.Retry || !strings.Contains(o.Reason, "holds the object"):
			t.Errorf("worker %d: outcome %s (%s), want ack, or retry because the other holds the object", i+1, o.Outcome, o.Reason)
		}
	}
	if acks == 0 {
		t.Fatalf("neither worker copied the object: %+v", outs)
	}
	s.drain(t, w2, time.Minute)
	if got := s.destSHA(t, "dup/big.bin"); got != big {
		t.Fatalf("big object: destination sha256 %q, source %q", got, big)
	}
	if st := s.state(t, "dup/big.bin"); st.Status != transfer.StatusDone || st.Attempts != 1 {
		t.Fatalf("two workers on one object: want DONE after exactly 1 attempt (the other dropped it), state %+v", st)
	}
}

// A sub-job that fails for good (the source changed under the fan-out)
// ends the object FAILED with its reason and aborts the upload; the other
// sub-jobs are dropped, nothing reaches the DLQ.
func TestFanOutSubJobFailureFailsObjectAndAbortsUpload(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	key := "fan/changing.bin"
	s.put(t, key, 30<<20)
	etag, size := s.srcHead(t, key)
	w := s.worker(t, worker.Config{Engine: transfer.Options{PartsInFlight: 4}, FanOutBytes: 20 << 20, RangeParts: 2, RetryDelay: time.Second})
	s.send(t, s.job(t, key, size, etag))
	ctx := testCtx(t, 2*time.Minute)
	msgs, err := s.q.Receive(ctx, 1, 5*time.Second, 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("receive: %v", err)
	}
	if r := w.Process(ctx, toWorker(msgs...), worker.ProcessOptions{}); r[0].Outcome != worker.Ack {
		t.Fatalf("coordinator: %s %s", r[0].Outcome, r[0].Reason)
	}
	_ = s.q.Delete(ctx, msgs[0].ReceiptHandle)
	st := s.state(t, key)
	if st.UploadID == "" {
		t.Fatalf("no upload recorded by the coordinator: %+v", st)
	}
	s.put(t, key, 30<<20+1) // a new version: every sub-job's pinned read now fails
	s.drain(t, w, time.Minute)
	st = s.state(t, key)
	if st.Status != transfer.StatusFailed || !strings.Contains(st.Error, "changed") {
		t.Fatalf("want FAILED with the reason, got %s %q", st.Status, st.Error)
	}
	up, err := s.dstS3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &s.dstBucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Uploads) != 0 {
		t.Fatalf("the upload was not aborted: %d uploads left", len(up.Uploads))
	}
	if _, dlq := s.depth(t); dlq != 0 {
		t.Fatalf("DLQ holds %d messages", dlq)
	}
}
