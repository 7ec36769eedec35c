package credentials_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/s3migrate/s3migrate/src/credentials"
	"github.com/s3migrate/s3migrate/src/emulator"
)

// One moto_server and one versitygw serve all subtests: starting them
// dominates the time on a loaded machine. Each subtest uses its own names.
func TestSources(t *testing.T) {
	m := emulator.StartMoto(t)
	far := emulator.StartS3(t)
	t.Run("cached SSM and Secrets Manager keys are re-read", func(t *testing.T) { testCachedSourcesReread(t, m) })
	t.Run("KMS-encrypted environment variables", func(t *testing.T) { testKMSEncryptedEnv(t, m) })
	t.Run("plain environment variables and errors", func(t *testing.T) { testPlainEnvAndErrors(t, m) })
	t.Run("rejected key is re-read", func(t *testing.T) { testRejectedKeyIsReread(t, m, far) })
	t.Run("same key id with a new secret needs a new client", func(t *testing.T) { testSameKeyIDNewSecretNeedsNewClient(t, m, far) })
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func keysJSON(id, secret string) string {
	b, _ := json.Marshal(map[string]string{"access_key_id": id, "secret_access_key": secret})
	return string(b)
}

func putParam(t *testing.T, c *ssm.Client, name, value string) {
	t.Helper()
	_, err := c.PutParameter(ctx(t), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
}

func expect(t *testing.T, p *credentials.Provider, id, secret string) {
	t.Helper()
	got, err := p.Retrieve(ctx(t))
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if got.AccessKeyID != id || got.SecretAccessKey != secret {
		t.Fatalf("Retrieve gave key %s, want %s", got.AccessKeyID, id)
	}
}

// The provider caches per container, re-reads after Invalidate (rate
// limited) and after MaxAge, from SSM and from Secrets Manager.
func testCachedSourcesReread(t *testing.T, m *emulator.AWSService) {
	cfg := m.Config()
	sc := ssm.NewFromConfig(cfg)
	smc := secretsmanager.NewFromConfig(cfg)
	putParam(t, sc, "/s3migrate/far", keysJSON("AKIAFIRST0000000", "first-secret"))
	if _, err := smc.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("far-keys"), SecretString: aws.String(keysJSON("AKIAFIRST0000000", "first-secret"))}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		spec   credentials.Spec
		rotate func(id, secret string)
	}{
		{"ssm", credentials.Spec{SSMParameter: "/s3migrate/far"}, func(id, secret string) { putParam(t, sc, "/s3migrate/far", keysJSON(id, secret)) }},
		{"secretsmanager", credentials.Spec{Secret: "far-keys"}, func(id, secret string) {
			if _, err := smc.PutSecretValue(ctx(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String("far-keys"), SecretString: aws.String(keysJSON(id, secret))}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.spec.Provider(cfg)
			if err != nil {
				t.Fatal(err)
			}
			clk := &clock{t: time.Unix(1700000000, 0)}
			p.Now, p.MaxAge, p.MinRefresh = clk.Now, time.Hour, 10*time.Second
			tc.rotate("AKIAFIRST0000000", "first-secret")
			expect(t, p, "AKIAFIRST0000000", "first-secret")
			tc.rotate("AKIASECOND000000", "second-secret")
			expect(t, p, "AKIAFIRST0000000", "first-secret") // cached
			if p.Reads() != 1 {
				t.Fatalf("reads = %d, want 1 (cached)", p.Reads())
			}
			p.Invalidate()
			expect(t, p, "AKIAFIRST0000000", "first-secret") // within MinRefresh of the last read
			clk.Advance(11 * time.Second)
			expect(t, p, "AKIASECOND000000", "second-secret")
			if p.Reads() != 2 {
				t.Fatalf("reads = %d, want 2", p.Reads())
			}
			tc.rotate("AKIATHIRD0000000", "third-secret")
			clk.Advance(time.Hour)
			expect(t, p, "AKIATHIRD0000000", "third-secret") // max age
		})
	}
}

func testKMSEncryptedEnv(t *testing.T, m *emulator.AWSService) {
	cfg := m.Config()
	kc := kms.NewFromConfig(cfg)
	key, err := kc.CreateKey(ctx(t), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	enc := func(plain string, ec map[string]string) string {
		out, err := kc.Encrypt(ctx(t), &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte(plain), EncryptionContext: ec})
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(out.CiphertextBlob)
	}
	p, err := credentials.Spec{KMSEncrypted: true, AccessKeyID: enc("AKIAKMS000000000", nil), SecretAccessKey: enc("kms-secret", nil)}.Provider(cfg)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, p, "AKIAKMS000000000", "kms-secret")

	// Encrypted by the Lambda console's helpers: with the function name as context.
	ec := map[string]string{"LambdaFunctionName": "s3migrate-worker"}
	p, err = credentials.Spec{KMSEncrypted: true, AccessKeyID: enc("AKIAKMSCTX000000", ec), SecretAccessKey: enc("ctx-secret", ec), FunctionName: "s3migrate-worker"}.Provider(cfg)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, p, "AKIAKMSCTX000000", "ctx-secret")

	p, _ = credentials.Spec{KMSEncrypted: true, AccessKeyID: "not base64!", SecretAccessKey: "x"}.Provider(cfg)
	if _, err := p.Retrieve(ctx(t)); err == nil || strings.Contains(err.Error(), "not base64!") {
		t.Fatalf("bad ciphertext: %v", err)
	}
}

