// Package lambdaenv reads the serverless worker's configuration from the
// environment. The original system's variable names keep working as
// aliases; a new name and its alias set to different values is an error.
//
//	| variable                          | alias (original)        | default             | meaning |
//	|-----------------------------------|-------------------------|---------------------|---------|
//	| S3MIGRATE_TABLE                   | table_queue_name        | (required)          | DynamoDB table of object states |
//	| S3MIGRATE_QUEUE_URL               |                         | queue named table_queue_name, else the event's queue | SQS queue URL for hand-back and sub-jobs |
//	| S3MIGRATE_DEST_BUCKET             | Des_bucket_default      | ""                  | destination bucket for S3 event notifications |
//	| S3MIGRATE_DEST_PREFIX             | Des_prefix_default      | ""                  | prefix put before the source key for S3 events |
//	| S3MIGRATE_DEST_REGION             | Des_region              | the worker's region | region of the far side |
//	| S3MIGRATE_STORAGE_CLASS           | StorageClass            | bucket default      | storage class of written objects |
//	| S3MIGRATE_PARTS_IN_FLIGHT         | MaxThread               | 16                  | parts transferred at once per worker |
//	| S3MIGRATE_MAX_CONNECTIONS         | max_pool_connections    | 2 × parts in flight | HTTP connections per side |
//	| S3MIGRATE_JOB_TYPE                | JobType                 | PUT                 | PUT: the far side is the destination; GET: the source |
//	| S3MIGRATE_DELETE_ON_REMOVE        |                         | false               | delete at the destination on ObjectRemoved events |
//	| S3MIGRATE_PROXY_URL               |                         | ""                  | HTTP(S) proxy for the far side |
//	| S3MIGRATE_FAR_CREDENTIALS_SSM     |                         | ""                  | SSM SecureString with the far side's keys (JSON) |
//	| S3MIGRATE_FAR_CREDENTIALS_SECRET  |                         | ""                  | Secrets Manager secret with the far side's keys (JSON) |
//	| S3MIGRATE_FAR_ACCESS_KEY_ID       | aws_access_key_id       | ""                  | the far side's access key id (or its KMS ciphertext) |
//	| S3MIGRATE_FAR_SECRET_ACCESS_KEY   | aws_secret_access_key   | ""                  | the far side's secret key (or its KMS ciphertext) |
//	| S3MIGRATE_FAR_CREDENTIALS_KMS     |                         | false               | the two keys above are base64 KMS ciphertexts |
//	| S3MIGRATE_FAR_CREDENTIALS_MAX_AGE |                         | 1h                  | re-read period of the far side's keys |
//
// The far side's keys come from the first of: the SSM parameter, the
// secret, the (KMS-encrypted) key variables; with none, the worker's own
// role reaches both sides. Markdown returns this table for the README.
package lambdaenv

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/s3migrate/s3migrate/src/credentials"
)

// Var documents one environment variable.
type Var struct {
	Name    string
	Alias   string // the original system's name, or ""
	Default string
	Doc     string
	Secret  bool // its value never appears in errors
}

// Variable names.
const (
	EnvTable                = "S3MIGRATE_TABLE"
	EnvQueueURL             = "S3MIGRATE_QUEUE_URL"
	EnvDestBucket           = "S3MIGRATE_DEST_BUCKET"
	EnvDestPrefix           = "S3MIGRATE_DEST_PREFIX"
	EnvDestRegion           = "S3MIGRATE_DEST_REGION"
	EnvStorageClass         = "S3MIGRATE_STORAGE_CLASS"
	EnvPartsInFlight        = "S3MIGRATE_PARTS_IN_FLIGHT"
	EnvMaxConnections       = "S3MIGRATE_MAX_CONNECTIONS"
	EnvJobType              = "S3MIGRATE_JOB_TYPE"
	EnvDeleteOnRemove       = "S3MIGRATE_DELETE_ON_REMOVE"
	EnvProxyURL             = "S3MIGRATE_PROXY_URL"
	EnvFarCredentialsSSM    = "S3MIGRATE_FAR_CREDENTIALS_SSM"
	EnvFarCredentialsSecret = "S3MIGRATE_FAR_CREDENTIALS_SECRET"
	EnvFarAccessKeyID       = "S3MIGRATE_FAR_ACCESS_KEY_ID"
	EnvFarSecretAccessKey   = "S3MIGRATE_FAR_SECRET_ACCESS_KEY"
	EnvFarCredentialsKMS    = "S3MIGRATE_FAR_CREDENTIALS_KMS"
	EnvFarCredentialsMaxAge = "S3MIGRATE_FAR_CREDENTIALS_MAX_AGE"
)

