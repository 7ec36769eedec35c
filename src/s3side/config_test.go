package s3side

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in      string
		want    Endpoint
		wantErr string
	}{
		{in: "", want: Endpoint{Provider: "aws"}},
		{in: "aliyun-oss:cn-hangzhou", want: Endpoint{URL: "https://s3.oss-cn-hangzhou.aliyuncs.com", Region: "cn-hangzhou", Provider: "aliyun-oss", Virtual: true, Preset: "aliyun-oss", Unchunked: true}},
		{in: "aliyun-oss:oss-cn-beijing", want: Endpoint{URL: "https://s3.oss-cn-beijing.aliyuncs.com", Region: "cn-beijing", Provider: "aliyun-oss", Virtual: true, Preset: "aliyun-oss", Unchunked: true}},
		{in: "aliyun-oss-internal:cn-shanghai", want: Endpoint{URL: "https://s3.oss-cn-shanghai-internal.aliyuncs.com", Region: "cn-shanghai", Provider: "aliyun-oss", Virtual: true, Preset: "aliyun-oss-internal", Unchunked: true}},
		{in: "tencent-cos:ap-guangzhou", want: Endpoint{URL: "https://cos.ap-guangzhou.myqcloud.com", Region: "ap-guangzhou", Provider: "tencent-cos", Virtual: true, Preset: "tencent-cos", Unchunked: true}},
		{in: "http://127.0.0.1:7070", want: Endpoint{URL: "http://127.0.0.1:7070", Provider: "custom"}},
		{in: "https://s3.example.com/", want: Endpoint{URL: "https://s3.example.com", Provider: "custom"}},
		{in: "https://[::1]:9000", want: Endpoint{URL: "https://[::1]:9000", Provider: "custom"}},
		{in: "aliyun-oss:", wantErr: "region is empty"},
		{in: "tencent-cos:AP-Guangzhou", wantErr: "only lower-case"},
		{in: "tencent-cos:-x", wantErr: "must not start or end"},
		{in: "minio:local", wantErr: "unknown preset"},
		{in: "localhost:9000", wantErr: "unknown preset"},
		{in: "s3.example.com", wantErr: "scheme must be http or https"},
		{in: "ftp://s3.example.com", wantErr: "scheme must be http or https"},
		{in: "https://", wantErr: "no host"},
		{in: "https://user:pw@s3.example.com", wantErr: "must not carry credentials"},
		{in: "https://s3.example.com/bucket", wantErr: "must not have a path"},
		{in: "https://s3.example.com?x=1", wantErr: "query or fragment"},
		{in: "https://s3.example.com#f", wantErr: "query or fragment"},
		{in: "https://s3 example.com", wantErr: "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEndpoint(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseEndpoint(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEndpoint(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseEndpoint(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzParseEndpoint: never panics; whatever it accepts is a usable base
// URL (http(s), a host, no path/query/userinfo) or AWS, and a preset always
// carries a valid region.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"", "aliyun-oss:cn-hangzhou", "aliyun-oss-internal:oss-cn-x", "tencent-cos:ap-guangzhou",
		"http://127.0.0.1:7070", "https://s3.example.com/", "https://u@h", "tencent-cos:", "a:b:c", "http:x", "https://h/%zz", "https://h:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep, err := ParseEndpoint(s)
		if err != nil {
			if ep != (Endpoint{}) {
				t.Fatalf("error with a non-zero endpoint: %+v", ep)
			}
			return
		}
		if ep.URL == "" {
			if s != "" || ep.Provider != "aws" {
				t.Fatalf("%q: empty URL for provider %q", s, ep.Provider)
			}
			return
		}
		u, err := url.Parse(ep.URL)
		if err != nil {
			t.Fatalf("%q gave an unparseable URL %q: %v", s, ep.URL, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("%q gave an unusable base URL %q", s, ep.URL)
		}
		if ep.Preset != "" {
			if err := checkRegion(ep.Region); err != nil {
				t.Fatalf("%q: preset with a bad region: %v", s, err)
			}
			if !ep.Virtual {
				t.Fatalf("%q: preset providers only support virtual-hosted style", s)
			}
		}
		again, err := ParseEndpoint(ep.URL)
		if err != nil || again.URL != ep.URL {
			t.Fatalf("%q: resolved URL %q does not parse to itself: %+v %v", s, ep.URL, again, err)
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" = valid
	}{
		{name: "zero value", cfg: Config{}},
		{name: "static keys", cfg: Config{Region: "cn-north-1", AccessKeyID: "AKIA1", SecretAccessKey: "s"}},
		{name: "keys from env", cfg: Config{AccessKeyIDEnv: "DST_ID", SecretAccessKeyEnv: "DST_SECRET"}},
		{name: "profile and role", cfg: Config{Profile: "china", RoleARN: "arn:aws-cn:iam::123456789012:role/copier", ExternalID: "x"}},
		{name: "anonymous", cfg: Config{Anonymous: true}},
		{name: "preset", cfg: Config{Endpoint: "tencent-cos:ap-beijing", Region: "ap-beijing"}},
		{name: "bad endpoint", cfg: Config{Endpoint: "s3.example.com"}, wantErr: "scheme must be http or https"},
		{name: "bad region", cfg: Config{Region: "US East"}, wantErr: "region"},
		{name: "region conflicts with preset", cfg: Config{Endpoint: "aliyun-oss:cn-hangzhou", Region: "cn-beijing"}, wantErr: "conflicts"},
		{name: "path style on oss", cfg: Config{Endpoint: "aliyun-oss:cn-hangzhou", PathStyle: true}, wantErr: "virtual-hosted"},
		{name: "id without secret", cfg: Config{AccessKeyID: "AKIA1"}, wantErr: "both an access key id and a secret"},
		{name: "token only", cfg: Config{SessionToken: "t"}, wantErr: "both an access key id and a secret"},
		{name: "env id without secret", cfg: Config{AccessKeyIDEnv: "X"}, wantErr: "names of both"},
		{name: "profile and static", cfg: Config{Profile: "p", AccessKeyID: "a", SecretAccessKey: "s"}, wantErr: "profile and static keys"},
		{name: "anonymous and env", cfg: Config{Anonymous: true, AccessKeyIDEnv: "A", SecretAccessKeyEnv: "B"}, wantErr: "choose one kind"},
		{name: "anonymous role", cfg: Config{Anonymous: true, RoleARN: "arn:aws:iam::1:role/r"}, wantErr: "cannot assume a role"},
		{name: "not a role arn", cfg: Config{RoleARN: "arn:aws:iam::1:user/u"}, wantErr: "not a role ARN"},
		{name: "external id alone", cfg: Config{ExternalID: "x"}, wantErr: "needs a role ARN"},
		{name: "negative attempts", cfg: Config{MaxAttempts: -1}, wantErr: "max attempts"},
		{name: "negative backoff", cfg: Config{MaxBackoff: -1}, wantErr: "max backoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
			if _, nerr := New(context.Background(), tt.cfg); nerr == nil {
				t.Fatalf("New accepted a configuration Validate rejects")
			}
		})
	}
}

// Secrets never reach logs or error text, whichever way the config is printed.
func TestConfigNeverPrintsSecrets(t *testing.T) {
	const secret, token = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET", "FwoGZXIvYXdzEXAMPLETOKEN"
	cfg := Config{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: secret, SessionToken: token, Region: "us-east-1"}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("side", "cfg", cfg)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("side", "cfg", cfg)
	outputs := map[string]string{
		"String": cfg.String(), "%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg),
		"%#v": fmt.Sprintf("%#v", cfg), "slog": logBuf.String(),
	}
	for how, out := range outputs {
		if strings.Contains(out, secret) || strings.Contains(out, token) || strings.Contains(out, "AKIAIOSFODNN7EXAMPLE") {
			t.Errorf("%s prints a secret: %s", how, out)
		}
		if !strings.Contains(out, "MPLE") {
			t.Errorf("%s does not identify the key at all (want its last 4 characters): %s", how, out)
		}
	}
	bad := cfg
	bad.RoleARN = "not-an-arn"
	if _, err := New(context.Background(), bad); err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("New error %v: want an error without the secret", err)
	}
}
