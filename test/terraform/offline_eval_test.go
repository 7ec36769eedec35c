package terraform_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// console evaluates expr with `terraform console` in dir, with vars written
// to terraform.tfvars.json. It needs no provider: only variables, locals and
// functions are evaluated. An "Error:" in the output is returned as an error.
func console(t *testing.T, dir string, vars map[string]any, expr string) (string, error) {
	t.Helper()
	if vars != nil {
		b, err := json.Marshal(vars)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tf := tool(t, "terraform", "terraform")
	cmd := exec.Command(tf, "console")
	cmd.Dir = dir
	cmd.Env = terraformEnv()
	// console reads one expression per line.
	cmd.Stdin = strings.NewReader(strings.Join(strings.Fields(expr), " ") + "\n")
	raw, err := cmd.CombinedOutput()
	out := ansi.ReplaceAllString(string(raw), "")
	if err == nil && strings.Contains(out, "Error: ") {
		// console exits 0 even when the variables fail validation
		err = errors.New("terraform console reported an error")
	}
	return out, err
}

// TestVariableValidations feeds values to the modules' real variable
// declarations with Terraform 1.5.7 and checks that the validations accept
// good values and reject bad ones with their message.
func TestVariableValidations(t *testing.T) {
	root := repoRoot(t)
	tests := []struct {
		module  string
		vars    map[string]any
		wantErr string // "" = must be accepted
	}{
		{"queue", map[string]any{"name": "q"}, ""},
		{"queue", map[string]any{"name": "q", "max_receive_count": 4}, "max_receive_count must be between 5 and 1000"},
		{"queue", map[string]any{"name": "q", "max_receive_count": 5}, ""},
		{"queue", map[string]any{"name": "q", "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:alias/aws/sqs"}, "alias/aws/sqs cannot be used"},
		{"queue", map[string]any{"name": "q", "function_timeout_seconds": 901}, "function_timeout_seconds must be between 1 and 900"},
		{"queue", map[string]any{"name": "q", "source_bucket_arns": []string{"arn:aws-cn:s3:::my-bucket"}}, ""},
		{"queue", map[string]any{"name": "q", "source_bucket_arns": []string{"my-bucket"}}, "source_bucket_arns must be bucket ARNs"},
		{"queue", map[string]any{"name": "bad name"}, "name must be 1-76 characters"},
		{"table", map[string]any{"name": "ab"}, "name must be 3-255 characters"},
		{"credentials", map[string]any{"name": "c", "mode": "vault"}, "mode must be one of ssm, secretsmanager, kms-env"},
		{"credentials", map[string]any{"name": "c", "mode": "secretsmanager", "secret_recovery_window_days": 3}, "secret_recovery_window_days must be 0 or between 7 and 30"},
		{"worker", map[string]any{"name": "w", "lambda_zip_path": "x.zip", "queue_arn": "a", "queue_url": "u", "queue_name": "q", "dlq_name": "d",
			"queue_visibility_timeout_seconds": 5400, "table_name": "t", "table_arn": "a", "source_buckets": []map[string]string{{"bucket": "b"}},
			"destination_bucket": "d", "destination_region": "cn-northwest-1"}, ""},
		{"worker", map[string]any{"name": "w", "lambda_zip_path": "x.zip", "queue_arn": "a", "queue_url": "u", "queue_name": "q", "dlq_name": "d",
			"queue_visibility_timeout_seconds": 5400, "table_name": "t", "table_arn": "a", "source_buckets": []map[string]string{{"bucket": "b"}},
			"destination_bucket": "d", "destination_region": "cn-northwest-1", "timeout_seconds": 30}, "timeout_seconds must be between 60 and 900"},
		{"worker", map[string]any{"name": "w", "lambda_zip_path": "x.zip", "queue_arn": "a", "queue_url": "u", "queue_name": "q", "dlq_name": "d",
			"queue_visibility_timeout_seconds": 5400, "table_name": "t", "table_arn": "a", "source_buckets": []map[string]string{{"bucket": "b"}},
			"destination_bucket": "d", "destination_region": "cn-northwest-1", "maximum_concurrency": 1}, "maximum_concurrency must be between 2 and 1000"},
		{"worker", map[string]any{"name": "w", "lambda_zip_path": "x.zip", "queue_arn": "a", "queue_url": "u", "queue_name": "q", "dlq_name": "d",
			"queue_visibility_timeout_seconds": 5400, "table_name": "t", "table_arn": "a", "source_buckets": []map[string]string{{"bucket": "b"}},
			"destination_bucket": "d", "destination_region": "cn-northwest-1", "log_retention_days": 10}, "log_retention_days must be one of"},
		{"worker/modules/settings", map[string]any{"source_buckets": []map[string]string{{"bucket": "b"}}, "destination_bucket": "d",
			"destination_region": "r", "queue_url": "u", "queue_arn": "a", "table_name": "t", "table_arn": "a", "storage_class": "COLD"}, "storage_class must be one of"},
		{"s3-events", map[string]any{"bucket": "Bad_Bucket", "queue_arn": "a", "queue_policy_id": "p"}, "bucket must be an S3 bucket name"},
		{"jobsender", map[string]any{"name": "j", "lambda_zip_path": "x.zip", "pairs": []any{}, "destination_region": "r", "queue_url": "u",
			"queue_arn": "a", "table_name": "t", "table_arn": "a"}, "pairs must hold at least one bucket pair"},
		{"jobsender", map[string]any{"name": "j", "lambda_zip_path": "x.zip", "pairs": []map[string]string{{"source_bucket": "s", "destination_bucket": "d"}},
			"destination_region": "r", "queue_url": "u", "queue_arn": "a", "table_name": "t", "table_arn": "a", "schedule_expression": "every day"}, "schedule_expression must be rate(...) or cron(...)"},
		{"ec2-workers", map[string]any{"name": "e", "binary_s3_bucket": "b", "binary_s3_key": "k", "subnet_ids": []string{"s"}, "queue_url": "u", "queue_arn": "a",
			"queue_name": "q", "table_name": "t", "table_arn": "a", "source_buckets": []map[string]string{{"bucket": "b"}}, "destination_bucket": "d",
			"destination_region": "r", "graceful_stop_seconds": 10}, "graceful_stop_seconds must be between 30 and 7140"},
	}
	for i, tc := range tests {
		t.Run(strconv.Itoa(i)+"_"+strings.ReplaceAll(tc.module, "/", "_"), func(t *testing.T) {
			dir := t.TempDir()
			src, err := os.ReadFile(filepath.Join(root, "terraform", "modules", tc.module, "variables.tf"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "variables.tf"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := console(t, dir, tc.vars, "1")
			if tc.wantErr == "" {
				if err != nil || strings.TrimSpace(out) != "1" {
					t.Fatalf("values %v rejected (%v):\n%s", tc.vars, err, out)
				}
				return
			}
			if err == nil || !strings.Contains(strings.Join(strings.Fields(out), " "), tc.wantErr) {
				t.Fatalf("values %v: want rejection %q, got (err=%v):\n%s", tc.vars, tc.wantErr, err, out)
			}
		})
	}
}

// TestWorkerUserData renders the ec2-workers bootstrap with Terraform's own
// templatefile and checks it with bash -n and shellcheck (the script and the
// watcher it installs), and that it carries what the instance relies on.
func TestWorkerUserData(t *testing.T) {
	root := repoRoot(t)
	tmpl := filepath.Join(root, "terraform", "modules", "ec2-workers", "user-data.sh.tftpl")
	expr := `base64encode(templatefile(` + strconv.Quote(tmpl) + `, {
  region = "cn-northwest-1", binary_s3_uri = "s3://artifacts/bin/s3migrate-linux-arm64",
  environment = { S3MIGRATE_TABLE = "t", S3MIGRATE_FAR_CREDENTIALS_SSM = "/s3migrate/x/far-credentials", S3MIGRATE_DEST_PREFIX = "a b/\"q\"" },
  worker_args = " --shutdown-grace 5m",
  graceful_stop_seconds = 600, asg_name = "x-workers", hook_name = "graceful-stop" }))`
	out, err := console(t, t.TempDir(), nil, expr)
	if err != nil {
		t.Fatalf("templatefile failed:\n%s", out)
	}
	var b64 string
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &b64); err != nil {
		t.Fatalf("console output %q: %v", out, err)
	}
	script, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	s := string(script)
	for _, want := range []string{
		"modprobe tcp_bbr",
		"net.ipv4.tcp_congestion_control = bbr",
		"net.core.default_qdisc = fq",
		"ExecStart=/usr/local/bin/s3migrate worker --from-env --shutdown-grace 5m\n",
		"KillSignal=SIGTERM\n",
		"TimeoutStopSec=600\n",
		"S3MIGRATE_FAR_CREDENTIALS_SSM=\"/s3migrate/x/far-credentials\"\n",
		`S3MIGRATE_DEST_PREFIX="a b/\"q\""` + "\n",
		"Environment=ASG_NAME=x-workers\n",
		"aws s3 cp --only-show-errors --region \"$REGION\" \"$BINARY_URI\"",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("rendered user data lacks %q", want)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "user-data.sh")
	if err := os.WriteFile(path, script, 0o755); err != nil {
		t.Fatal(err)
	}
	// The watcher is written through a quoted heredoc; check it on its own too.
	m := regexp.MustCompile(`(?s)<<'WATCHER'\n(.*?)\nWATCHER\n`).FindStringSubmatch(s)
	if m == nil {
		t.Fatal("no WATCHER heredoc in the user data")
	}
	watcher := filepath.Join(dir, "s3migrate-lifecycle")
	if err := os.WriteFile(watcher, []byte(m[1]+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, watcher} {
		if out, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", filepath.Base(f), err, out)
		}
		shellcheck, err := exec.LookPath("shellcheck")
		if err != nil {
			t.Fatalf("shellcheck is not installed: run `scripts/tools.sh apt`")
		}
		if out, err := exec.Command(shellcheck, "-s", "bash", f).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", filepath.Base(f), err, out)
		}
	}
}
