package emulator

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The SDK's JSON-protocol client works against local-aws-sqs, and a message
// received maxReceiveCount times and released lands in the DLQ.
func TestSQSRedriveToDLQ(t *testing.T) {
	t.Parallel()
	s := StartSQS(t)
	qp := s.CreateQueueWithDLQ(t, "emu-redrive", QueueOptions{MaxReceiveCount: 2, VisibilityTimeout: 30 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := sqs.NewFromConfig(s.Config())
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &qp.URL, MessageBody: aws.String("poison")}); err != nil {
		t.Fatalf("send: %v", err)
	}
	for i := 1; i <= 2; i++ {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &qp.URL, WaitTimeSeconds: 2, MaxNumberOfMessages: 10,
			// local-aws-sqs knows only the older AttributeNames field.
			//lint:ignore SA1019 the replacement field is not understood by the emulator
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if err != nil {
			t.Fatalf("receive %d: %v", i, err)
		}
		if len(out.Messages) != 1 {
			t.Fatalf("receive %d: got %d messages, want 1", i, len(out.Messages))
		}
		// A visibility change is not a receive (local-aws-sqs 2.0.2 counted it; see sqs.go).
		if got := out.Messages[0].Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)]; got != strconv.Itoa(i) {
			t.Fatalf("receive %d: ApproximateReceiveCount %s, want %d", i, got, i)
		}
		// Releasing the message at once is what a failed batch item does.
		if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &qp.URL, ReceiptHandle: out.Messages[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			t.Fatalf("release %d: %v", i, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &qp.DLQURL, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("receive dlq: %v", err)
		}
		if len(out.Messages) == 1 {
			if got := aws.ToString(out.Messages[0].Body); got != "poison" {
				t.Fatalf("dlq body %q, want poison", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("message did not reach the DLQ after 2 receives")
		}
	}
	ga, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &qp.URL, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatalf("attributes: %v", err)
	}
	if n := ga.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]; n != "0" {
		t.Fatalf("source queue still has %s messages", n)
	}
}
