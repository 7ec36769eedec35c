package e2e

import (
	"net"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/terraform"
)

// TestVpcPinnedEgress deploys examples/vpc-pinned-egress with a destination
// bucket whose policy denies writes from any address but the egress EIP.
// Objects arriving there prove the worker's writes left through the EIP; a
// write from this machine must be refused, so the proof means something.
func TestVpcPinnedEgress(t *testing.T) {
	requireE2E(t)
	t.Parallel()
	name := uniqueName("s3m-egr")
	src, dst := globalRegion(), secondRegion()
	opts := terraformOptions(t, "vpc-pinned-egress", map[string]any{
		"name":                              name,
		"source_region":                     src,
		"source_bucket":                     name + "-src",
		"destination_bucket":                name + "-dst",
		"destination_region":                dst,
		"destination_in_this_account":       true,
		"create_buckets":                    true,
		"restrict_destination_to_egress_ip": true,
		"s3migrate_binary_path":             linuxBinary(t, "arm64"),
		"lambda_zip_path":                   lambdaZip(t, "arm64"),
		"timeout_seconds":                   300,
		"table_deletion_protection":         false,
	}, nil)
	defer terraform.Destroy(t, opts)
	terraform.InitAndApply(t, opts)

	eip := terraform.Output(t, opts, "egress_ip")
	if ip := net.ParseIP(eip); ip == nil || ip.To4() == nil || ip.IsPrivate() {
		t.Fatalf("egress_ip %q is not a public IPv4 address", eip)
	}
	dstBucket := terraform.Output(t, opts, "destination_bucket")
	requireAccessDenied(t, s3Client(t, dst), dstBucket)

	objs := testObjects(t, "e2e/")
	putObjects(t, s3Client(t, src), terraform.Output(t, opts, "source_bucket"), objs)
	waitForCopies(t, s3Client(t, dst), dstBucket, "", "", objs, 20*time.Minute)
	requireQueueEmpty(t, sqsClient(t, src), terraform.Output(t, opts, "dlq_url"))
}
