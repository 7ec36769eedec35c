package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/gruntwork-io/terratest/modules/shell"
	"github.com/gruntwork-io/terratest/modules/terraform"
)

// What the tests need, by environment variable.
const (
	envOptIn   = "S3MIGRATE_E2E"        // must be "1"
	envRegion  = "S3MIGRATE_E2E_REGION" // global region to deploy in, default us-east-1
	envRegion2 = "S3MIGRATE_E2E_REGION2"
	// global-to-china: a bucket in cn-northwest-1 and the key of a China IAM
	// user that may write and read it.
	envCNBucket = "S3MIGRATE_E2E_CN_BUCKET"
	envCNKeyID  = "S3MIGRATE_E2E_CN_ACCESS_KEY_ID"
	envCNSecret = "S3MIGRATE_E2E_CN_SECRET_ACCESS_KEY"
	// china-to-global: a profile of the China account that deploys, and a
	// global bucket with the key of a global IAM user that may write and read it.
	envCNProfile    = "S3MIGRATE_E2E_CN_PROFILE"
	envGlobalBucket = "S3MIGRATE_E2E_GLOBAL_BUCKET"
	envGlobalKeyID  = "S3MIGRATE_E2E_GLOBAL_ACCESS_KEY_ID"
	envGlobalSecret = "S3MIGRATE_E2E_GLOBAL_SECRET_ACCESS_KEY"
)

// requireE2E skips the test unless the opt-in and the named extra
// variables are set and AWS credentials resolve; the skip message names
// exactly what is missing.
func requireE2E(t *testing.T, extra ...string) {
	t.Helper()
	var missing []string
	if os.Getenv(envOptIn) != "1" {
		missing = append(missing, envOptIn+"=1 (opt-in: this test creates billable AWS resources)")
	}
	for _, e := range extra {
		if os.Getenv(e) == "" {
			missing = append(missing, e)
		}
	}
	if len(missing) == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(globalRegion()))
		if err == nil {
			_, err = cfg.Credentials.Retrieve(ctx)
		}
		if err != nil {
			missing = append(missing, fmt.Sprintf("AWS credentials for an account in the aws partition (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY): %v", err))
		}
	}
	if len(missing) > 0 {
		t.Skipf("end-to-end test against real AWS; needs: %s", strings.Join(missing, "; "))
	}
}

func globalRegion() string {
	if r := os.Getenv(envRegion); r != "" {
		return r
	}
	return "us-east-1"
}

func secondRegion() string {
	if r := os.Getenv(envRegion2); r != "" {
		return r
	}
	return "us-west-2"
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = filepath.Dir(dir)
	}
}

// uniqueName is a lower-case name unique to this run, usable in bucket names.
func uniqueName(prefix string) string {
	return prefix + "-" + strings.ToLower(random.UniqueId())
}

// lambdaZip builds the worker zip with `make lambda` and returns its path.
func lambdaZip(t *testing.T, arch string) string {
	t.Helper()
	root := repoRoot(t)
	shell.RunCommand(t, shell.Command{Command: "make", Args: []string{"lambda"}, WorkingDir: root})
	zip := filepath.Join(root, "dist", "lambda-"+arch+".zip")
	if _, err := os.Stat(zip); err != nil {
		t.Fatalf("make lambda did not produce %s: %v", zip, err)
	}
	return zip
}

// linuxBinary builds the s3migrate CLI for linux/arch into a temp dir.
func linuxBinary(t *testing.T, arch string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "s3migrate-linux-"+arch)
	goarch := map[string]string{"arm64": "arm64", "x86_64": "amd64"}[arch]
	shell.RunCommand(t, shell.Command{
		Command:    "go",
		Args:       []string{"build", "-trimpath", "-o", out, "./src/cmd/s3migrate"},
		WorkingDir: repoRoot(t),
		Env:        map[string]string{"GOOS": "linux", "GOARCH": goarch, "CGO_ENABLED": "0"},
	})
	return out
}

// terraformOptions copies terraform/ to a temp dir (examples refer to
// ../../modules) and returns options for the example in it.
func terraformOptions(t *testing.T, example string, vars map[string]any, env map[string]string) *terraform.Options {
	t.Helper()
	root := repoRoot(t)
	copyRoot := filepath.Join(t.TempDir(), "terraform")
	copyTree(t, filepath.Join(root, "terraform"), copyRoot)
	dir := filepath.Join(copyRoot, "examples", example)
	binary := "terraform"
	if p := filepath.Join(root, ".tools", "bin", "terraform"); fileExists(p) {
		binary = p
	}
	return terraform.WithDefaultRetryableErrors(t, &terraform.Options{
		TerraformDir:    dir,
		TerraformBinary: binary,
		Vars:            vars,
		EnvVars:         env,
		NoColor:         true,
	})
}

