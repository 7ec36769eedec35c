package tfschema

import "testing"

// jsiiPath finds the assembly installed by scripts/tools.sh npm.
func jsiiPath(t testing.TB) string {
	t.Helper()
	p, err := AssemblyPath()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadKnownShapes pins facts about hashicorp/aws 6.25.0 that the
// modules rely on, so a wrong reading of the assembly cannot pass silently.
func TestLoadKnownShapes(t *testing.T) {
	p, err := Load(jsiiPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != "6.25.0" {
		t.Errorf("provider version %q, want 6.25.0", p.Version)
	}
	if len(p.Resources) < 1000 || len(p.DataSources) < 400 {
		t.Errorf("only %d resources and %d data sources read", len(p.Resources), len(p.DataSources))
	}
	tests := []struct {
		kind, typ, attr string
		required        bool
		block           bool
		single          bool
	}{
		{"resource", "aws_sqs_queue", "visibility_timeout_seconds", false, false, false},
		{"resource", "aws_sqs_queue_policy", "queue_url", true, false, false},
		{"resource", "aws_sqs_queue_policy", "policy", true, false, false},
		{"resource", "aws_lambda_function", "function_name", true, false, false},
		{"resource", "aws_lambda_function", "role", true, false, false},
		{"resource", "aws_lambda_function", "vpc_config", false, true, true},
		{"resource", "aws_lambda_event_source_mapping", "scaling_config", false, true, true},
		{"resource", "aws_lambda_event_source_mapping", "function_response_types", false, false, false},
		{"resource", "aws_dynamodb_table", "attribute", false, true, false},
		{"resource", "aws_dynamodb_table", "name", true, false, false},
		{"resource", "aws_s3_bucket_notification", "queue", false, true, false},
		{"resource", "aws_autoscaling_group", "max_size", true, false, false},
		{"data", "aws_iam_policy_document", "statement", false, true, false},
		{"data", "aws_ssm_parameter", "name", true, false, false},
	}
	for _, tc := range tests {
		b := p.Lookup(tc.kind, tc.typ)
		if b == nil {
			t.Errorf("%s %s not found", tc.kind, tc.typ)
			continue
		}
		if tc.block {
			nb, ok := b.Blocks[tc.attr]
			if !ok {
				t.Errorf("%s.%s: no nested block", tc.typ, tc.attr)
				continue
			}
			if nb.Required != tc.required || nb.Single != tc.single {
				t.Errorf("%s.%s: required=%v single=%v, want %v %v", tc.typ, tc.attr, nb.Required, nb.Single, tc.required, tc.single)
			}
			continue
		}
		a, ok := b.Attributes[tc.attr]
		if !ok {
			t.Errorf("%s.%s: no attribute", tc.typ, tc.attr)
			continue
		}
		if a.Required != tc.required {
			t.Errorf("%s.%s: required=%v, want %v", tc.typ, tc.attr, a.Required, tc.required)
		}
	}
	if _, ok := p.Config.Attributes["region"]; !ok {
		t.Error("provider config has no region argument")
	}
	if _, ok := p.Resources["aws_sqs_queue"].Attributes["arn"]; ok {
		t.Error("aws_sqs_queue.arn is computed only and must not be an argument")
	}
}
