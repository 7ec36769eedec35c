package workertest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/s3migrate/s3migrate/src/emulator"
	"github.com/s3migrate/s3migrate/src/transfer"
)

// ec2Worker is one `s3migrate worker` process.
type ec2Worker struct {
	cmd  *exec.Cmd
	out  *lockedBuf
	done chan struct{}
	err  error
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (s *stack) startEC2Worker(t *testing.T, id string, extra ...string) *ec2Worker {
	t.Helper()
	home := t.TempDir()
	args := append([]string{"worker", "--queue-url", s.qp.URL, "--table", s.table, "--queue-region", "us-east-1",
		"--src-endpoint", s.src.Endpoint, "--src-path-style", "--src-region", s.src.Region,
		"--dst-endpoint", s.dst.Endpoint, "--dst-path-style", "--dst-region", s.dst.Region,
		"--visibility", "6s", "--lease", "15s", "--objects-in-flight", "3", "--parts-in-flight", "4",
		"--retry-delay", "1s", "--shutdown-grace", "30s", "--log-level", "info", "--worker-id", id}, extra...)
	cmd := exec.Command(cliBin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIAEMULATOR", "AWS_SECRET_ACCESS_KEY=emulator",
		"AWS_ENDPOINT_URL_SQS=" + s.sqs.Endpoint, "AWS_ENDPOINT_URL_DYNAMODB=" + s.ddb.Endpoint,
		"S3MIGRATE_SRC_ACCESS_KEY_ID=" + s.src.AccessKey, "S3MIGRATE_SRC_SECRET_ACCESS_KEY=" + s.src.SecretKey,
		"S3MIGRATE_DST_ACCESS_KEY_ID=" + s.dst.AccessKey, "S3MIGRATE_DST_SECRET_ACCESS_KEY=" + s.dst.SecretKey,
	}
	w := &ec2Worker{cmd: cmd, out: &lockedBuf{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w.out, w.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start s3migrate worker: %v", err)
	}
	go func() { w.err = cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		select {
		case <-w.done:
		default:
			_ = cmd.Process.Kill()
			<-w.done
		}
		if t.Failed() {
			t.Logf("worker %s output (tail):\n%s", id, tailLines(w.out.String(), 30))
		}
	})
	return w
}

// The EC2 worker survives SIGTERM (stops starting parts, hands in-flight
// objects back, exits 0 quickly) and kill -9 (its messages come back after
// the visibility timeout and the next worker resumes from the parts at the
// destination): every object ends byte-identical, nothing in the DLQ.
func TestEC2WorkerSurvivesSIGTERMAndKill9(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{visibility: 6 * time.Second, maxReceiveCount: 10})
	sums := map[string]string{}
	var jobs []string
	for i := range 5 {
		key := fmt.Sprintf("ec2/object-%d.bin", i)
		sums[key] = s.put(t, key, int64(30<<20+i*12345))
		etag, size := s.srcHead(t, key)
		jobs = append(jobs, s.job(t, key, size, etag))
	}
	s.send(t, jobs...)
	ctx := testCtx(t, 5*time.Minute)
	progressed := func() bool {
		for k := range sums {
			if st, ok, err := s.states.Load(ctx, s.dstBucket+"/"+k); err == nil && ok && st.UploadID != "" {
				return true
			}
		}
		return false
	}

	// 1. SIGTERM in the middle of copying.
	w1 := s.startEC2Worker(t, "ec2-one", "--bandwidth-limit", "15MB")
	waitFor(t, time.Minute, "the first worker to start uploads", progressed)
	termAt := time.Now()
	if err := w1.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w1.done:
	case <-time.After(40 * time.Second):
		t.Fatalf("worker did not exit within 40 s of SIGTERM")
	}
	if w1.err != nil {
		t.Fatalf("worker exited with %v after SIGTERM, want exit 0", w1.err)
	}
	t.Logf("SIGTERM: exited 0 after %.1fs", time.Since(termAt).Seconds())
	if !strings.Contains(w1.out.String(), "stopped cleanly") {
		t.Fatalf("worker did not report a clean stop")
	}
	handedBack := strings.Count(w1.out.String(), `"outcome":"hand-back"`)
	t.Logf("SIGTERM: %d messages handed back", handedBack)

	// 2. kill -9 in the middle of copying.
	w2 := s.startEC2Worker(t, "ec2-two", "--bandwidth-limit", "15MB")
	waitFor(t, time.Minute, "the second worker to send parts", func() bool {
		return strings.Contains(w2.out.String(), `"msg":"resuming upload"`) || strings.Contains(w2.out.String(), `"msg":"object copied"`)
	})
	time.Sleep(500 * time.Millisecond) // let it get some bytes further; correctness does not depend on it
	_ = w2.cmd.Process.Kill()
	<-w2.done

	// 3. A fresh worker finishes everything.
	w3 := s.startEC2Worker(t, "ec2-three")
	waitFor(t, 3*time.Minute, "all objects DONE", func() bool {
		for k := range sums {
			st, ok, err := s.states.Load(ctx, s.dstBucket+"/"+k)
			if err != nil || !ok || (st.Status != transfer.StatusDone && st.Status != transfer.StatusSkipped) {
				return false
			}
		}
		return true
	})
	waitFor(t, time.Minute, "work queue empty", func() bool { n, _ := s.depth(t); return n == 0 })
	_ = w3.cmd.Process.Signal(syscall.SIGTERM)
	<-w3.done
	for k, want := range sums {
		if got := s.destSHA(t, k); got != want {
			t.Fatalf("%s: destination sha256 %s, source %s", k, got, want)
		}
	}
	if _, dlq := s.depth(t); dlq != 0 {
		t.Fatalf("DLQ holds %d messages, want 0", dlq)
	}
	resumed := strings.Count(w2.out.String(), `"msg":"resuming upload"`) + strings.Count(w3.out.String(), `"msg":"resuming upload"`)
	t.Logf("after SIGTERM and kill -9: %d resumed uploads, all %d objects identical", resumed, len(sums))
	if resumed == 0 {
		t.Fatalf("no upload was resumed: the later workers started over")
	}
}

