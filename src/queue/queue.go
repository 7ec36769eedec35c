// Package queue holds the SQS operations the worker and the jobsender use:
// long-poll receive in batches, delete, visibility changes, batch send with
// retry of the entries SQS refused, and queue depth.
//
// No failure is only logged: every batch operation returns a *BatchError
// naming the entries that did not succeed after retries.
package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// API is the part of the SQS client this package uses (*sqs.Client).
type API interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(context.Context, *sqs.DeleteMessageInput, ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibility(context.Context, *sqs.ChangeMessageVisibilityInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	ChangeMessageVisibilityBatch(context.Context, *sqs.ChangeMessageVisibilityBatchInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// SQS limits.
const (
	MaxBatch       = 10         // entries per batch call
	MaxBatchBytes  = 256 * 1024 // total body bytes per SendMessageBatch
	MaxWait        = 20 * time.Second
	MaxVisibility  = 12 * time.Hour
	defaultRetries = 5
)

// Queue is one SQS queue.
type Queue struct {
	api API
	url string
	// Retries is how many times entries that failed for a reason that is
	// not the sender's fault are sent again (default 5).
	Retries int
	// Backoff is the first wait before a retry, doubled each time
	// (default 200 ms).
	Backoff time.Duration
}

// New returns the queue at url using api (an *sqs.Client).
func New(api API, url string) *Queue { return &Queue{api: api, url: url} }

// URL is the queue's URL.
func (q *Queue) URL() string { return q.url }

// Message is one received message.
type Message struct {
	ID            string
	ReceiptHandle string
	Body          string
	ReceiveCount  int       // ApproximateReceiveCount, 1 on first delivery
	FirstReceive  time.Time // ApproximateFirstReceiveTimestamp
	SentAt        time.Time
}

// Receive long-polls for up to max (1..10) messages, waiting up to wait
// (≤ 20 s) and hiding them for visibility (0 = the queue's default).
// It returns an empty slice when nothing arrived in time.
func (q *Queue) Receive(ctx context.Context, max int, wait, visibility time.Duration) ([]Message, error) {
	if max < 1 || max > MaxBatch {
		max = MaxBatch
	}
	in := &sqs.ReceiveMessageInput{
		QueueUrl:            &q.url,
		MaxNumberOfMessages: int32(max),
		WaitTimeSeconds:     int32(min(wait, MaxWait) / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{
			types.MessageSystemAttributeNameApproximateReceiveCount,
			types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp,
			types.MessageSystemAttributeNameSentTimestamp,
		},
		// Some SQS emulators only read the older field.
		//lint:ignore SA1019 sent alongside its replacement for emulators
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	}
	if visibility > 0 {
		in.VisibilityTimeout = int32(seconds(visibility))
	}
	out, err := q.api.ReceiveMessage(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", q.url, err)
	}
	msgs := make([]Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		msg := Message{ID: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body)}
		a := m.Attributes
		msg.ReceiveCount, _ = strconv.Atoi(a[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		msg.FirstReceive = millis(a[string(types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp)])
		msg.SentAt = millis(a[string(types.MessageSystemAttributeNameSentTimestamp)])
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

func millis(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// seconds rounds d up to whole seconds within SQS's visibility range.
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	d = min(d, MaxVisibility)
	return int64((d + time.Second - 1) / time.Second)
}

// Delete deletes one message.
func (q *Queue) Delete(ctx context.Context, receiptHandle string) error {
	if _, err := q.api.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.url, ReceiptHandle: &receiptHandle}); err != nil {
		return fmt.Errorf("delete message from %s: %w", q.url, err)
	}
	return nil
}

// ChangeVisibility hides a received message for d from now (0 makes it
// visible again at once, which hands it to the next receiver).
func (q *Queue) ChangeVisibility(ctx context.Context, receiptHandle string, d time.Duration) error {
	_, err := q.api.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: &q.url, ReceiptHandle: &receiptHandle, VisibilityTimeout: int32(seconds(d)),
	})
	if err != nil {
		return fmt.Errorf("change visibility in %s: %w", q.url, err)
	}
	return nil
}

// BatchEntryError is one entry of a batch that did not succeed.
type BatchEntryError struct {
	Index       int // index in the caller's slice
	Code        string
	Message     string
	SenderFault bool // true: retrying the same entry cannot succeed
}

// BatchError lists the entries of a batch operation that failed for good.
type BatchError struct {
	Op      string
	Entries []BatchEntryError
	Err     error // the call error when whole calls failed, else nil
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d entries failed", e.Op, len(e.Entries))
	for i, en := range e.Entries {
		if i == 3 {
			fmt.Fprintf(&b, "; …")
			break
		}
		fmt.Fprintf(&b, "; #%d %s: %s", en.Index, en.Code, en.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "; last error: %v", e.Err)
	}
	return b.String()
}

func (e *BatchError) Unwrap() error { return e.Err }

// Failed returns the caller's indices of the failed entries.
func (e *BatchError) Failed() []int {
	out := make([]int, len(e.Entries))
	for i, en := range e.Entries {
		out[i] = en.Index
	}
	return out
}

// batchResult is one call's outcome: which ids failed and why.
type batchResult map[string]BatchEntryError

// runBatch sends items[idx] in batches built by chunk, calling send per
// batch; entries that fail without sender fault are retried with backoff.
// Ids are the caller's indices as strings.
func (q *Queue) runBatch(ctx context.Context, op string, n int, chunk func([]int) [][]int,
	send func(ctx context.Context, idx []int) (batchResult, error)) error {
	retries := q.Retries
	if retries <= 0 {
		retries = defaultRetries
	}
	backoff := q.Backoff
	if backoff <= 0 {
		backoff = 200 * time.Millisecond
	}
	pending := make([]int, n)
	for i := range pending {
		pending[i] = i
	}
	var final []BatchEntryError
	var lastErr error
	for attempt := 0; len(pending) > 0; attempt++ {
		var retry []int
		lastFail := map[int]BatchEntryError{}
		for _, idx := range chunk(pending) {
			res, err := send(ctx, idx)
			if err != nil {
				if ctx.Err() != nil {
					return &BatchError{Op: op, Entries: append(final, failAll(pending, "Canceled", ctx.Err().Error())...), Err: ctx.Err()}
				}
				lastErr = err
				// A client fault (no such queue, access denied, invalid
				// parameter) repeats on retry; the SDK already retried
				// throttling and server errors.
				var apiErr smithy.APIError
				clientFault := errors.As(err, &apiErr) && apiErr.ErrorFault() == smithy.FaultClient
				code := "CallFailed"
				if apiErr != nil {
					code = apiErr.ErrorCode()
				}
				for _, i := range idx {
					e := BatchEntryError{Index: i, Code: code, Message: err.Error(), SenderFault: clientFault}
					lastFail[i] = e
					if e.SenderFault {
						final = append(final, e)
					} else {
						retry = append(retry, i)
					}
				}
				continue
			}
			for _, i := range idx {
				e, failed := res[strconv.Itoa(i)]
				if !failed {
					continue
				}
				e.Index = i
				lastFail[i] = e
				if e.SenderFault {
					final = append(final, e)
				} else {
					retry = append(retry, i)
				}
			}
		}
		if len(retry) == 0 {
			break
		}
		if attempt >= retries {
			for _, i := range retry {
				final = append(final, lastFail[i])
			}
			break
		}
		select {
		case <-ctx.Done():
			return &BatchError{Op: op, Entries: append(final, failAll(retry, "Canceled", ctx.Err().Error())...), Err: ctx.Err()}
		case <-time.After(backoff << attempt):
		}
		pending = retry
	}
	if len(final) == 0 {
		return nil
	}
	return &BatchError{Op: op, Entries: final, Err: lastErr}
}

func failAll(idx []int, code, msg string) []BatchEntryError {
	out := make([]BatchEntryError, len(idx))
	for k, i := range idx {
		out[k] = BatchEntryError{Index: i, Code: code, Message: msg}
	}
	return out
}

func byCount(idx []int) [][]int {
	var out [][]int
	for len(idx) > MaxBatch {
		out = append(out, idx[:MaxBatch])
		idx = idx[MaxBatch:]
	}
	return append(out, idx)
}

func failures(fs []types.BatchResultErrorEntry) batchResult {
	res := batchResult{}
	for _, f := range fs {
		res[aws.ToString(f.Id)] = BatchEntryError{Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault}
	}
	return res
}

// SendBatch sends bodies in batches of up to 10 entries and 256 KiB, and
// sends again the entries SQS refused for a reason other than their
// content. It returns a *BatchError naming (by index in bodies) every body
// that was not sent.
func (q *Queue) SendBatch(ctx context.Context, bodies []string) error {
	chunk := func(idx []int) [][]int {
		var out [][]int
		var cur []int
		size := 0
		for _, i := range idx {
			l := len(bodies[i])
			if len(cur) > 0 && (len(cur) == MaxBatch || size+l > MaxBatchBytes) {
				out = append(out, cur)
				cur, size = nil, 0
			}
			cur = append(cur, i)
			size += l
		}
		if len(cur) > 0 {
			out = append(out, cur)
		}
		return out
	}
	return q.runBatch(ctx, "send message batch to "+q.url, len(bodies), chunk, func(ctx context.Context, idx []int) (batchResult, error) {
		if len(idx) == 1 && len(bodies[idx[0]]) > MaxBatchBytes {
			return batchResult{strconv.Itoa(idx[0]): {Code: "MessageTooLong", Message: fmt.Sprintf("body of %d bytes is over the SQS limit of %d", len(bodies[idx[0]]), MaxBatchBytes), SenderFault: true}}, nil
		}
		entries := make([]types.SendMessageBatchRequestEntry, len(idx))
		for k, i := range idx {
			entries[k] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(bodies[i])}
		}
		out, err := q.api.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &q.url, Entries: entries})
		if err != nil {
			return nil, err
		}
		return failures(out.Failed), nil
	})
}

