package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/gruntwork-io/terratest/modules/terraform"
)

// TestEC2Cluster deploys examples/ec2-cluster (destination in the same
// account and region): the Auto Scaling group starts at zero, scales out on
// the backlog, the instances copy the objects, and they run BBR.
func TestEC2Cluster(t *testing.T) {
	requireE2E(t)
	t.Parallel()
	name := uniqueName("s3m-ec2")
	region := globalRegion()
	opts := terraformOptions(t, "ec2-cluster", map[string]any{
		"name":                        name,
		"region":                      region,
		"source_bucket":               name + "-src",
		"destination_bucket":          name + "-dst",
		"destination_region":          region,
		"destination_in_this_account": true,
		"create_buckets":              true,
		"spot":                        false,
		"min_size":                    0,
		"max_size":                    2,
		"graceful_stop_seconds":       120,
		"s3migrate_binary_path":       linuxBinary(t, "arm64"),
		"table_deletion_protection":   false,
	}, nil)
	defer terraform.Destroy(t, opts)
	terraform.InitAndApply(t, opts)

	objs := testObjects(t, "e2e/")
	putObjects(t, s3Client(t, region), terraform.Output(t, opts, "source_bucket"), objs)
	waitForCopies(t, s3Client(t, region), terraform.Output(t, opts, "destination_bucket"), "", "", objs, 30*time.Minute)
	requireQueueEmpty(t, sqsClient(t, region), terraform.Output(t, opts, "dlq_url"))
	requireBBROnWorkers(t, region, terraform.Output(t, opts, "autoscaling_group_name"))
}

// requireBBROnWorkers asks the group's instances, through SSM Run Command,
// for their congestion control and the worker service's state.
func requireBBROnWorkers(t *testing.T, region, asg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		t.Fatal(err)
	}
	c := ssm.NewFromConfig(cfg)
	sent, err := c.SendCommand(ctx, &ssm.SendCommandInput{
		DocumentName: aws.String("AWS-RunShellScript"),
		Targets:      []ssmtypes.Target{{Key: aws.String("tag:aws:autoscaling:groupName"), Values: []string{asg}}},
		Parameters: map[string][]string{"commands": {
			"sysctl -n net.ipv4.tcp_congestion_control",
			"systemctl is-active s3migrate-worker.service",
		}},
	})
	if err != nil {
		t.Fatalf("SSM SendCommand to %s: %v", asg, err)
	}
	id := aws.ToString(sent.Command.CommandId)
	retry.DoWithRetry(t, "workers report bbr and an active worker service", 40, 15*time.Second, func() (string, error) {
		out, err := c.ListCommandInvocations(ctx, &ssm.ListCommandInvocationsInput{CommandId: aws.String(id), Details: true})
		if err != nil {
			return "", err
		}
		if len(out.CommandInvocations) == 0 {
			return "", errWaiting("no invocation yet")
		}
		for _, inv := range out.CommandInvocations {
			if inv.Status == ssmtypes.CommandInvocationStatusPending || inv.Status == ssmtypes.CommandInvocationStatusInProgress {
				return "", errWaiting("command still running")
			}
			var output string
			for _, p := range inv.CommandPlugins {
				output += aws.ToString(p.Output)
			}
			lines := strings.Fields(output)
			if inv.Status != ssmtypes.CommandInvocationStatusSuccess || len(lines) < 2 || lines[0] != "bbr" || lines[1] != "active" {
				return "", retry.FatalError{Underlying: errWaiting("instance " + aws.ToString(inv.InstanceId) + ": status " + string(inv.Status) + ", output " + output + ", want bbr and active")}
			}
		}
		return "ok", nil
	})
}

type errWaiting string

func (e errWaiting) Error() string { return string(e) }