// TestEC2WorkerFromEnv: `s3migrate worker --from-env` reads exactly the
// Lambda's environment (as terraform/modules/ec2-workers writes it into the
// service's EnvironmentFile): queue and table, the original names for the
// destination, far-side keys from an SSM SecureString. It copies a job and
// stops cleanly on SIGTERM, and never prints the far side's secret.
func TestEC2WorkerFromEnv(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{visibility: 20 * time.Second, maxReceiveCount: 5})
	moto := emulator.StartMoto(t)
	ctx := testCtx(t, 3*time.Minute)
	keys, _ := json.Marshal(map[string]string{"access_key_id": s.dst.AccessKey, "secret_access_key": s.dst.SecretKey})
	if _, err := ssm.NewFromConfig(moto.Config()).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/s3migrate/ec2-keys"), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String(string(keys))}); err != nil {
		t.Fatalf("put SSM parameter: %v", err)
	}
	home := t.TempDir()
	cmd := exec.Command(cliBin, "worker", "--from-env", "--shutdown-grace", "20s")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=" + s.src.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.src.SecretKey,
		"AWS_ENDPOINT_URL_SQS=" + s.sqs.Endpoint, "AWS_ENDPOINT_URL_DYNAMODB=" + s.ddb.Endpoint, "AWS_ENDPOINT_URL_SSM=" + moto.Endpoint,
		"S3MIGRATE_TABLE=" + s.table, "S3MIGRATE_QUEUE_URL=" + s.qp.URL, "S3MIGRATE_JOB_TYPE=PUT",
		"S3MIGRATE_DEST_BUCKET=" + s.dstBucket, "S3MIGRATE_DEST_REGION=us-east-1",
		"S3MIGRATE_FAR_CREDENTIALS_SSM=/s3migrate/ec2-keys",
		"S3MIGRATE_SRC_ENDPOINT=" + s.src.Endpoint, "S3MIGRATE_DST_ENDPOINT=" + s.dst.Endpoint, "S3MIGRATE_PATH_STYLE=true",
		"S3MIGRATE_SRC_REGION=us-east-1", "S3MIGRATE_RETRY_DELAY=1s", "S3MIGRATE_LOG_LEVEL=info",
	}
	out := &lockedBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("worker output (tail):\n%s", tailLines(out.String(), 30))
		}
	})
	key := "from-env/object.bin"
	sum := s.put(t, key, 12<<20+77)
	etag, size := s.srcHead(t, key)
	s.send(t, s.job(t, key, size, etag))
	waitFor(t, 2*time.Minute, key+" DONE", func() bool {
		st, ok, err := s.states.Load(ctx, s.dstBucket+"/"+key)
		return err == nil && ok && st.Status == transfer.StatusDone
	})
	if got := s.destSHA(t, key); got != sum {
		t.Fatalf("destination sha256 %s, source %s", got, sum)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("worker did not stop within 40 s of SIGTERM")
	}
	if strings.Contains(out.String(), s.dst.SecretKey) {
		t.Fatal("the worker printed the far side's secret key")
	}
}
