package credentials

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// SSMAPI is the part of the SSM client used (*ssm.Client).
type SSMAPI interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SSMParameter reads the keys' JSON from an SSM SecureString parameter.
type SSMParameter struct {
	Client SSMAPI
	Name   string
}

// Describe names the parameter.
func (s SSMParameter) Describe() string { return "SSM parameter " + s.Name }

// Fetch reads and decrypts the parameter.
func (s SSMParameter) Fetch(ctx context.Context) (Keys, error) {
	out, err := s.Client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.Name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return Keys{}, fmt.Errorf("read the parameter (check its name and that the role may ssm:GetParameter and kms:Decrypt it): %w", err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return Keys{}, errors.New("the parameter has no value")
	}
	return parseKeysJSON(*out.Parameter.Value)
}

// SecretsAPI is the part of the Secrets Manager client used.
type SecretsAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Secret reads the keys' JSON from a Secrets Manager secret (name or ARN).
type Secret struct {
	Client SecretsAPI
	ID     string
}

// Describe names the secret.
func (s Secret) Describe() string { return "Secrets Manager secret " + s.ID }

// Fetch reads the secret's current version.
func (s Secret) Fetch(ctx context.Context) (Keys, error) {
	out, err := s.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.ID)})
	if err != nil {
		return Keys{}, fmt.Errorf("read the secret (check its id and that the role may secretsmanager:GetSecretValue): %w", err)
	}
	if out.SecretString == nil {
		return Keys{}, errors.New("the secret has no SecretString (binary secrets are not supported)")
	}
	return parseKeysJSON(*out.SecretString)
}

// KMSAPI is the part of the KMS client used.
type KMSAPI interface {
	Decrypt(context.Context, *kms.DecryptInput, ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// KMSEnv decrypts base64 KMS ciphertexts of the access key id and secret
// access key, as kept in the original system's environment variables
// aws_access_key_id / aws_secret_access_key.
type KMSEnv struct {
	Client              KMSAPI
	AccessKeyCiphertext string // base64
	SecretKeyCiphertext string // base64
	// FunctionName, when set, is tried as the encryption context
	// {"LambdaFunctionName": name} that the Lambda console's encryption
	// helpers add, if decrypting without a context fails.
	FunctionName string
}

// Describe names the source.
func (s KMSEnv) Describe() string { return "KMS-encrypted environment variables" }

// String and friends keep even the ciphertexts out of logs.
func (s KMSEnv) String() string                { return "KMSEnv{" + redacted + "}" }
func (s KMSEnv) GoString() string              { return s.String() }
func (s KMSEnv) Format(f fmt.State, _ rune)    { _, _ = f.Write([]byte(s.String())) }
func (s KMSEnv) LogValue() slog.Value          { return slog.StringValue(s.String()) }
func (s StaticEnv) String() string             { return "StaticEnv{" + s.Keys.String() + "}" }
func (s StaticEnv) GoString() string           { return s.String() }
func (s StaticEnv) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }
func (s StaticEnv) LogValue() slog.Value       { return slog.StringValue(s.String()) }

// MarshalJSON redacts.
func (s KMSEnv) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalJSON redacts.
func (s StaticEnv) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Fetch decrypts both values.
func (s KMSEnv) Fetch(ctx context.Context) (Keys, error) {
	id, err := s.decrypt(ctx, s.AccessKeyCiphertext, "access key id")
	if err != nil {
		return Keys{}, err
	}
	secret, err := s.decrypt(ctx, s.SecretKeyCiphertext, "secret access key")
	if err != nil {
		return Keys{}, err
	}
	return Keys{AccessKeyID: id, SecretAccessKey: secret}, nil
}

func (s KMSEnv) decrypt(ctx context.Context, b64, what string) (string, error) {
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(blob) == 0 {
		return "", fmt.Errorf("the %s is not base64 KMS ciphertext", what)
	}
	out, err := s.Client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob})
	var invalid *kmstypes.InvalidCiphertextException
	if err != nil && errors.As(err, &invalid) && s.FunctionName != "" {
		out, err = s.Client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob,
			EncryptionContext: map[string]string{"LambdaFunctionName": s.FunctionName}})
	}
	if err != nil {
		return "", fmt.Errorf("decrypt the %s with KMS (check that the role may kms:Decrypt with that key): %w", what, err)
	}
	return string(out.Plaintext), nil
}

// StaticEnv holds keys given in plain environment variables.
type StaticEnv struct {
	Keys Keys
}

// Describe names the source.
func (s StaticEnv) Describe() string { return "environment variables" }

// Fetch returns the keys.
func (s StaticEnv) Fetch(context.Context) (Keys, error) { return s.Keys, nil }
