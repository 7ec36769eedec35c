package workertest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3migrate/s3migrate/src/message"
)

// runCLI runs s3migrate with the stack's endpoints and keys.
func (s *stack) runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(cliBin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIAEMULATOR", "AWS_SECRET_ACCESS_KEY=emulator", "AWS_ENDPOINT_URL_SQS=" + s.sqs.Endpoint,
		"S3MIGRATE_SRC_ACCESS_KEY_ID=" + s.src.AccessKey, "S3MIGRATE_SRC_SECRET_ACCESS_KEY=" + s.src.SecretKey,
		"S3MIGRATE_DST_ACCESS_KEY_ID=" + s.dst.AccessKey, "S3MIGRATE_DST_SECRET_ACCESS_KEY=" + s.dst.SecretKey,
	}
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// The jobsender queues exactly the objects that are missing or differ in
// size or ETag, skips ignored keys, and runs whatever the queue holds.
func TestJobsenderQueuesOnlyWhatDiffers(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	ctx := testCtx(t, 2*time.Minute)
	for _, k := range []string{"data/a.bin", "data/b.bin", "data/c.bin", "data/d.bin", "data/e.bin", "data/skip.tmp", "other/x.bin"} {
		s.put(t, k, 2048)
	}
	putDst := func(key string, body string) {
		if _, err := s.dstS3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.dstBucket, Key: &key, Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	// b: identical copy; c: other size; d: same size, other bytes; z: only at the destination.
	b := make([]byte, 2048)
	_, _ = newPattern("data/b.bin", 2048).ReadAt(b, 0)
	putDst("copy/b.bin", string(b))
	putDst("copy/c.bin", "short")
	putDst("copy/d.bin", strings.Repeat("x", 2048))
	putDst("copy/z.bin", "only here")
	s.send(t, "something already queued") // the queue is not empty: the jobsender runs anyway

	args := []string{"jobsender", "--queue-url", s.qp.URL, "--queue-region", "us-east-1",
		"--src-endpoint", s.src.Endpoint, "--src-path-style", "--src-region", "us-east-1",
		"--dst-endpoint", s.dst.Endpoint, "--dst-path-style", "--dst-region", "us-east-1",
		"--exclude", "*.tmp", "s3://" + s.srcBucket + "/data/", "s3://" + s.dstBucket + "/copy/"}
	out, errOut, err := s.runCLI(t, args...)
	if err != nil {
		t.Fatalf("jobsender: %v\n%s", err, errOut)
	}
	var rep map[string]int64
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("jobsender report %q: %v", out, err)
	}
	var got []string
	for {
		msgs, err := s.q.Receive(ctx, 10, time.Second, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			tasks, err := message.Decode(m.Body)
			if err != nil {
				continue // the unrelated message queued before
			}
			got = append(got, tasks[0].Source.Key+" -> "+tasks[0].Dest.Key)
		}
	}
	sort.Strings(got)
	want := []string{"data/a.bin -> copy/a.bin", "data/c.bin -> copy/c.bin", "data/d.bin -> copy/d.bin", "data/e.bin -> copy/e.bin"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("queued jobs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep["Listed"] != 6 || rep["Ignored"] != 1 || rep["Same"] != 1 || rep["Missing"] != 2 || rep["SizeDiffers"] != 1 || rep["ETagDiffers"] != 1 || rep["Queued"] != 4 {
		t.Fatalf("report %v", rep)
	}
}
