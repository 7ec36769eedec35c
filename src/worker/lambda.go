package worker

import (
	"context"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// HandleSQS is the Lambda handler for a batch from the SQS event source
// mapping (with ReportBatchItemFailures on). Every message not done is
// reported as a batch item failure, so the mapping deletes only the done
// ones; a handed-back message was already made visible again.
func (w *Worker) HandleSQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	msgs := make([]Message, len(ev.Records))
	for i, r := range ev.Records {
		rc, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
		msgs[i] = Message{ID: r.MessageId, ReceiptHandle: r.ReceiptHandle, Body: r.Body, ReceiveCount: rc}
	}
	opts := ProcessOptions{}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		opts.RequestID = lc.AwsRequestID
	}
	var resp events.SQSEventResponse
	for _, r := range w.Process(ctx, msgs, opts) {
		if r.Outcome != Ack {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageID})
		}
	}
	return resp, nil
}