// copyTree copies the .tf sources under src to dst, leaving out local
// Terraform state and caches, so parallel tests never share a working dir.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".terraform" || (strings.HasPrefix(d.Name(), ".") && rel != ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(p, ".tfstate") || strings.HasSuffix(p, ".tfstate.backup") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// testObject is one object the tests put at the source.
type testObject struct {
	Key  string
	Body []byte
}

func (o testObject) sum() string {
	h := sha256.Sum256(o.Body)
	return hex.EncodeToString(h[:])
}

// testObjects returns objects with keys that need URL-decoding in S3 events
// (space, '+', non-ASCII) and sizes around the single-PUT/multipart limit.
func testObjects(t *testing.T, prefix string) []testObject {
	t.Helper()
	sizes := map[string]int{
		"empty":                         0,
		"small.bin":                     1 << 10,
		"with space+plus.bin":           5<<20 + 1,
		"ünïcödé/dir//double-slash.bin": 3 << 20,
		"multipart.bin":                 40 << 20,
	}
	var objs []testObject
	for name, size := range sizes {
		b := make([]byte, size)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, testObject{Key: prefix + name, Body: b})
	}
	return objs
}

func s3Client(t *testing.T, region string, opts ...func(*config.LoadOptions) error) *s3.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, append([]func(*config.LoadOptions) error{config.WithRegion(region)}, opts...)...)
	if err != nil {
		t.Fatalf("AWS configuration for %s: %v", region, err)
	}
	return s3.NewFromConfig(cfg)
}

func sqsClient(t *testing.T, region string, opts ...func(*config.LoadOptions) error) *sqs.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, append([]func(*config.LoadOptions) error{config.WithRegion(region)}, opts...)...)
	if err != nil {
		t.Fatalf("AWS configuration for %s: %v", region, err)
	}
	return sqs.NewFromConfig(cfg)
}

// staticKey returns a config option using a fixed access key.
func staticKey(id, secret string) func(*config.LoadOptions) error {
	return config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, ""))
}

func putObjects(t *testing.T, c *s3.Client, bucket string, objs []testObject) {
	t.Helper()
	for _, o := range objs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key), Body: bytes.NewReader(o.Body)})
		cancel()
		if err != nil {
			t.Fatalf("put s3://%s/%s: %v", bucket, o.Key, err)
		}
	}
}

// waitForCopies polls the destination until every object is there with the
// same SHA-256, or the deadline passes.
func waitForCopies(t *testing.T, c *s3.Client, bucket, destPrefix, srcPrefix string, objs []testObject, deadline time.Duration) {
	t.Helper()
	const every = 15 * time.Second
	for _, o := range objs {
		key := destPrefix + strings.TrimPrefix(o.Key, srcPrefix)
		retry.DoWithRetry(t, fmt.Sprintf("s3://%s/%s copied with SHA-256 %s", bucket, key, o.sum()), int(deadline/every), every, func() (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				return "", err
			}
			defer got.Body.Close()
			h := sha256.New()
			n, err := io.Copy(h, got.Body)
			if err != nil {
				return "", err
			}
			sum := hex.EncodeToString(h.Sum(nil))
			if sum != o.sum() {
				// A partial or stale object is a real failure, not something to wait out.
				return "", retry.FatalError{Underlying: fmt.Errorf("s3://%s/%s: %d bytes with SHA-256 %s, want %d bytes with %s", bucket, key, n, sum, len(o.Body), o.sum())}
			}
			return sum, nil
		})
	}
}

// requireQueueEmpty fails when the queue holds messages (visible or in
// flight): for the DLQ, every object must have succeeded.
func requireQueueEmpty(t *testing.T, c *sqs.Client, queueURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatalf("attributes of %s: %v", queueURL, err)
	}
	for name, v := range out.Attributes {
		if v != "0" {
			t.Errorf("%s: %s = %s, want 0 (messages reached the dead-letter queue)", queueURL, name, v)
		}
	}
}

// requireAccessDenied checks that a write from this machine to the bucket
// is refused, i.e. that the bucket's allowlist really applies.
func requireAccessDenied(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("e2e-not-from-the-egress-ip"), Body: strings.NewReader("x")})
	if err == nil {
		t.Fatalf("s3://%s accepted a write from outside the egress IP: the allowlist does not prove anything", bucket)
	}
	if !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("write from outside the egress IP: want AccessDenied, got %v", err)
	}
}

// deletePrefix removes what a test wrote under prefix in a bucket it does
// not own (the shared far-side buckets).
func deletePrefix(t *testing.T, c *s3.Client, bucket, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Errorf("clean up s3://%s/%s: %v", bucket, prefix, err)
			return
		}
		for _, o := range page.Contents {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key}); err != nil {
				t.Errorf("clean up s3://%s/%s: %v", bucket, aws.ToString(o.Key), err)
			}
		}
	}
}
