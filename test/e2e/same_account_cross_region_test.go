package e2e

import (
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/terraform"
)

// TestSameAccountCrossRegion deploys examples/same-account-cross-region:
// objects put in a bucket of one region appear, byte for byte, in a bucket
// of another region, driven by S3 events through the Lambda worker.
func TestSameAccountCrossRegion(t *testing.T) {
	requireE2E(t)
	t.Parallel()
	name := uniqueName("s3m-xr")
	src, dst := globalRegion(), secondRegion()
	opts := terraformOptions(t, "same-account-cross-region", map[string]any{
		"name":                      name,
		"source_region":             src,
		"destination_region":        dst,
		"source_bucket":             name + "-src",
		"destination_bucket":        name + "-dst",
		"create_buckets":            true,
		"lambda_zip_path":           lambdaZip(t, "arm64"),
		"timeout_seconds":           300,
		"table_deletion_protection": false,
	}, nil)
	defer terraform.Destroy(t, opts)
	terraform.InitAndApply(t, opts)

	objs := testObjects(t, "e2e/")
	putObjects(t, s3Client(t, src), terraform.Output(t, opts, "source_bucket"), objs)
	waitForCopies(t, s3Client(t, dst), terraform.Output(t, opts, "destination_bucket"), "", "", objs, 15*time.Minute)
	requireQueueEmpty(t, sqsClient(t, src), terraform.Output(t, opts, "dlq_url"))
}
