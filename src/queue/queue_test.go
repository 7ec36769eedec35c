package queue_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3migrate/s3migrate/src/emulator"
	"github.com/s3migrate/s3migrate/src/internal/callcount"
	"github.com/s3migrate/s3migrate/src/queue"
)

type env struct {
	q, dlq *queue.Queue
	calls  *callcount.Counter
}

func setup(t *testing.T, s *emulator.SQS, name string, opt emulator.QueueOptions) env {
	t.Helper()
	qp := s.CreateQueueWithDLQ(t, name, opt)
	var c callcount.Counter
	api := sqs.NewFromConfig(c.Instrument(s.Config()))
	return env{q: queue.New(api, qp.URL), dlq: queue.New(api, qp.DLQURL), calls: &c}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// receiveAll polls until n messages arrived or the deadline passes.
func receiveAll(t *testing.T, ctx context.Context, q *queue.Queue, n int) []queue.Message {
	t.Helper()
	var got []queue.Message
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("received %d messages, want %d", len(got), n)
		}
		ms, err := q.Receive(ctx, 10, time.Second, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ms...)
	}
	return got
}

func TestSendBatchSplitsAndDelivers(t *testing.T) {
	t.Parallel()
	s := emulator.StartSQS(t)
	e := setup(t, s, "send", emulator.QueueOptions{})
	ctx := ctxT(t)
	var bodies []string
	for i := 0; i < 23; i++ {
		bodies = append(bodies, fmt.Sprintf(`{"n":%d}`, i))
	}
	// Three 100 KiB bodies cannot share one 256 KiB batch.
	for i := 0; i < 3; i++ {
		bodies = append(bodies, fmt.Sprintf(`{"big":%d,"pad":"%s"}`, i, strings.Repeat("x", 100*1024)))
	}
	if err := e.q.SendBatch(ctx, bodies); err != nil {
		t.Fatalf("SendBatch: %v", err)
	}
	// 23 small + 3 big (two fit in 256 KiB): [10][10][3 small + 2 big][1 big] = 4 calls.
	if got := e.calls.Get("SQS", "SendMessageBatch"); got != 4 {
		t.Errorf("SendMessageBatch calls = %d, want 4 (%s)", got, e.calls)
	}
	got := receiveAll(t, ctx, e.q, len(bodies))
	var gotBodies []string
	for _, m := range got {
		gotBodies = append(gotBodies, m.Body)
		if m.ReceiveCount != 1 {
			t.Errorf("first delivery has ReceiveCount %d", m.ReceiveCount)
		}
	}
	sort.Strings(gotBodies)
	want := append([]string(nil), bodies...)
	sort.Strings(want)
	if strings.Join(gotBodies, "\n") != strings.Join(want, "\n") {
		t.Fatalf("received bodies differ from sent")
	}
}

// A body SQS cannot take is reported with its index; the others are sent.
func TestSendBatchReportsFailedEntries(t *testing.T) {
	t.Parallel()
	s := emulator.StartSQS(t)
	e := setup(t, s, "partial", emulator.QueueOptions{})
	ctx := ctxT(t)
	bodies := []string{"a", strings.Repeat("x", queue.MaxBatchBytes+1), "c"}
	err := e.q.SendBatch(ctx, bodies)
	var be *queue.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("SendBatch error %v, want *BatchError", err)
	}
	if f := be.Failed(); len(f) != 1 || f[0] != 1 {
		t.Fatalf("failed entries %v, want [1]", f)
	}
	got := receiveAll(t, ctx, e.q, 2)
	if len(got) != 2 {
		t.Fatalf("got %d messages, want 2", len(got))
	}

	// A whole call refused by SQS (no such queue) fails every entry at once,
	// without retrying what cannot succeed.
	var c callcount.Counter
	missing := queue.New(sqs.NewFromConfig(c.Instrument(s.Config())), s.Endpoint+"/"+emulator.EmulatorAccountID+"/no-such-queue")
	err = missing.SendBatch(ctx, []string{"a", "b"})
	if !errors.As(err, &be) || len(be.Failed()) != 2 {
		t.Fatalf("send to a missing queue: %v, want both entries failed", err)
	}
	if n := c.Get("SQS", "SendMessageBatch"); n != 1 {
		t.Fatalf("send to a missing queue made %d calls, want 1 (client faults are not retried)", n)
	}
}

