package e2e

import (
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/gruntwork-io/terratest/modules/terraform"
)

// TestChinaToGlobal deploys examples/china-to-global in the China account
// (profile S3MIGRATE_E2E_CN_PROFILE): objects put in a cn-northwest-1 bucket
// appear in an existing global bucket, written with the global key the
// worker reads from SSM in China.
func TestChinaToGlobal(t *testing.T) {
	requireE2E(t, envCNProfile, envGlobalBucket, envGlobalKeyID, envGlobalSecret)
	t.Parallel()
	name := uniqueName("s3m-c2g")
	profile := os.Getenv(envCNProfile)
	gBucket, gKey, gSecret := os.Getenv(envGlobalBucket), os.Getenv(envGlobalKeyID), os.Getenv(envGlobalSecret)
	prefix := name + "/"
	opts := terraformOptions(t, "china-to-global", map[string]any{
		"name":                      name,
		"source_region":             "cn-northwest-1",
		"source_bucket":             name + "-src",
		"create_source_bucket":      true,
		"destination_bucket":        gBucket,
		"destination_prefix":        prefix,
		"destination_region":        globalRegion(),
		"global_access_key_id":      gKey,
		"global_secret_access_key":  gSecret,
		"lambda_zip_path":           lambdaZip(t, "arm64"),
		"timeout_seconds":           300,
		"jobsender_schedule":        nil,
		"table_deletion_protection": false,
	}, map[string]string{"AWS_PROFILE": profile})
	defer terraform.Destroy(t, opts)
	terraform.InitAndApply(t, opts)

	cn := config.WithSharedConfigProfile(profile)
	objs := testObjects(t, "e2e/")
	putObjects(t, s3Client(t, "cn-northwest-1", cn), terraform.Output(t, opts, "source_bucket"), objs)
	g := s3Client(t, globalRegion(), staticKey(gKey, gSecret))
	defer deletePrefix(t, g, gBucket, prefix)
	waitForCopies(t, g, gBucket, prefix, "", objs, 30*time.Minute)
	requireQueueEmpty(t, sqsClient(t, "cn-northwest-1", cn), terraform.Output(t, opts, "dlq_url"))
}