// Defaults.
const (
	DefaultPartsInFlight = 16
	DefaultJobType       = "PUT"
	DefaultMaxAge        = time.Hour
)

// Variables returns the documented variables, in the order of the table.
func Variables() []Var {
	return []Var{
		{EnvTable, "table_queue_name", "(required)", "DynamoDB table of object states", false},
		{EnvQueueURL, "", "queue named table_queue_name, else the event's queue", "SQS queue URL for hand-back and sub-jobs", false},
		{EnvDestBucket, "Des_bucket_default", `""`, "destination bucket for S3 event notifications", false},
		{EnvDestPrefix, "Des_prefix_default", `""`, "prefix put before the source key for S3 events", false},
		{EnvDestRegion, "Des_region", "the worker's region", "region of the far side", false},
		{EnvStorageClass, "StorageClass", "bucket default", "storage class of written objects", false},
		{EnvPartsInFlight, "MaxThread", strconv.Itoa(DefaultPartsInFlight), "parts transferred at once per worker", false},
		{EnvMaxConnections, "max_pool_connections", "2 × parts in flight", "HTTP connections per side", false},
		{EnvJobType, "JobType", DefaultJobType, "PUT: the far side is the destination; GET: the source", false},
		{EnvDeleteOnRemove, "", "false", "delete at the destination on ObjectRemoved events", false},
		{EnvProxyURL, "", `""`, "HTTP(S) proxy for the far side", false},
		{EnvFarCredentialsSSM, "", `""`, "SSM SecureString with the far side's keys (JSON)", false},
		{EnvFarCredentialsSecret, "", `""`, "Secrets Manager secret with the far side's keys (JSON)", false},
		{EnvFarAccessKeyID, "aws_access_key_id", `""`, "the far side's access key id (or its KMS ciphertext)", true},
		{EnvFarSecretAccessKey, "aws_secret_access_key", `""`, "the far side's secret key (or its KMS ciphertext)", true},
		{EnvFarCredentialsKMS, "", "false", "the two keys above are base64 KMS ciphertexts", false},
		{EnvFarCredentialsMaxAge, "", "1h", "re-read period of the far side's keys", false},
	}
}

// Markdown renders Variables as a markdown table for the README.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| variable | alias (original) | default | meaning |\n|---|---|---|---|\n")
	for _, v := range Variables() {
		alias := ""
		if v.Alias != "" {
			alias = "`" + v.Alias + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, alias, v.Default, v.Doc)
	}
	return b.String()
}

// StorageClasses are the values S3MIGRATE_STORAGE_CLASS accepts.
func StorageClasses() []string {
	return []string{"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
		"GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE"}
}

// Config is the worker's configuration.
type Config struct {
	Table          string
	QueueURL       string
	QueueName      string // from table_queue_name when no URL is given: resolve with GetQueueUrl
	DestBucket     string
	DestPrefix     string
	DestRegion     string
	StorageClass   string
	PartsInFlight  int
	MaxConnections int
	JobType        string // PUT or GET
	DeleteOnRemove bool
	ProxyURL       string
	FarCredentials credentials.Spec // redacts itself when printed
}

// LogValue logs the configuration without secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("table", c.Table), slog.String("queue_url", c.QueueURL), slog.String("queue_name", c.QueueName),
		slog.String("dest_bucket", c.DestBucket), slog.String("dest_prefix", c.DestPrefix), slog.String("dest_region", c.DestRegion),
		slog.String("storage_class", c.StorageClass), slog.Int("parts_in_flight", c.PartsInFlight),
		slog.Int("max_connections", c.MaxConnections), slog.String("job_type", c.JobType),
		slog.Bool("delete_on_remove", c.DeleteOnRemove), slog.String("proxy", redactURL(c.ProxyURL)),
		slog.String("far_credentials", c.FarCredentials.String()))
}

// String shows the configuration with the proxy password and the far
// side's keys redacted.
func (c Config) String() string {
	return fmt.Sprintf("lambdaenv.Config{Table: %q, QueueURL: %q, QueueName: %q, DestBucket: %q, DestPrefix: %q, DestRegion: %q, "+
		"StorageClass: %q, PartsInFlight: %d, MaxConnections: %d, JobType: %q, DeleteOnRemove: %t, ProxyURL: %q, FarCredentials: %s}",
		c.Table, c.QueueURL, c.QueueName, c.DestBucket, c.DestPrefix, c.DestRegion, c.StorageClass, c.PartsInFlight,
		c.MaxConnections, c.JobType, c.DeleteOnRemove, redactURL(c.ProxyURL), c.FarCredentials.String())
}