func TestDeleteBatchAndDepth(t *testing.T) {
	t.Parallel()
	s := emulator.StartSQS(t)
	e := setup(t, s, "del", emulator.QueueOptions{})
	ctx := ctxT(t)
	if empty, err := e.q.Empty(ctx); err != nil || !empty {
		t.Fatalf("new queue Empty = %v, %v", empty, err)
	}
	var bodies []string
	for i := 0; i < 12; i++ {
		bodies = append(bodies, fmt.Sprint(i))
	}
	if err := e.q.SendBatch(ctx, bodies); err != nil {
		t.Fatal(err)
	}
	// local-aws-sqs may report a message sent in the same instant as
	// "delayed" for a moment: wait (bounded) until all 12 are visible.
	var (
		d   queue.Depth
		err error
	)
	for deadline := time.Now().Add(10 * time.Second); ; {
		d, err = e.q.Depth(ctx)
		if err != nil || d.Visible+d.Delayed != 12 || d.InFlight != 0 {
			t.Fatalf("depth after send: %+v %v, want 12 messages, none in flight", d, err)
		}
		if d.Visible == 12 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d.Visible != 12 {
		t.Fatalf("depth after send: %+v, want 12 visible", d)
	}
	got := receiveAll(t, ctx, e.q, 12)
	d, err = e.q.Depth(ctx)
	if err != nil || d.Visible != 0 || d.InFlight != 12 {
		t.Fatalf("depth while in flight: %+v %v", d, err)
	}
	if empty, _ := e.q.Empty(ctx); empty {
		t.Fatalf("queue with messages in flight reported empty")
	}
	handles := []string{"not-a-receipt-handle"}
	for _, m := range got {
		handles = append(handles, m.ReceiptHandle)
	}
	err = e.q.DeleteBatch(ctx, handles)
	var be *queue.BatchError
	if !errors.As(err, &be) || len(be.Failed()) != 1 || be.Failed()[0] != 0 || !be.Entries[0].SenderFault {
		t.Fatalf("DeleteBatch: %v, want only entry 0 failed as sender fault", err)
	}
	if n := e.calls.Get("SQS", "DeleteMessageBatch"); n != 2 {
		t.Errorf("DeleteMessageBatch calls = %d, want 2 (13 handles, no retry of a sender fault)", n)
	}
	if empty, err := e.q.Empty(ctx); err != nil || !empty {
		t.Fatalf("after deleting all: Empty = %v, %v", empty, err)
	}
}

func TestChangeVisibilityHandsBack(t *testing.T) {
	t.Parallel()
	s := emulator.StartSQS(t)
	e := setup(t, s, "vis", emulator.QueueOptions{MaxReceiveCount: 10})
	ctx := ctxT(t)
	if err := e.q.SendBatch(ctx, []string{"one", "two", "three"}); err != nil {
		t.Fatal(err)
	}
	got := receiveAll(t, ctx, e.q, 3)
	// Nothing is visible while hidden for 10 minutes.
	if ms, err := e.q.Receive(ctx, 10, 0, 0); err != nil || len(ms) != 0 {
		t.Fatalf("hidden messages received: %d %v", len(ms), err)
	}
	// Extend one (heartbeat), hand back the other two in one batch.
	if err := e.q.ChangeVisibility(ctx, got[0].ReceiptHandle, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := e.q.ChangeVisibilityBatch(ctx, []queue.VisibilityChange{{ReceiptHandle: got[1].ReceiptHandle}, {ReceiptHandle: got[2].ReceiptHandle}}); err != nil {
		t.Fatal(err)
	}
	again := receiveAll(t, ctx, e.q, 2)
	for _, m := range again {
		if m.Body == got[0].Body {
			t.Fatalf("the extended message was handed out again")
		}
		if m.ReceiveCount != 2 {
			t.Errorf("ReceiveCount %d after one hand-back, want 2", m.ReceiveCount)
		}
	}
	err := e.q.ChangeVisibilityBatch(ctx, []queue.VisibilityChange{{ReceiptHandle: "bogus", Timeout: time.Minute}})
	var be *queue.BatchError
	if !errors.As(err, &be) || len(be.Failed()) != 1 {
		t.Fatalf("bogus handle: %v, want one failed entry", err)
	}
}

// A message that keeps failing reaches the DLQ after maxReceiveCount.
func TestPoisonMessageReachesDLQ(t *testing.T) {
	t.Parallel()
	s := emulator.StartSQS(t)
	e := setup(t, s, "poison", emulator.QueueOptions{MaxReceiveCount: 3})
	ctx := ctxT(t)
	if err := e.q.SendBatch(ctx, []string{"poison"}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		m := receiveAll(t, ctx, e.q, 1)
		if m[0].ReceiveCount != i {
			t.Fatalf("receive %d: ReceiveCount %d", i, m[0].ReceiveCount)
		}
		if err := e.q.ChangeVisibility(ctx, m[0].ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
	}
	m := receiveAll(t, ctx, e.dlq, 1)
	if m[0].Body != "poison" {
		t.Fatalf("DLQ body %q", m[0].Body)
	}
	if empty, err := e.q.Empty(ctx); err != nil || !empty {
		t.Fatalf("source queue not empty after redrive: %v %v", empty, err)
	}
}
