// local-aws-sqs 2.0.2 (npm, .tools/node_modules/local-aws-sqs) is an SQS
// server in plain Node. Findings (checked by sqs_test.go and src/queue tests):
//   - No CLI: the package exports createSqsServer({port, hostname, region,
//     accountId, ...}); we start it with `node -e`. Options used: hostname
//     127.0.0.1 (queue URLs are built from it and the port), region and
//     accountId (only in ARNs/URLs), emulateQueueCreationLifecycle=false (so a
//     queue name can be reused at once) and emulateLazyQueues=false.
//   - It speaks both the Query and the JSON (x-amz-json-1.0 + X-Amz-Target)
//     protocols; aws-sdk-go-v2's sqs client (JSON since 2023) works unchanged.
//   - Queues are looked up by the last path element of QueueUrl, so the host
//     in the URL does not matter.
//   - RedrivePolicy {deadLetterTargetArn, maxReceiveCount} is honoured: when
//     a message's visibility expires (timeout or ChangeMessageVisibility 0)
//     and its ApproximateReceiveCount >= maxReceiveCount it moves to the DLQ
//     (real SQS moves it on the next receive; the observable result, the
//     message in the DLQ after maxReceiveCount receives, is the same).
//   - VisibilityTimeout (queue attribute and per receive), WaitTimeSeconds
//     long polling, MaxNumberOfMessages up to 10, SendMessageBatch /
//     DeleteMessageBatch / ChangeMessageVisibilityBatch with per-entry
//     Successful/Failed lists, GetQueueAttributes Approximate* counters work.
//   - Two bugs fixed at load time (see sqsServerScript): 2.0.2 increments
//     ApproximateReceiveCount on every ChangeMessageVisibility too (a worker
//     that extends visibility or hands a message back would reach the DLQ
//     early), and its ApproximateNumberOfMessages includes in-flight
//     messages. The launcher patches both statements in memory and refuses
//     to start if they are not found. (Its StartMessageMoveTask relied on
//     the second bug to count what to move; s3migrate does not use it.)
//   - ReceiveMessage understands only the older AttributeNames field, not
//     MessageSystemAttributeNames: ask for ApproximateReceiveCount with both.
//   - Credentials and signatures are not checked.

package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// EmulatorAccountID is the account id local-aws-sqs puts in queue ARNs/URLs.
const EmulatorAccountID = "123456789012"

const sqsServerScript = `
// local-aws-sqs 2.0.2 differs from SQS in two ways that matter to a worker;
// load it with those statements fixed, and refuse to start if they are not
// found (a new version: re-check src/emulator/sqs.go).
//  1. ChangeMessageVisibility counted as a receive (ApproximateReceiveCount+1),
//     so heartbeats pushed messages into the DLQ; SQS counts only receives.
//  2. ApproximateNumberOfMessages counted in-flight messages too; SQS counts
//     only visible ones.
const fs = require("fs"), path = require("path"), Module = require("module");
const file = require.resolve(process.env.SQS_MODULE);
const patches = [
  ["let n=Number(t.record.attributes.ApproximateReceiveCount)+1;",
   "let n=Number(t.record.attributes.ApproximateReceiveCount)+(i?0:1);"],
  ["ApproximateNumberOfMessages:String(S(this,E).filter(o=>!o.delayed).length)",
   "ApproximateNumberOfMessages:String(S(this,E).filter(o=>!o.delayed&&o.visible).length)"],
];
let src = fs.readFileSync(file, "utf8");
for (const [bug, fix] of patches) {
  if (!src.includes(bug)) {
    console.error("local-aws-sqs: statement to fix not found in " + file + ": " + bug + "; re-check src/emulator/sqs.go against this version");
    process.exit(3);
  }
  src = src.replace(bug, fix);
}
const m = new Module(file, module);
m.filename = file;
m.paths = Module._nodeModulePaths(path.dirname(file));
m._compile(src, file);
const { createSqsServer } = m.exports;
createSqsServer({
  port: Number(process.env.SQS_PORT),
  hostname: "127.0.0.1",
  region: process.env.SQS_REGION,
  accountId: process.env.SQS_ACCOUNT,
  emulateQueueCreationLifecycle: false,
  emulateLazyQueues: false,
}).then(() => console.log("local-aws-sqs listening on " + process.env.SQS_PORT),
        (err) => { console.error(err); process.exit(1); });
`

// SQS is a running local-aws-sqs.
type SQS struct {
	AWSService
}

// StartSQS starts local-aws-sqs on a free loopback port.
func StartSQS(t testing.TB) *SQS {
	t.Helper()
	mod := NodeModule(t, "local-aws-sqs")
	p, addr := startOnFreePort(t, "local-aws-sqs", "local-aws-sqs listening on", func(port int) (env, argv []string) {
		return []string{
			"SQS_MODULE=" + mod,
			"SQS_PORT=" + strconv.Itoa(port),
			"SQS_REGION=" + DummyRegion,
			"SQS_ACCOUNT=" + EmulatorAccountID,
		}, []string{"node", "-e", sqsServerScript}
	})
	return &SQS{AWSService{Endpoint: "http://" + addr, Region: DummyRegion, Process: p}}
}

// QueueOptions shape a test queue.
type QueueOptions struct {
	VisibilityTimeout time.Duration // default 30 s
	MaxReceiveCount   int           // default 3; the DLQ takes the message after this many receives
}

// QueuePair is a work queue and its dead-letter queue.
type QueuePair struct {
	URL, ARN       string
	DLQURL, DLQARN string
}

// CreateQueueWithDLQ creates name-dlq and name with a RedrivePolicy to it.
func (s *SQS) CreateQueueWithDLQ(t testing.TB, name string, opt QueueOptions) QueuePair {
	t.Helper()
	if opt.VisibilityTimeout == 0 {
		opt.VisibilityTimeout = 30 * time.Second
	}
	if opt.MaxReceiveCount == 0 {
		opt.MaxReceiveCount = 3
	}
	ctx, cancel := context.WithTimeout(background(), 30*time.Second)
	defer cancel()
	c := sqs.NewFromConfig(s.Config())
	var qp QueuePair
	var err error
	if qp.DLQURL, qp.DLQARN, err = createQueue(ctx, c, name+"-dlq", nil); err != nil {
		t.Fatalf("emulator: %v", err)
	}
	redrive, _ := json.Marshal(map[string]string{
		"deadLetterTargetArn": qp.DLQARN,
		"maxReceiveCount":     strconv.Itoa(opt.MaxReceiveCount),
	})
	attrs := map[string]string{
		string(sqstypes.QueueAttributeNameVisibilityTimeout): strconv.Itoa(int(opt.VisibilityTimeout / time.Second)),
		string(sqstypes.QueueAttributeNameRedrivePolicy):     string(redrive),
	}
	if qp.URL, qp.ARN, err = createQueue(ctx, c, name, attrs); err != nil {
		t.Fatalf("emulator: %v", err)
	}
	return qp
}

func createQueue(ctx context.Context, c *sqs.Client, name string, attrs map[string]string) (url, arn string, err error) {
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	ga, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       out.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("queue arn of %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), ga.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}
