// Package s3side is the S3 implementation of the engine's Source,
// Destination, Lister and ServerCopier: one side of a migration (an AWS
// partition, or any S3-compatible store) with its own region, endpoint and
// credentials.
package s3side

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Config describes one side of a migration. The zero value means: AWS, the
// default credential chain, the bucket's region detected on first use.
type Config struct {
	// Region of the buckets. Empty: detected per bucket (HeadBucket's
	// x-amz-bucket-region, then GetBucketLocation).
	Region string
	// Endpoint: empty for AWS (the SDK picks the partition from the region,
	// e.g. cn-north-1 -> amazonaws.com.cn), a URL of any S3-compatible store,
	// or a preset: "aliyun-oss:<region>", "aliyun-oss-internal:<region>",
	// "tencent-cos:<region>".
	Endpoint string
	// PathStyle addresses buckets as https://host/bucket/key instead of
	// https://bucket.host/key. Needed by most self-hosted stores.
	PathStyle bool
	// RequesterPays sends x-amz-request-payer: requester on every call.
	RequesterPays bool

	// Credentials, at most one kind; none of them means the default chain
	// (environment, shared files, SSO, container/instance role).
	Profile         string // a named profile of the shared config files
	AccessKeyID     string // static keys given directly
	SecretAccessKey string
	SessionToken    string
	// AccessKeyIDEnv/SecretAccessKeyEnv/SessionTokenEnv name environment
	// variables holding static keys, so two sides can each have their own
	// (e.g. DST_AWS_ACCESS_KEY_ID).
	AccessKeyIDEnv     string
	SecretAccessKeyEnv string
	SessionTokenEnv    string
	// Anonymous sends unsigned requests (public sources).
	Anonymous bool
	// RoleARN is assumed through STS on top of the credentials above.
	RoleARN         string
	ExternalID      string
	RoleSessionName string // default "s3migrate"
	// STSEndpoint overrides the STS endpoint used to assume the role (a VPC
	// endpoint, a test server). Empty: the SDK's for the region.
	STSEndpoint string

	// HTTPClient sends every request (netx supplies a tuned transport,
	// proxy and congestion control). Nil: the SDK's default client.
	HTTPClient aws.HTTPClient
	// MaxAttempts per request, first try included (throttling, 5xx and
	// connection resets are retried with exponential backoff and jitter).
	// 0 means DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the delay between attempts. 0 means DefaultMaxBackoff.
	MaxBackoff time.Duration
	// SignPayload signs the SHA-256 of PutObject/UploadPart bodies. Off by
	// default: those requests carry Content-MD5, a signed header, so the body
	// is already bound to the signature and a second hash per byte is waste.
	SignPayload bool
	// CopyTags makes Stat read the object's tags (one GetObjectTagging call).
	CopyTags bool
	// Logger receives debug/warn records (region detection, compatibility
	// fallbacks). Nil: slog.Default().
	Logger *slog.Logger
}

// Defaults for retries.
const (
	DefaultMaxAttempts = 10
	DefaultMaxBackoff  = 20 * time.Second
)

// Endpoint is a resolved endpoint setting.
type Endpoint struct {
	URL       string // "" for AWS
	Region    string // set by presets
	Provider  string // "aws", "aliyun-oss", "tencent-cos" or "custom"
	Virtual   bool   // the provider only supports virtual-hosted style
	Preset    string // the preset name, when one was used
	Unchunked bool   // the provider rejects aws-chunked bodies (trailing checksums)
}

