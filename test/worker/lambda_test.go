package workertest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/s3migrate/s3migrate/src/emulator"
	"github.com/s3migrate/s3migrate/src/transfer"
)

// TestLambda runs the built bootstrap in three aws-lambda-rie instances
// (three Lambda execution environments) with a 4-second function timeout,
// fed by a poller that behaves like the SQS event source mapping. The
// function reads the source with its own credentials and writes the
// destination with the far side's keys from an SSM SecureString (moto).
func TestLambda(t *testing.T) {
	s := newStack(t, stackOptions{visibility: 30 * time.Second, maxReceiveCount: 4})
	moto := emulator.StartMoto(t)
	ctx := testCtx(t, 10*time.Minute)
	keys, _ := json.Marshal(map[string]string{"access_key_id": s.dst.AccessKey, "secret_access_key": s.dst.SecretKey})
	if _, err := ssm.NewFromConfig(moto.Config()).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/s3migrate/far-keys"), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String(string(keys))}); err != nil {
		t.Fatalf("put SSM parameter: %v", err)
	}
	home := t.TempDir()
	env := []string{
		"HOME=" + home, "AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1",
		// The function's own role: reads the source (and the emulated SQS, DynamoDB, SSM).
		"AWS_ACCESS_KEY_ID=" + s.src.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.src.SecretKey,
		"AWS_ENDPOINT_URL_SQS=" + s.sqs.Endpoint, "AWS_ENDPOINT_URL_DYNAMODB=" + s.ddb.Endpoint, "AWS_ENDPOINT_URL_SSM=" + moto.Endpoint,
		"S3MIGRATE_TABLE=" + s.table, "S3MIGRATE_QUEUE_URL=" + s.qp.URL,
		// The original system's names for the event destination and threads.
		"Des_bucket_default=" + s.dstBucket, "Des_prefix_default=mirror", "Des_region=us-east-1", "JobType=PUT", "MaxThread=4",
		"S3MIGRATE_FAR_CREDENTIALS_SSM=/s3migrate/far-keys",
		"S3MIGRATE_SRC_ENDPOINT=" + s.src.Endpoint, "S3MIGRATE_DST_ENDPOINT=" + s.dst.Endpoint, "S3MIGRATE_PATH_STYLE=true",
		"S3MIGRATE_SRC_REGION=us-east-1",
		"S3MIGRATE_BANDWIDTH_LIMIT=40MB", "S3MIGRATE_DEADLINE_MARGIN=1s", "S3MIGRATE_FANOUT_BYTES=300MiB", "S3MIGRATE_RANGE_PARTS=8",
		"S3MIGRATE_RETRY_DELAY=1s", "S3MIGRATE_REQUEUE_AFTER_RECEIVES=2", "S3MIGRATE_LOG_LEVEL=info",
	}
	fns := []*rie{startRIE(t, 4*time.Second, env), startRIE(t, 4*time.Second, env), startRIE(t, 4*time.Second, env)}
	p := &poller{s: s, batchSize: 1}
	stop := p.run(ctx, t, fns...)
	defer stop()
	defer func() {
		if t.Failed() {
			for i, fn := range fns {
				t.Logf("function instance %d output (tail):\n%s", i, tailLines(fn.proc.Output(), 40))
			}
		}
	}()
	waitDone := func(key string, within time.Duration) transfer.ObjectState {
		t.Helper()
		var st transfer.ObjectState
		waitFor(t, within, key+" DONE", func() bool {
			got, ok, err := s.states.Load(ctx, s.dstBucket+"/"+key)
			st = got
			return err == nil && ok && st.Status == transfer.StatusDone
		})
		return st
	}

	t.Run("object of 220 MiB resumes across invocations to identical bytes", func(t *testing.T) {
		key := "resume/big.bin"
		want := s.put(t, key, 220<<20)
		etag, size := s.srcHead(t, key)
		before := p.invocations.Load()
		s.send(t, s.job(t, key, size, etag))
		st := waitDone(key, 3*time.Minute)
		invocations := p.invocations.Load() - before
		if got := s.destSHA(t, key); got != want {
			t.Fatalf("destination sha256 %s, source %s", got, want)
		}
		handOffs := 0
		for _, l := range logLines(fns, "deadline near: progress recorded, object handed on") {
			if l["dest_key"] == key {
				handOffs++
			}
		}
		t.Logf("220 MiB object: %d invocations, %d hand-offs, %d claims, %.1fs first start to end", invocations, handOffs, st.Attempts, st.End.Sub(st.FirstStart).Seconds())
		if invocations < 3 || handOffs < 2 {
			t.Fatalf("expected the object to need several invocations (4 s timeout, 40 MB/s): %d invocations, %d hand-offs", invocations, handOffs)
		}
		if _, dlq := s.depth(t); dlq != 0 {
			t.Fatalf("hand-offs must not reach the DLQ; it holds %d", dlq)
		}
	})

	t.Run("S3 event with encoded keys and several records", func(t *testing.T) {
		keys := []string{"events/with space.txt", "events/a+b=c.txt", "events/日本語/ünïcode ✓.txt"}
		sums := map[string]string{}
		var records []map[string]any
		for i, k := range keys {
			sums[k] = s.put(t, k, int64(1000+i*777))
			etag, size := s.srcHead(t, k)
			enc := strings.ReplaceAll(url.QueryEscape(k), "%2F", "/") // as S3 encodes keys in events
			records = append(records, map[string]any{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
				"eventTime": time.Now().UTC().Format(time.RFC3339), "awsRegion": "us-east-1",
				"s3": map[string]any{"bucket": map[string]any{"name": s.srcBucket}, "object": map[string]any{"key": enc, "size": size, "eTag": etag}}})
		}
		ev, _ := json.Marshal(map[string]any{"Records": records})
		testEvent := `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-01-01T00:00:00.000Z","Bucket":"` + s.srcBucket + `"}`
		s.send(t, string(ev), testEvent)
		for _, k := range keys {
			waitDone("mirror/"+k, time.Minute)
			if got := s.destSHA(t, "mirror/"+k); got != sums[k] {
				t.Fatalf("%q: destination sha256 %s, source %s", k, got, sums[k])
			}
		}
		// ObjectRemoved is acknowledged but not applied: deletes are off by default.
		removed := strings.Replace(string(ev), "ObjectCreated:Put", "ObjectRemoved:Delete", -1)
		s.send(t, removed)
		waitFor(t, time.Minute, "queue empty", func() bool { n, _ := s.depth(t); return n == 0 })
		for _, k := range keys {
			if s.destSHA(t, "mirror/"+k) == "" {
				t.Fatalf("%q was deleted although deletes are disabled", k)
			}
		}
		if n := len(logLines(fns, "message ignored")); n < 1 {
			t.Fatalf("the s3:TestEvent should be logged as ignored")
		}
	})

	t.Run("poison messages reach the DLQ after maxReceiveCount without failing their batch", func(t *testing.T) {
		good := "poison/neighbour.bin"
		sum := s.put(t, good, 4096)
		etag, size := s.srcHead(t, good)
		s.send(t, "this is not JSON", `{"v":9,"type":"copy"}`, s.job(t, good, size, etag))
		waitFor(t, 2*time.Minute, "two poison messages in the DLQ", func() bool { _, d := s.depth(t); return d == 2 })
		if got := s.destSHA(t, good); got != sum {
			t.Fatalf("the good message next to the poison ones was not copied")
		}
		reasons := logLines(fns, "message cannot be processed; it reaches the DLQ after maxReceiveCount")
		if len(reasons) < 2 {
			t.Fatalf("poison messages should be logged with their reason; got %d lines", len(reasons))
		}
		for _, r := range reasons {
			if strings.Contains(fmt.Sprint(r["reason"]), "this is not JSON") {
				t.Fatalf("the log repeats the message body: %v", r)
			}
		}
		waitFor(t, time.Minute, "work queue empty", func() bool { n, _ := s.depth(t); return n == 0 })
	})

	t.Run("giant object fans out to concurrent invocations", func(t *testing.T) {
		key := "giant/huge.bin"
		want := s.put(t, key, 320<<20)
		etag, size := s.srcHead(t, key)
		s.send(t, s.job(t, key, size, etag))
		st := waitDone(key, 3*time.Minute)
		if got := s.destSHA(t, key); got != want {
			t.Fatalf("destination sha256 %s, source %s", got, want)
		}
		workers := map[string]int{}
		requests := map[string]bool{}
		for _, l := range logLines(fns, "sub-job uploaded its parts") {
			if l["dest_key"] == key && l["parts_sent"].(float64) > 0 {
				workers[fmt.Sprint(l["worker_id"])]++
				requests[fmt.Sprint(l["request_id"])] = true
			}
		}
		fanned := logLines(fns, "giant object fanned out")
		t.Logf("320 MiB giant object: %d sub-jobs, uploaded by %d function instances (%v) in %d invocations; %.1fs first start to end",
			len(requests), len(workers), workers, len(requests), st.End.Sub(st.FirstStart).Seconds())
		if len(fanned) != 1 {
			t.Fatalf("want one fan-out, got %d", len(fanned))
		}
		if len(workers) < 3 {
			t.Fatalf("want parts uploaded by >= 3 function instances at once, got %d: %v", len(workers), workers)
		}
		if _, dlq := s.depth(t); dlq != 2 { // the two poison messages of the previous subtest
			t.Fatalf("DLQ holds %d messages, want only the 2 poison ones", dlq)
		}
	})

	t.Run("scheduled jobsender payload queues what differs and the workers copy it", func(t *testing.T) {
		sums := map[string]string{}
		for _, k := range []string{"js/one.bin", "js/two.bin", "js/ignored.tmp"} {
			sums[k] = s.put(t, k, 3000)
		}
		sched := startRIE(t, 30*time.Second, env) // the EventBridge-invoked function: no SQS poller
		out, err := sched.invoke(ctx, map[string]any{"jobsender": map[string]any{
			"source": "s3://" + s.srcBucket + "/js/", "destination": "s3://" + s.dstBucket + "/js-copy/", "exclude": []string{"*.tmp"}}})
		if err != nil {
			t.Fatalf("jobsender invocation: %v", err)
		}
		var rep map[string]int64
		if err := json.Unmarshal(out, &rep); err != nil || rep["Queued"] != 2 || rep["Ignored"] != 1 {
			t.Fatalf("jobsender report %s (%v): want 2 queued, 1 ignored", out, err)
		}
		for _, k := range []string{"js/one.bin", "js/two.bin"} {
			dk := "js-copy/" + strings.TrimPrefix(k, "js/")
			waitDone(dk, time.Minute)
			if got := s.destSHA(t, dk); got != sums[k] {
				t.Fatalf("%s: destination sha256 %s, source %s", dk, got, sums[k])
			}
		}
	})

	t.Run("the Terraform jobsender module's event (bucket pairs, ignore) is understood", func(t *testing.T) {
		sum := s.put(t, "pairs/one.bin", 2000)
		s.put(t, "pairs/skip.tmp", 10)
		sched := startRIE(t, 30*time.Second, env)
		// The shape terraform/modules/jobsender sends: prefixes without a
		// trailing slash name folders.
		out, err := sched.invoke(ctx, map[string]any{"jobsender": map[string]any{"version": 1,
			"pairs": []map[string]string{{"source_bucket": s.srcBucket, "source_prefix": "pairs",
				"destination_bucket": s.dstBucket, "destination_prefix": "pairs-copy"}},
			"ignore": []string{"*.tmp"}}})
		if err != nil {
			t.Fatalf("jobsender invocation: %v", err)
		}
		var reps []map[string]int64
		if err := json.Unmarshal(out, &reps); err != nil || len(reps) != 1 || reps[0]["Queued"] != 1 || reps[0]["Ignored"] != 1 {
			t.Fatalf("jobsender reports %s (%v): want one pair with 1 queued, 1 ignored", out, err)
		}
		waitDone("pairs-copy/one.bin", time.Minute)
		if got := s.destSHA(t, "pairs-copy/one.bin"); got != sum {
			t.Fatalf("pairs-copy/one.bin: destination sha256 %s, source %s", got, sum)
		}
	})

	t.Run("far-side keys come from SSM and never appear in the logs", func(t *testing.T) {
		for i, fn := range fns {
			out := fn.proc.Output()
			if strings.Contains(out, s.dst.SecretKey) {
				t.Fatalf("function instance %d logged the far side's secret key", i)
			}
			if !strings.Contains(out, `"far_keys":"ssm"`) {
				t.Fatalf("function instance %d did not report its far-side keys source", i)
			}
		}
	})
	if p.failedCalls.Load() > 0 {
		t.Errorf("%d invocations failed as a whole (the function must report per-message failures instead): %v", p.failedCalls.Load(), p.errs)
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
