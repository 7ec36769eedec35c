package tfcheck

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3migrate/s3migrate/test/terraform/tfschema"
)

// TestCheckerVerdicts runs the checker over small modules in testdata: the
// valid one must pass untouched, each broken one must be rejected with the
// finding (file:line: message) a user would need to fix it.
func TestCheckerVerdicts(t *testing.T) {
	path, err := tfschema.AssemblyPath()
	if err != nil {
		t.Fatal(err)
	}
	p, err := tfschema.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir  string
		want []string // each must appear in one finding; no other findings allowed
	}{
		{"valid", nil},
		{"child", nil},
		{"unknown_argument", []string{
			`main.tf:3: resource "aws_sqs_queue" "this": unknown argument "visibility_timeout_second" (did you mean visibility_timeout_seconds`,
		}},
		{"missing_required", []string{
			`main.tf:5: resource "aws_sqs_queue_policy" "this": missing required argument "policy"`,
		}},
		{"unknown_resource", []string{
			`main.tf:1: unknown resource type "aws_sqs_queues" in hashicorp/aws 6.25.0 (did you mean aws_sqs_queue`,
			`main.tf:5: unknown data type "aws_caller_identities"`,
		}},
		{"unknown_block", []string{
			`main.tf:4: resource "aws_lambda_event_source_mapping" "this": unknown block "scaling" (did you mean scaling_config`,
			`main.tf:7: resource "aws_lambda_event_source_mapping" "this": unknown block "filter" in dynamic block`,
		}},
		{"dup_single_block", []string{
			`main.tf:7: resource "aws_lambda_event_source_mapping" "this": at most one "scaling_config" block`,
		}},
		{"bad_variables", []string{
			`main.tf:1: variable "untyped" has no type`,
			`main.tf:5: variable "undescribed" has no description`,
			`main.tf:9: variable "timeout" is a number without a validation block`,
			`main.tf:15: variable "mode" describes a constraint ("One of") but has no validation block`,
			`main.tf:21: output "nodesc" has no description`,
		}},
		{"bad_module_call", []string{
			`main.tf:1: module "queue": missing required input "name" of ../child`,
			`main.tf:4: module "queue": ../child has no variable "colour"`,
			`main.tf:9: module "queue" has no output "url"`,
			`main.tf:20: module "counted" has no output "nope"`,
		}},
		{"bad_references", []string{
			`main.tf:2: reference to undeclared variable "nope"`,
			`main.tf:3: reference to undeclared data source data.aws_iam_policy_document.missing`,
			`main.tf:4: reference to undeclared local value "absent"`,
			`main.tf:4: reference to undeclared resource aws_sns_topic.gone`,
			`main.tf:9: templatefile(): file ${path.module}/absent.tftpl does not exist`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.dir)
			c := &Checker{Provider: p, BaseDir: dir}
			got, err := c.CheckModule(dir)
			if err != nil {
				t.Fatal(err)
			}
			used := make([]bool, len(got))
			for _, w := range tc.want {
				found := false
				for i, f := range got {
					if strings.Contains(f.String(), w) {
						used[i], found = true, true
					}
				}
				if !found {
					t.Errorf("missing finding %q", w)
				}
			}
			for i, f := range got {
				if !used[i] {
					t.Errorf("unexpected finding: %s", f)
				}
			}
		})
	}
}
