package credentials

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Spec says where the far side's keys are kept. The first set of, in this
// order, SSMParameter, Secret, KMS-encrypted keys, plain keys is used; the
// zero Spec means none (the far side is reached with the worker's own role).
type Spec struct {
	SSMParameter string // name of an SSM SecureString parameter holding the keys' JSON
	Secret       string // Secrets Manager secret id/ARN holding the keys' JSON
	// AccessKeyID and SecretAccessKey are the keys, or with KMSEncrypted
	// their base64 KMS ciphertexts.
	AccessKeyID     string
	SecretAccessKey string
	KMSEncrypted    bool
	FunctionName    string        // Lambda function name, for the console's KMS encryption context
	MaxAge          time.Duration // re-read period (default 1 h)
}

// Kind names the source Spec selects: "ssm", "secretsmanager", "kms-env",
// "env" or "none".
func (s Spec) Kind() string {
	switch {
	case s.SSMParameter != "":
		return "ssm"
	case s.Secret != "":
		return "secretsmanager"
	case s.AccessKeyID != "" || s.SecretAccessKey != "":
		if s.KMSEncrypted {
			return "kms-env"
		}
		return "env"
	}
	return "none"
}

// Validate reports an incomplete Spec.
func (s Spec) Validate() error {
	k := s.Kind()
	if (k == "env" || k == "kms-env") && (s.AccessKeyID == "" || s.SecretAccessKey == "") {
		return errors.New("far-side keys: both the access key id and the secret access key must be set")
	}
	if s.KMSEncrypted && k != "kms-env" {
		return errors.New("far-side keys: KMS encryption is set but no encrypted keys are given")
	}
	return nil
}

// Provider builds the caching provider for the Spec, using cfg (the
// worker's own configuration) for SSM, Secrets Manager or KMS. It returns
// nil, nil for Kind "none".
func (s Spec) Provider(cfg aws.Config) (*Provider, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var src Source
	switch s.Kind() {
	case "ssm":
		src = SSMParameter{Client: ssm.NewFromConfig(cfg), Name: s.SSMParameter}
	case "secretsmanager":
		src = Secret{Client: secretsmanager.NewFromConfig(cfg), ID: s.Secret}
	case "kms-env":
		src = KMSEnv{Client: kms.NewFromConfig(cfg), AccessKeyCiphertext: s.AccessKeyID, SecretKeyCiphertext: s.SecretAccessKey, FunctionName: s.FunctionName}
	case "env":
		src = StaticEnv{Keys: Keys{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey}}
	default:
		return nil, nil
	}
	p := NewProvider(src)
	p.MaxAge = s.MaxAge
	return p, nil
}

// String describes the Spec without secrets.
func (s Spec) String() string {
	switch s.Kind() {
	case "ssm":
		return "far-side keys from SSM parameter " + s.SSMParameter
	case "secretsmanager":
		return "far-side keys from Secrets Manager secret " + s.Secret
	case "kms-env":
		return "far-side keys from KMS-encrypted environment variables"
	case "env":
		return fmt.Sprintf("far-side keys from environment variables (access key id %s)", maskID(s.AccessKeyID))
	}
	return "no far-side keys (own role)"
}

// Format redacts under every verb.
func (s Spec) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// GoString redacts %#v.
func (s Spec) GoString() string { return s.String() }

// LogValue redacts in slog.
func (s Spec) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON redacts.
func (s Spec) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
