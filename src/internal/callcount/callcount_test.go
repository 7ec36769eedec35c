package callcount_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3migrate/s3migrate/src/emulator"
	"github.com/s3migrate/s3migrate/src/internal/callcount"
)

func TestCountsCallsPerOperation(t *testing.T) {
	t.Parallel()
	s := emulator.StartSQS(t)
	var c callcount.Counter
	cl := sqs.NewFromConfig(c.Instrument(s.Config()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cc")})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int64{"SQS.CreateQueue": 1, "SQS.SendMessage": 3}
	got := c.Snapshot()
	if len(got) != len(want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %s)", k, got[k], v, &c)
		}
	}
	if n := c.Service("SQS"); n != 4 {
		t.Errorf("Service(SQS) = %d, want 4", n)
	}
	// A client built without the counter is not counted.
	if _, err := sqs.NewFromConfig(s.Config()).ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatal(err)
	}
	if n := c.Get("SQS", "ListQueues"); n != 0 {
		t.Errorf("uninstrumented call counted: %d", n)
	}
	c.Reset()
	if n := c.Service("SQS"); n != 0 {
		t.Errorf("after Reset: %d", n)
	}
}

// One call that the retryer sends three times counts once as a call and
// three times as attempts.
func TestRetriesAreAttemptsNotCalls(t *testing.T) {
	t.Parallel()
	port := emulator.FreePort(t) // nothing listens there: connection refused, retryable
	var c callcount.Counter
	cfg := c.Instrument(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(fmt.Sprintf("http://127.0.0.1:%d", port)),
		Credentials: aws.AnonymousCredentials{}})
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3; o.MaxBackoff = time.Millisecond })
	}
	_, err := sqs.NewFromConfig(cfg).ListQueues(context.Background(), &sqs.ListQueuesInput{})
	if err == nil {
		t.Fatal("call to a closed port succeeded")
	}
	if got := c.Get("SQS", "ListQueues"); got != 1 {
		t.Errorf("calls = %d, want 1", got)
	}
	if got := c.Attempts("SQS", "ListQueues"); got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
}