// DeleteBatch deletes the messages with these receipt handles. A handle
// that is no longer valid (the message was received again elsewhere) is a
// sender fault and reported, not retried.
func (q *Queue) DeleteBatch(ctx context.Context, receiptHandles []string) error {
	return q.runBatch(ctx, "delete message batch from "+q.url, len(receiptHandles), byCount, func(ctx context.Context, idx []int) (batchResult, error) {
		entries := make([]types.DeleteMessageBatchRequestEntry, len(idx))
		for k, i := range idx {
			entries[k] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(receiptHandles[i])}
		}
		out, err := q.api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &q.url, Entries: entries})
		if err != nil {
			return nil, err
		}
		return failures(out.Failed), nil
	})
}

// VisibilityChange is one entry of ChangeVisibilityBatch.
type VisibilityChange struct {
	ReceiptHandle string
	Timeout       time.Duration
}

// ChangeVisibilityBatch changes the visibility of several messages (a
// worker's heartbeat for everything in flight, or the hand-back of a batch).
func (q *Queue) ChangeVisibilityBatch(ctx context.Context, changes []VisibilityChange) error {
	return q.runBatch(ctx, "change visibility batch in "+q.url, len(changes), byCount, func(ctx context.Context, idx []int) (batchResult, error) {
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(idx))
		for k, i := range idx {
			entries[k] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)),
				ReceiptHandle: aws.String(changes[i].ReceiptHandle), VisibilityTimeout: int32(seconds(changes[i].Timeout))}
		}
		out, err := q.api.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &q.url, Entries: entries})
		if err != nil {
			return nil, err
		}
		return failures(out.Failed), nil
	})
}

