package s3side

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Client is one configured side. It hands out Buckets and keeps one SDK
// client per region.
type Client struct {
	cfg      Config
	endpoint Endpoint
	aws      aws.Config
	log      *slog.Logger

	mu      sync.Mutex
	regions map[string]*s3.Client
}

// New checks cfg, resolves its credentials and prepares the SDK
// configuration. It makes no request; credentials are first used by the
// first call on a Bucket.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("s3side: invalid configuration: %w", err)
	}
	ep, _ := ParseEndpoint(cfg.Endpoint)
	if cfg.Region == "" {
		cfg.Region = ep.Region
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	maxAttempts := cfg.MaxAttempts
	if maxAttempts == 0 {
		maxAttempts = DefaultMaxAttempts
	}
	maxBackoff := cfg.MaxBackoff
	if maxBackoff == 0 {
		maxBackoff = DefaultMaxBackoff
	}

	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = maxBackoff
				// The client-side retry quota would fail requests during a
				// throttling storm that backoff alone rides out; the engine
				// bounds concurrency itself.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	switch {
	case cfg.Anonymous:
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	case cfg.Profile != "":
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	case cfg.AccessKeyID != "":
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)))
	case cfg.AccessKeyIDEnv != "":
		id, secret := os.Getenv(cfg.AccessKeyIDEnv), os.Getenv(cfg.SecretAccessKeyEnv)
		if id == "" || secret == "" {
			return nil, fmt.Errorf("s3side: static credentials: environment variables %s and %s must both be set", cfg.AccessKeyIDEnv, cfg.SecretAccessKeyEnv)
		}
		token := ""
		if cfg.SessionTokenEnv != "" {
			token = os.Getenv(cfg.SessionTokenEnv)
		}
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, token)))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3side: load AWS configuration for %s: %w", cfg.credentialKind(), err)
	}
	if cfg.HTTPClient != nil {
		// Set after loading: the SDK applies AWS_CA_BUNDLE only to its own
		// client type and refuses any other; a given client brings its own
		// trust (netx honours the bundle itself).
		awsCfg.HTTPClient = cfg.HTTPClient
	}
	if cfg.RoleARN != "" {
		stsCfg := awsCfg.Copy()
		if stsCfg.Region == "" {
			stsCfg.Region = "us-east-1"
		}
		stsClient := sts.NewFromConfig(stsCfg, func(o *sts.Options) {
			if cfg.STSEndpoint != "" {
				o.BaseEndpoint = aws.String(cfg.STSEndpoint)
			}
		})
		provider := stscreds.NewAssumeRoleProvider(stsClient, cfg.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = cfg.RoleSessionName
			if o.RoleSessionName == "" {
				o.RoleSessionName = "s3migrate"
			}
			if cfg.ExternalID != "" {
				o.ExternalID = aws.String(cfg.ExternalID)
			}
		})
		awsCfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return &Client{cfg: cfg, endpoint: ep, aws: awsCfg, log: log, regions: map[string]*s3.Client{}}, nil
}

// Config returns the configuration the client was made from (with the
// preset's region filled in).
func (c *Client) Config() Config { return c.cfg }