func testPlainEnvAndErrors(t *testing.T, m *emulator.AWSService) {
	p, err := credentials.Spec{AccessKeyID: "AKIAPLAIN0000000", SecretAccessKey: "plain-secret"}.Provider(aws.Config{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, p, "AKIAPLAIN0000000", "plain-secret")
	if p, err := (credentials.Spec{}).Provider(aws.Config{}); p != nil || err != nil {
		t.Fatalf("empty spec: %v %v, want no provider", p, err)
	}
	if _, err := (credentials.Spec{AccessKeyID: "x"}).Provider(aws.Config{}); err == nil {
		t.Fatalf("half a key pair accepted")
	}

	sc := ssm.NewFromConfig(m.Config())
	// A value that is not the expected JSON: the error must not echo it.
	putParam(t, sc, "/bad", "AKIALEAKED000000:leaked-secret-value")
	p, _ = credentials.Spec{SSMParameter: "/bad"}.Provider(m.Config())
	_, err = p.Retrieve(ctx(t))
	if err == nil || strings.Contains(err.Error(), "leaked-secret-value") || !strings.Contains(err.Error(), "/bad") {
		t.Fatalf("malformed parameter: %v", err)
	}
	p, _ = credentials.Spec{SSMParameter: "/missing"}.Provider(m.Config())
	if _, err := p.Retrieve(ctx(t)); err == nil || !strings.Contains(err.Error(), "/missing") {
		t.Fatalf("missing parameter: %v", err)
	}
}

// A rotated key: the far side rejects the cached one, the worker sees
// IsRejected, invalidates, and the next request uses the new key.
func testRejectedKeyIsReread(t *testing.T, m *emulator.AWSService, far *emulator.S3Server) {
	sc := ssm.NewFromConfig(m.Config())
	putParam(t, sc, "/far-"+t.Name(), keysJSON("AKIAOLDKEY000000", "old-secret"))
	p, err := credentials.Spec{SSMParameter: "/far-" + t.Name()}.Provider(m.Config())
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()} // credentials carry an expiry the SDK checks against the real clock
	p.Now = clk.Now
	client := s3.New(s3.Options{Region: far.Region, BaseEndpoint: aws.String(far.Endpoint), UsePathStyle: true, Credentials: p})
	_, err = client.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	if err == nil || !credentials.IsRejected(err) {
		t.Fatalf("old key: %v, want a rejection", err)
	}
	putParam(t, sc, "/far-"+t.Name(), keysJSON(far.AccessKey, far.SecretKey))
	p.Invalidate()
	clk.Advance(time.Minute)
	if _, err := client.ListBuckets(ctx(t), &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("after rotation and Invalidate (reads %d): %v", p.Reads(), err)
	}
	if g := p.Generation(); g != 2 {
		t.Fatalf("generation %d after one rotation, want 2", g)
	}
	if credentials.IsRejected(errors.New("connection reset")) {
		t.Fatalf("a network error counted as a rejected key")
	}
}

