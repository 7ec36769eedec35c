package workertest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

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
