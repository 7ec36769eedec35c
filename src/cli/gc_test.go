package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3migrate/s3migrate/src/emulator"
)

// TestGCAbortsStaleUploads: gc lists uploads under the prefix, a dry run
// changes nothing, a real run aborts them, and uploads outside the prefix stay.
func TestGCAbortsStaleUploads(t *testing.T) {
	ctx := context.Background()
	srv := emulator.StartS3(t)
	srv.CreateBucket(t, "gc-dst")
	c := srv.Client()
	for _, k := range []string{"p/a.bin", "p/deep/b.bin", "q/keep.bin"} {
		if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("gc-dst"), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	env := func(k string) string {
		return map[string]string{"S3MIGRATE_DST_ACCESS_KEY_ID": srv.AccessKey, "S3MIGRATE_DST_SECRET_ACCESS_KEY": srv.SecretKey}[k]
	}
	gc := func(extra ...string) (int, string) {
		var out, errb bytes.Buffer
		args := append([]string{"gc", "--older-than", "0s", "--proxy", "direct", "--dst-endpoint", srv.Endpoint, "--dst-path-style",
			"--dst-region", srv.Region}, extra...)
		code := Main(ctx, Env{Stdout: &out, Stderr: &errb, Getenv: env}, append(args, "s3://gc-dst/p/"))
		return code, out.String() + errb.String()
	}
	uploads := func() []string {
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("gc-dst")})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, u := range out.Uploads {
			keys = append(keys, aws.ToString(u.Key))
		}
		return keys
	}
	if code, out := gc("--dry-run"); code != ExitOK || strings.Count(out, "would abort") != 2 {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	if n := len(uploads()); n != 3 {
		t.Fatalf("dry run left %d uploads, want 3", n)
	}
	if code, out := gc(); code != ExitOK || !strings.Contains(out, "gc: 2 aborted") {
		t.Fatalf("gc: exit %d\n%s", code, out)
	}
	if left := uploads(); len(left) != 1 || left[0] != "q/keep.bin" {
		t.Fatalf("uploads left %q, want only q/keep.bin", left)
	}
}
