package lambdaenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/s3migrate/s3migrate/src/credentials"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParse(t *testing.T) {
	defaults := Config{Table: "t", PartsInFlight: 16, MaxConnections: 32, JobType: "PUT",
		FarCredentials: credentials.Spec{MaxAge: time.Hour}}
	with := func(f func(*Config)) Config { c := defaults; f(&c); return c }
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"defaults", map[string]string{"S3MIGRATE_TABLE": "t"}, defaults},
		{"original names", map[string]string{
			"table_queue_name": "s3_migrate_file_list", "Des_bucket_default": "dst", "Des_prefix_default": "backup/",
			"Des_region": "cn-northwest-1", "StorageClass": "STANDARD_IA", "MaxThread": "50", "max_pool_connections": "200",
			"JobType": "get", "aws_access_key_id": "AKIAORIGINAL0000", "aws_secret_access_key": "orig-secret",
		}, Config{Table: "s3_migrate_file_list", QueueName: "s3_migrate_file_list", DestBucket: "dst", DestPrefix: "backup/",
			DestRegion: "cn-northwest-1", StorageClass: "STANDARD_IA", PartsInFlight: 50, MaxConnections: 200, JobType: "GET",
			FarCredentials: credentials.Spec{AccessKeyID: "AKIAORIGINAL0000", SecretAccessKey: "orig-secret", MaxAge: time.Hour}}},
		{"new names", map[string]string{
			"S3MIGRATE_TABLE": "tbl", "S3MIGRATE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q", "S3MIGRATE_DEST_BUCKET": "d",
			"S3MIGRATE_PARTS_IN_FLIGHT": "8", "S3MIGRATE_DELETE_ON_REMOVE": "true", "S3MIGRATE_PROXY_URL": "http://10.0.0.1:3128",
			"S3MIGRATE_FAR_CREDENTIALS_SSM": "/s3migrate/far", "S3MIGRATE_FAR_CREDENTIALS_MAX_AGE": "24h", "AWS_LAMBDA_FUNCTION_NAME": "fn",
		}, with(func(c *Config) {
			c.Table, c.QueueURL, c.DestBucket, c.PartsInFlight, c.MaxConnections = "tbl", "https://sqs.us-east-1.amazonaws.com/1/q", "d", 8, 16
			c.DeleteOnRemove, c.ProxyURL = true, "http://10.0.0.1:3128"
			c.FarCredentials = credentials.Spec{SSMParameter: "/s3migrate/far", FunctionName: "fn", MaxAge: 24 * time.Hour}
		})},
		{"same value under both names", map[string]string{"S3MIGRATE_TABLE": "t", "table_queue_name": "t"}, with(func(c *Config) { c.QueueName = "t" })},
		{"kms-encrypted original keys", map[string]string{"S3MIGRATE_TABLE": "t", "aws_access_key_id": "Y2lwaGVy", "aws_secret_access_key": "Y2lwaGVy", "S3MIGRATE_FAR_CREDENTIALS_KMS": "1"},
			with(func(c *Config) {
				c.FarCredentials = credentials.Spec{AccessKeyID: "Y2lwaGVy", SecretAccessKey: "Y2lwaGVy", KMSEncrypted: true, MaxAge: time.Hour}
			})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(env(tc.env))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse:\n got %#v\nwant %#v", fields(got), fields(tc.want))
			}
		})
	}
}

// fields prints a Config with the Spec's fields visible (test only).
func fields(c Config) string {
	s := c.FarCredentials
	c.FarCredentials = credentials.Spec{}
	type plain Config // no String method: all fields shown
	return fmt.Sprintf("%+v far=%q/%q/%v/%q/%v/%s", plain(c), s.SSMParameter, s.Secret, s.KMSEncrypted, s.FunctionName, s.AccessKeyID != "", s.MaxAge)
}

func TestParseErrors(t *testing.T) {
	const secret = "super-secret-value-123"
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"no table", map[string]string{}, []string{"S3MIGRATE_TABLE (or table_queue_name) is required"}},
		{"conflicting alias", map[string]string{"S3MIGRATE_TABLE": "a", "table_queue_name": "b"}, []string{"S3MIGRATE_TABLE and its alias table_queue_name"}},
		{"bad values, all reported", map[string]string{"S3MIGRATE_TABLE": "t", "MaxThread": "many", "S3MIGRATE_JOB_TYPE": "PUSH",
			"StorageClass": "standard", "S3MIGRATE_DELETE_ON_REMOVE": "maybe", "S3MIGRATE_QUEUE_URL": "queue", "S3MIGRATE_FAR_CREDENTIALS_MAX_AGE": "-1h"},
			[]string{"S3MIGRATE_PARTS_IN_FLIGHT", "S3MIGRATE_JOB_TYPE", "S3MIGRATE_STORAGE_CLASS", "S3MIGRATE_DELETE_ON_REMOVE", "S3MIGRATE_QUEUE_URL", "S3MIGRATE_FAR_CREDENTIALS_MAX_AGE"}},
		{"half a key pair", map[string]string{"S3MIGRATE_TABLE": "t", "aws_secret_access_key": secret}, []string{"both the access key id and the secret"}},
		{"conflicting secret aliases", map[string]string{"S3MIGRATE_TABLE": "t", "aws_access_key_id": "AKIA1", "S3MIGRATE_FAR_ACCESS_KEY_ID": "AKIA2",
			"aws_secret_access_key": secret, "S3MIGRATE_FAR_SECRET_ACCESS_KEY": secret + "x"}, []string{"S3MIGRATE_FAR_SECRET_ACCESS_KEY and its alias"}},
		{"proxy with password", map[string]string{"S3MIGRATE_TABLE": "t", "S3MIGRATE_PROXY_URL": "ftp://u:" + secret + "@h"}, []string{"S3MIGRATE_PROXY_URL is not"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(env(tc.env))
			if err == nil {
				t.Fatalf("Parse succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows a secret: %q", err)
			}
		})
	}
}

func TestConfigNeverShowsSecrets(t *testing.T) {
	const secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
	c, err := Parse(env(map[string]string{"S3MIGRATE_TABLE": "t", "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": secret,
		"S3MIGRATE_PROXY_URL": "http://user:" + secret + "@proxy:3128"}))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out = append(out, fmt.Sprintf(verb, c), fmt.Sprintf(verb, &c))
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", c)
	out = append(out, buf.String())
	if !strings.Contains(buf.String(), "proxy:3128") {
		t.Errorf("slog output lacks the (redacted) proxy: %s", buf.String())
	}
	b, _ := json.Marshal(c.FarCredentials)
	out = append(out, string(b))
	for _, o := range out {
		if strings.Contains(o, secret) || strings.Contains(o, "AKIAIOSFODNN7EXAMPLE") {
			t.Errorf("secret in %q", o)
		}
	}
}

// ENV.md (pasted into the README) and the package comment list every
// variable: one source of truth, Variables.
func TestDocumentationIsComplete(t *testing.T) {
	md, err := os.ReadFile("ENV.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), Markdown()) {
		t.Errorf("ENV.md is out of date; replace its table with:\n%s", Markdown())
	}
	src, err := os.ReadFile("lambdaenv.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Variables() {
		if !strings.Contains(string(src), "//\t| "+v.Name+" ") {
			t.Errorf("package comment lacks %s", v.Name)
		}
		if v.Alias != "" && !strings.Contains(string(src), "| "+v.Alias+" ") {
			t.Errorf("package comment lacks alias %s", v.Alias)
		}
	}
}