// Format redacts under every verb.
func (c Config) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// GoString redacts %#v.
func (c Config) GoString() string { return c.String() }

// redactURL drops a password from a proxy URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// FromEnv reads the process environment.
func FromEnv() (Config, error) { return Parse(os.LookupEnv) }

// Parse reads the configuration through lookup (os.LookupEnv in
// production), applies defaults and validates. The error lists every
// problem, naming variables, never secret values.
func Parse(lookup func(string) (string, bool)) (Config, error) {
	var errs []error
	vars := map[string]Var{}
	for _, v := range Variables() {
		vars[v.Name] = v
	}
	get := func(name string) (string, bool) {
		v := vars[name]
		val, ok := lookup(name)
		if v.Alias == "" {
			return val, ok && val != ""
		}
		aval, aok := lookup(v.Alias)
		switch {
		case ok && val != "" && aok && aval != "" && val != aval:
			errs = append(errs, fmt.Errorf("%s and its alias %s are both set, to different values: keep one", name, v.Alias))
			return val, true
		case ok && val != "":
			return val, true
		case aok && aval != "":
			return aval, true
		}
		return "", false
	}
	str := func(name string) string { v, _ := get(name); return v }
	show := func(name, val string) string {
		if vars[name].Secret {
			return "(value hidden)"
		}
		return strconv.Quote(val)
	}
	integer := func(name string, def int) int {
		v, ok := get(name)
		if !ok {
			return def
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s = %s is not a positive integer", name, show(name, v)))
			return def
		}
		return n
	}
	boolean := func(name string) bool {
		v, ok := get(name)
		if !ok {
			return false
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s = %s is not true or false", name, show(name, v)))
		}
		return b
	}

	var c Config
	c.Table = str(EnvTable)
	if c.Table == "" {
		errs = append(errs, fmt.Errorf("%s (or table_queue_name) is required: the DynamoDB table of object states", EnvTable))
	}
	c.QueueURL = str(EnvQueueURL)
	if c.QueueURL == "" {
		if v, ok := lookup("table_queue_name"); ok {
			c.QueueName = v // the original used one name for the table and the queue
		}
	} else if u, err := url.Parse(c.QueueURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s = %s is not an http(s) queue URL", EnvQueueURL, show(EnvQueueURL, c.QueueURL)))
	}
	c.DestBucket = str(EnvDestBucket)
	c.DestPrefix = str(EnvDestPrefix)
	c.DestRegion = str(EnvDestRegion)
	c.StorageClass = str(EnvStorageClass)
	if c.StorageClass != "" && !contains(StorageClasses(), c.StorageClass) {
		errs = append(errs, fmt.Errorf("%s = %s is not one of %s", EnvStorageClass, show(EnvStorageClass, c.StorageClass), strings.Join(StorageClasses(), ", ")))
	}
	c.PartsInFlight = integer(EnvPartsInFlight, DefaultPartsInFlight)
	c.MaxConnections = integer(EnvMaxConnections, 2*c.PartsInFlight)
	c.JobType = strings.ToUpper(str(EnvJobType))
	if c.JobType == "" {
		c.JobType = DefaultJobType
	}
	if c.JobType != "PUT" && c.JobType != "GET" {
		errs = append(errs, fmt.Errorf("%s = %s is not PUT or GET", EnvJobType, show(EnvJobType, c.JobType)))
	}
	c.DeleteOnRemove = boolean(EnvDeleteOnRemove)
	c.ProxyURL = str(EnvProxyURL)
	if c.ProxyURL != "" {
		if u, err := url.Parse(c.ProxyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s is not an http(s)://host:port proxy URL", EnvProxyURL))
		}
	}
	c.FarCredentials = credentials.Spec{
		SSMParameter:    str(EnvFarCredentialsSSM),
		Secret:          str(EnvFarCredentialsSecret),
		AccessKeyID:     str(EnvFarAccessKeyID),
		SecretAccessKey: str(EnvFarSecretAccessKey),
		KMSEncrypted:    boolean(EnvFarCredentialsKMS),
		FunctionName:    str("AWS_LAMBDA_FUNCTION_NAME"),
		MaxAge:          DefaultMaxAge,
	}
	if v, ok := get(EnvFarCredentialsMaxAge); ok {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s = %s is not a positive duration like 30m or 24h", EnvFarCredentialsMaxAge, show(EnvFarCredentialsMaxAge, v)))
		} else {
			c.FarCredentials.MaxAge = d
		}
	}
	if err := c.FarCredentials.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%s/%s: %w", EnvFarAccessKeyID, EnvFarSecretAccessKey, err))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("worker configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
