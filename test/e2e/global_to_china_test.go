package e2e

import (
	"os"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/terraform"
)

// TestGlobalToChina deploys examples/global-to-china in the global account:
// objects put in a us-east-1 bucket appear in an existing cn-northwest-1
// bucket, written with the China key the worker reads from SSM.
func TestGlobalToChina(t *testing.T) {
	requireE2E(t, envCNBucket, envCNKeyID, envCNSecret)
	t.Parallel()
	name := uniqueName("s3m-g2c")
	cnBucket, cnKey, cnSecret := os.Getenv(envCNBucket), os.Getenv(envCNKeyID), os.Getenv(envCNSecret)
	prefix := name + "/" // keeps runs apart in the shared China bucket
	opts := terraformOptions(t, "global-to-china", map[string]any{
		"name":                      name,
		"source_region":             globalRegion(),
		"source_bucket":             name + "-src",
		"create_source_bucket":      true,
		"destination_bucket":        cnBucket,
		"destination_prefix":        prefix,
		"destination_region":        "cn-northwest-1",
		"china_access_key_id":       cnKey,
		"china_secret_access_key":   cnSecret,
		"lambda_zip_path":           lambdaZip(t, "arm64"),
		"timeout_seconds":           300,
		"jobsender_schedule":        nil,
		"table_deletion_protection": false,
	}, nil)
	defer terraform.Destroy(t, opts)
	terraform.InitAndApply(t, opts)

	objs := testObjects(t, "e2e/")
	putObjects(t, s3Client(t, globalRegion()), terraform.Output(t, opts, "source_bucket"), objs)
	cn := s3Client(t, "cn-northwest-1", staticKey(cnKey, cnSecret))
	defer deletePrefix(t, cn, cnBucket, prefix)
	waitForCopies(t, cn, cnBucket, prefix, "", objs, 30*time.Minute)
	requireQueueEmpty(t, sqsClient(t, globalRegion()), terraform.Output(t, opts, "dlq_url"))
}