// ParseEndpoint expands a preset or checks an endpoint URL.
func ParseEndpoint(s string) (Endpoint, error) {
	if s == "" {
		return Endpoint{Provider: "aws"}, nil
	}
	if name, region, ok := strings.Cut(s, ":"); ok && !strings.HasPrefix(region, "//") {
		switch name {
		case "aliyun-oss", "aliyun-oss-internal":
			region = strings.TrimPrefix(region, "oss-")
			if err := checkRegion(region); err != nil {
				return Endpoint{}, fmt.Errorf("endpoint preset %q: %w (example: aliyun-oss:cn-hangzhou)", s, err)
			}
			host := "s3.oss-" + region + ".aliyuncs.com"
			if name == "aliyun-oss-internal" {
				host = "s3.oss-" + region + "-internal.aliyuncs.com"
			}
			return Endpoint{URL: "https://" + host, Region: region, Provider: "aliyun-oss", Virtual: true, Preset: name, Unchunked: true}, nil
		case "tencent-cos":
			if err := checkRegion(region); err != nil {
				return Endpoint{}, fmt.Errorf("endpoint preset %q: %w (example: tencent-cos:ap-guangzhou)", s, err)
			}
			return Endpoint{URL: "https://cos." + region + ".myqcloud.com", Region: region, Provider: "tencent-cos", Virtual: true, Preset: name, Unchunked: true}, nil
		case "http", "https":
			// a URL; checked below
		default:
			return Endpoint{}, fmt.Errorf("endpoint %q: unknown preset %q (known: aliyun-oss, aliyun-oss-internal, tencent-cos) and not an http(s) URL", s, name)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return Endpoint{}, fmt.Errorf("endpoint %q is not a URL: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Endpoint{}, fmt.Errorf("endpoint %q: scheme must be http or https (e.g. https://s3.example.com)", s)
	}
	if u.Host == "" || u.Hostname() == "" {
		return Endpoint{}, fmt.Errorf("endpoint %q has no host", s)
	}
	if u.User != nil {
		return Endpoint{}, fmt.Errorf("endpoint must not carry credentials in the URL; use the credential settings instead")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return Endpoint{}, fmt.Errorf("endpoint %q must not have a query or fragment", s)
	}
	if u.Path != "" && u.Path != "/" {
		return Endpoint{}, fmt.Errorf("endpoint %q must not have a path (the bucket is given separately)", s)
	}
	return Endpoint{URL: u.Scheme + "://" + u.Host, Provider: "custom"}, nil
}

func checkRegion(r string) error {
	if r == "" {
		return errors.New("region is empty")
	}
	if len(r) > 64 {
		return fmt.Errorf("region %.20q... is too long", r)
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("region %q: only lower-case letters, digits and '-' are allowed", r)
		}
	}
	if r[0] == '-' || r[len(r)-1] == '-' {
		return fmt.Errorf("region %q must not start or end with '-'", r)
	}
	return nil
}

// Validate reports the first inconsistency in the configuration.
func (c Config) Validate() error {
	ep, err := ParseEndpoint(c.Endpoint)
	if err != nil {
		return err
	}
	if c.Region != "" {
		if err := checkRegion(c.Region); err != nil {
			return fmt.Errorf("region: %w", err)
		}
		if ep.Region != "" && ep.Region != c.Region {
			return fmt.Errorf("region %q conflicts with the %s preset's region %q: drop one of them", c.Region, ep.Preset, ep.Region)
		}
	}
	if ep.Virtual && c.PathStyle {
		return fmt.Errorf("%s only supports virtual-hosted bucket addressing: turn path-style off", ep.Provider)
	}
	static := c.AccessKeyID != "" || c.SecretAccessKey != "" || c.SessionToken != ""
	if static && (c.AccessKeyID == "" || c.SecretAccessKey == "") {
		return errors.New("static credentials need both an access key id and a secret access key")
	}
	fromEnv := c.AccessKeyIDEnv != "" || c.SecretAccessKeyEnv != "" || c.SessionTokenEnv != ""
	if fromEnv && (c.AccessKeyIDEnv == "" || c.SecretAccessKeyEnv == "") {
		return errors.New("static credentials from the environment need the names of both the access key id and the secret access key variables")
	}
	kinds := []string{}
	if c.Profile != "" {
		kinds = append(kinds, "profile")
	}
	if static {
		kinds = append(kinds, "static keys")
	}
	if fromEnv {
		kinds = append(kinds, "keys from environment variables")
	}
	if c.Anonymous {
		kinds = append(kinds, "anonymous")
	}
	if len(kinds) > 1 {
		return fmt.Errorf("choose one kind of credentials, not %s", strings.Join(kinds, " and "))
	}
	if c.Anonymous && c.RoleARN != "" {
		return errors.New("anonymous access cannot assume a role")
	}
	if c.RoleARN != "" {
		if !strings.HasPrefix(c.RoleARN, "arn:") || !strings.Contains(c.RoleARN, ":role/") {
			return fmt.Errorf("role ARN %q is not a role ARN (arn:<partition>:iam::<account>:role/<name>)", c.RoleARN)
		}
	} else if c.ExternalID != "" || c.RoleSessionName != "" || c.STSEndpoint != "" {
		return errors.New("an external id, role session name or STS endpoint needs a role ARN to assume")
	}
	if c.STSEndpoint != "" {
		if ep, err := ParseEndpoint(c.STSEndpoint); err != nil || ep.Provider != "custom" {
			return fmt.Errorf("STS endpoint %q must be an http(s) URL", c.STSEndpoint)
		}
	}
	if c.MaxAttempts < 0 {
		return fmt.Errorf("max attempts %d must not be negative (0 = default %d)", c.MaxAttempts, DefaultMaxAttempts)
	}
	if c.MaxBackoff < 0 {
		return fmt.Errorf("max backoff %s must not be negative (0 = default %s)", c.MaxBackoff, DefaultMaxBackoff)
	}
	return nil
}

// credentialKind names the credential source without revealing secrets.
func (c Config) credentialKind() string {
	var s string
	switch {
	case c.Anonymous:
		s = "anonymous"
	case c.Profile != "":
		s = "profile:" + c.Profile
	case c.AccessKeyID != "":
		s = "static:" + redactKeyID(c.AccessKeyID)
	case c.AccessKeyIDEnv != "":
		s = "env:" + c.AccessKeyIDEnv
	default:
		s = "default-chain"
	}
	if c.RoleARN != "" {
		s += "+role:" + c.RoleARN
	}
	return s
}

// redactKeyID keeps the last 4 characters of an access key id, enough to
// tell two keys apart in a log.
func redactKeyID(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return "****" + id[len(id)-4:]
}

// String describes the side without secrets.
func (c Config) String() string {
	ep := c.Endpoint
	if ep == "" {
		ep = "aws"
	}
	region := c.Region
	if region == "" {
		region = "auto"
	}
	return fmt.Sprintf("s3side{endpoint=%s region=%s path_style=%t requester_pays=%t credentials=%s}",
		ep, region, c.PathStyle, c.RequesterPays, c.credentialKind())
}

// LogValue makes slog print the redacted form.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.Endpoint),
		slog.String("region", c.Region),
		slog.Bool("path_style", c.PathStyle),
		slog.Bool("requester_pays", c.RequesterPays),
		slog.String("credentials", c.credentialKind()),
	)
}

// GoString keeps %#v from printing the secret fields.
func (c Config) GoString() string { return c.String() }
