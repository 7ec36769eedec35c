// moto_server (moto 5.2.1, on PATH via python) serves every AWS service it
// emulates from one port, routing by the SigV4 credential scope / X-Amz-Target
// like AWS does. Findings (checked by moto_test.go):
//   - SSM GetParameter with WithDecryption returns SecureString values in
//     clear text; PutParameter with Overwrite replaces them (version bumps).
//   - Secrets Manager CreateSecret/PutSecretValue/GetSecretValue work with
//     SecretString.
//   - KMS CreateKey/Encrypt/Decrypt are real round trips: the ciphertext blob
//     is opaque and Decrypt without a KeyId finds the key from the blob.
//   - STS GetCallerIdentity answers for any static credentials.
//   - moto keeps all state in memory; each StartMoto gets a fresh server.
//   - DynamoDB is also served (with UpdateTimeToLive, which dynalite lacks).

package emulator

import (
	"context"
	"os/exec"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Emulator test credentials: static and fake; the emulators accept any.
const (
	DummyAccessKeyID     = "AKIAEMULATOR00000000"
	DummySecretAccessKey = "emulator-secret-not-a-real-key"
	DummyRegion          = "us-east-1"
)

// AWSService is a running emulator that speaks an AWS API.
type AWSService struct {
	Endpoint string // base URL, e.g. http://127.0.0.1:41234
	Region   string
	Process  *Process
}

// Config returns an aws.Config pointed at the emulator with static dummy
// credentials. Every service client built from it talks to the emulator.
func (s *AWSService) Config() aws.Config {
	return aws.Config{
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(DummyAccessKeyID, DummySecretAccessKey, ""),
		BaseEndpoint: aws.String(s.Endpoint),
	}
}

// StartMoto starts moto_server on a free loopback port. It serves SSM,
// Secrets Manager, KMS, STS (and DynamoDB) for the test and stops in Cleanup.
func StartMoto(t testing.TB) *AWSService {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("emulator: moto_server is not on PATH (pip install 'moto[server]==5.2.1'): %v", err)
	}
	p, addr := startOnFreePort(t, "moto_server", "Running on http://127.0.0.1:", func(port int) (env, argv []string) {
		return nil, []string{bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port)}
	})
	return &AWSService{Endpoint: "http://" + addr, Region: DummyRegion, Process: p}
}

// background is the context emulator helpers use for setup calls.
func background() context.Context { return context.Background() }