// Depth is the approximate number of messages in a queue.
type Depth struct {
	Visible  int64 // waiting to be received
	InFlight int64 // received, not yet deleted (NotVisible)
	Delayed  int64
}

// Total is all messages the queue holds.
func (d Depth) Total() int64 { return d.Visible + d.InFlight + d.Delayed }

// Depth reads the queue's approximate counters. SQS counters are
// eventually consistent (about a minute on AWS).
func (q *Queue) Depth(ctx context.Context) (Depth, error) {
	out, err := q.api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: &q.url,
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return Depth{}, fmt.Errorf("queue depth of %s: %w", q.url, err)
	}
	get := func(n types.QueueAttributeName) (int64, error) {
		v, ok := out.Attributes[string(n)]
		if !ok {
			return 0, nil
		}
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("queue depth of %s: attribute %s = %q is not a number", q.url, n, v)
		}
		return x, nil
	}
	var d Depth
	if d.Visible, err = get(types.QueueAttributeNameApproximateNumberOfMessages); err != nil {
		return Depth{}, err
	}
	if d.InFlight, err = get(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible); err != nil {
		return Depth{}, err
	}
	if d.Delayed, err = get(types.QueueAttributeNameApproximateNumberOfMessagesDelayed); err != nil {
		return Depth{}, err
	}
	return d, nil
}

// Empty reports whether the queue holds no message, visible or in flight.
func (q *Queue) Empty(ctx context.Context) (bool, error) {
	d, err := q.Depth(ctx)
	if err != nil {
		return false, err
	}
	return d.Total() == 0, nil
}