// s3For returns the SDK client for a region, creating it once.
func (c *Client) s3For(region string) *s3.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.regions[region]; ok {
		return cl
	}
	cl := s3.NewFromConfig(c.aws, func(o *s3.Options) {
		o.Region = region
		o.UsePathStyle = c.cfg.PathStyle
		if c.endpoint.URL != "" {
			o.BaseEndpoint = aws.String(c.endpoint.URL)
		}
		// Integrity is Content-MD5 (plus the source's own checksum when it
		// has one). The SDK's default CRC32 on every request would hash
		// each byte a second time, and aws-chunked trailers are not
		// understood by several S3-compatible stores.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	c.regions[region] = cl
	return cl
}

// Bucket returns the bucket as a Source, Destination, Lister and
// ServerCopier. When the side has no region, it is detected now.
func (c *Client) Bucket(ctx context.Context, name string) (*Bucket, error) {
	if name == "" {
		return nil, errors.New("s3side: bucket name is empty")
	}
	region := c.cfg.Region
	if region == "" {
		r, err := c.detectRegion(ctx, name)
		if err != nil {
			return nil, err
		}
		region = r
	}
	return &Bucket{client: c, name: name, region: region, s3: c.s3For(region)}, nil
}

// detectRegion asks the endpoint where bucket lives: HeadBucket's
// x-amz-bucket-region (AWS sends it even with 301/403), then
// GetBucketLocation. A custom endpoint that answers neither is assumed to
// ignore the region (us-east-1 is used for signing).
func (c *Client) detectRegion(ctx context.Context, bucket string) (string, error) {
	probeRegion := c.aws.Region
	if probeRegion == "" {
		probeRegion = "us-east-1"
	}
	cl := c.s3For(probeRegion)
	out, err := cl.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil && aws.ToString(out.BucketRegion) != "" {
		c.log.Debug("s3side: bucket region detected", "bucket", bucket, "region", *out.BucketRegion, "how", "HeadBucket")
		return *out.BucketRegion, nil
	}
	if err != nil {
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.Response != nil {
			if r := re.Response.Header.Get("X-Amz-Bucket-Region"); r != "" {
				c.log.Debug("s3side: bucket region detected", "bucket", bucket, "region", r, "how", "HeadBucket error header")
				return r, nil
			}
		}
	}
	headErr := err
	loc, err := cl.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err == nil {
		r := string(loc.LocationConstraint)
		switch r {
		case "":
			r = "us-east-1"
		case "EU":
			r = "eu-west-1"
		}
		c.log.Debug("s3side: bucket region detected", "bucket", bucket, "region", r, "how", "GetBucketLocation")
		return r, nil
	}
	if r := expectedRegion(err); r != "" {
		c.log.Debug("s3side: bucket region detected", "bucket", bucket, "region", r, "how", "AuthorizationHeaderMalformed")
		return r, nil
	}
	if headErr == nil && c.endpoint.Provider == "custom" {
		c.log.Debug("s3side: endpoint does not report bucket regions; signing with us-east-1", "bucket", bucket, "endpoint", c.endpoint.URL)
		return "us-east-1", nil
	}
	if headErr == nil {
		headErr = err
	}
	return "", fmt.Errorf("s3side: cannot detect the region of bucket %q (set the region for this side): %w", bucket, mapErr(headErr))
}

// sameSigner reports whether two clients sign with the same credentials.
// The same *Client trivially does; otherwise both must have the same kind
// of credentials and, for static keys, identical keys (compared, never
// printed).
func (c *Client) sameSigner(o *Client) bool {
	if c == o {
		return true
	}
	if c.cfg.Anonymous || o.cfg.Anonymous {
		return false
	}
	if c.endpoint.URL != o.endpoint.URL || c.cfg.RoleARN != o.cfg.RoleARN || c.cfg.ExternalID != o.cfg.ExternalID {
		return false
	}
	a, b := c.staticKeys(), o.staticKeys()
	if a != nil || b != nil {
		return a != nil && b != nil && *a == *b
	}
	return c.cfg.Profile == o.cfg.Profile
}

type keyPair struct{ id, secret string }

func (c *Client) staticKeys() *keyPair {
	switch {
	case c.cfg.AccessKeyID != "":
		return &keyPair{c.cfg.AccessKeyID, c.cfg.SecretAccessKey}
	case c.cfg.AccessKeyIDEnv != "":
		return &keyPair{os.Getenv(c.cfg.AccessKeyIDEnv), os.Getenv(c.cfg.SecretAccessKeyEnv)}
	}
	return nil
}

// Bucket is one bucket of one side.
type Bucket struct {
	client *Client
	name   string
	region string
	s3     *s3.Client

	// credsOK is set once any request succeeded: after that a HEAD 404 is a
	// missing object, not an unknown access key (versitygw answers HEAD with
	// a bad key with a bare 404).
	credsOK atomic.Bool
	// uploadAlgo remembers the checksum algorithm of uploads this process
	// created or listed (uploadID -> algorithm).
	uploadAlgo sync.Map
	// uploadsPageSize overrides ListMultipartUploads' page size (tests).
	uploadsPageSize int32
}

// Name is the bucket name.
func (b *Bucket) Name() string { return b.name }

// Region is the bucket's region (configured or detected).
func (b *Bucket) Region() string { return b.region }

// String names the bucket for logs.
func (b *Bucket) String() string { return "s3://" + b.name }

// keyRef formats bucket and key for error messages, with long keys cut.
func (b *Bucket) keyRef(key string) string {
	if len(key) > 200 {
		return fmt.Sprintf("s3://%s/%s...(%d bytes)", b.name, strings.ToValidUTF8(key[:200], "?"), len(key))
	}
	return "s3://" + b.name + "/" + key
}

// expectedRegion reads the region out of S3's answer to a request signed
// for the wrong one: AuthorizationHeaderMalformed "... the region
// 'us-east-1' is wrong; expecting 'eu-west-3'".
func expectedRegion(err error) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AuthorizationHeaderMalformed" {
		return ""
	}
	msg := ae.ErrorMessage()
	i := strings.LastIndex(msg, "expecting ")
	if i < 0 {
		return ""
	}
	r := strings.Trim(msg[i+len("expecting "):], `'". `)
	if checkRegion(r) != nil {
		return ""
	}
	return r
}