// Only the secret changes (an S3-compatible store that lets a key's secret
// be reset): the SDK signer keeps the old derived key for the access key id,
// so the client must be rebuilt; Generation tells when.
func testSameKeyIDNewSecretNeedsNewClient(t *testing.T, m *emulator.AWSService, far *emulator.S3Server) {
	sc := ssm.NewFromConfig(m.Config())
	putParam(t, sc, "/far-"+t.Name(), keysJSON(far.AccessKey, "wrong-secret"))
	p, _ := credentials.Spec{SSMParameter: "/far-" + t.Name()}.Provider(m.Config())
	clk := &clock{t: time.Now()}
	p.Now = clk.Now
	newClient := func() *s3.Client {
		return s3.New(s3.Options{Region: far.Region, BaseEndpoint: aws.String(far.Endpoint), UsePathStyle: true, Credentials: p})
	}
	client := newClient()
	if _, err := client.ListBuckets(ctx(t), &s3.ListBucketsInput{}); !credentials.IsRejected(err) {
		t.Fatalf("wrong secret: %v, want a rejection", err)
	}
	gen := p.Generation()
	putParam(t, sc, "/far-"+t.Name(), keysJSON(far.AccessKey, far.SecretKey))
	p.Invalidate()
	clk.Advance(time.Minute)
	if _, err := p.Retrieve(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if p.Generation() == gen {
		t.Fatalf("generation did not change with the secret")
	}
	if _, err := newClient().ListBuckets(ctx(t), &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("rebuilt client: %v", err)
	}
	// The old client still signs with the old secret: the SDK quirk this
	// test documents. If this starts passing, the rebuild is unnecessary.
	if _, err := client.ListBuckets(ctx(t), &s3.ListBucketsInput{}); err == nil {
		t.Logf("note: the SDK signer now notices a changed secret; rebuilding clients on Generation change is no longer needed")
	}
}

// No secret shows in any formatting of the types that hold one.
func TestSecretsNeverFormatted(t *testing.T) {
	const secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
	const keyID = "AKIAIOSFODNN7EXAMPLE"
	p, err := credentials.Spec{AccessKeyID: keyID, SecretAccessKey: secret}.Provider(aws.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	values := map[string]any{
		"keys":      credentials.Keys{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: secret},
		"spec":      credentials.Spec{AccessKeyID: keyID, SecretAccessKey: secret},
		"kms spec":  credentials.Spec{AccessKeyID: secret, SecretAccessKey: secret, KMSEncrypted: true},
		"provider":  p,
		"staticenv": credentials.StaticEnv{Keys: credentials.Keys{AccessKeyID: keyID, SecretAccessKey: secret}},
		"kmsenv":    credentials.KMSEnv{AccessKeyCiphertext: secret, SecretKeyCiphertext: secret},
		"nested": struct {
			Spec credentials.Spec
			Keys *credentials.Keys
		}{credentials.Spec{AccessKeyID: keyID, SecretAccessKey: secret}, &credentials.Keys{SecretAccessKey: secret}},
	}
	for name, v := range values {
		var out []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out = append(out, fmt.Sprintf(verb, v))
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", v)
		out = append(out, buf.String())
		if b, err := json.Marshal(v); err == nil {
			out = append(out, string(b))
		}
		for _, o := range out {
			if strings.Contains(o, secret) || strings.Contains(o, keyID) || strings.Contains(strings.ToLower(o), strings.ToLower(fmt.Sprintf("%x", secret))) {
				t.Errorf("%s: secret or full key id in %q", name, o)
			}
		}
	}
}
