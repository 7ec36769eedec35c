package workertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3migrate/s3migrate/src/emulator"
)

// rie is one aws-lambda-rie process running the built bootstrap: one
// Lambda execution environment (it serves one invocation at a time).
type rie struct {
	url  string // invocation URL
	proc *emulator.Process
}

// startRIE starts aws-lambda-rie with the function's environment and a
// function timeout.
func startRIE(t *testing.T, timeout time.Duration, env []string) *rie {
	t.Helper()
	bin := emulator.Tool(t, "aws-lambda-rie")
	port, apiPort := emulator.FreePort(t), emulator.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env = append([]string{
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(int(timeout/time.Second)),
		"AWS_LAMBDA_FUNCTION_NAME=s3migrate-worker",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
		"LOG_LEVEL=warn",
	}, env...)
	p := emulator.StartProcess(t, "aws-lambda-rie", addr, env, bin,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", apiPort),
		bootstrapBin)
	return &rie{url: "http://" + addr + "/2015-03-31/functions/function/invocations", proc: p}
}

// invoke sends one event and returns the function's response body, or an
// error when the function failed (error payload, timeout).
func (r *rie) invoke(ctx context.Context, event any) ([]byte, error) {
	body, err := json.Marshal(event)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errorType"`)) || bytes.Contains(out, []byte(`"errorMessage"`)) {
		return out, fmt.Errorf("function error (HTTP %d): %s", resp.StatusCode, out)
	}
	return out, nil
}

// poller delivers queue messages to RIE instances as Lambda's SQS event
// source mapping does: batches of up to batchSize, one invocation at a
// time per instance, delete the messages not reported in
// batchItemFailures, leave the failed ones (and all of a failed
// invocation) to come back after their visibility.
type poller struct {
	s           *stack
	batchSize   int
	invocations atomic.Int64
	failedCalls atomic.Int64
	mu          sync.Mutex
	errs        []string
}

func (p *poller) run(ctx context.Context, t *testing.T, fns ...*rie) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				p.once(ctx, fn)
			}
		}()
	}
	return func() { cancel(); wg.Wait() }
}

func (p *poller) once(ctx context.Context, fn *rie) {
	msgs, err := p.s.q.Receive(ctx, p.batchSize, time.Second, 0)
	if err != nil || len(msgs) == 0 {
		return
	}
	ev := events.SQSEvent{}
	for _, m := range msgs {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: m.ID, ReceiptHandle: m.ReceiptHandle, Body: m.Body,
			Attributes:  map[string]string{"ApproximateReceiveCount": strconv.Itoa(m.ReceiveCount)},
			EventSource: "aws:sqs", EventSourceARN: p.s.qp.ARN, AWSRegion: "us-east-1"})
	}
	p.invocations.Add(1)
	out, err := fn.invoke(context.WithoutCancel(ctx), ev)
	if err != nil {
		p.failedCalls.Add(1)
		p.mu.Lock()
		p.errs = append(p.errs, err.Error())
		p.mu.Unlock()
		return // the whole batch returns after its visibility timeout
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		p.failedCalls.Add(1)
		return
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var del []string
	for _, m := range msgs {
		if !failed[m.ID] {
			del = append(del, m.ReceiptHandle)
		}
	}
	if len(del) > 0 {
		_ = p.s.q.DeleteBatch(context.WithoutCancel(ctx), del)
	}
}

// logLines returns the JSON log lines of the RIE processes that have msg.
func logLines(fns []*rie, msg string) []map[string]any {
	var out []map[string]any
	for _, fn := range fns {
		for _, line := range strings.Split(fn.proc.Output(), "\n") {
			i := strings.Index(line, "{")
			if i < 0 || !strings.Contains(line, `"msg":"`+msg+`"`) {
				continue
			}
			var m map[string]any
			if json.Unmarshal([]byte(line[i:]), &m) == nil {
				out = append(out, m)
			}
		}
	}
	return out
}
