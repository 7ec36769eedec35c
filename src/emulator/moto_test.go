package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// One moto_server answers SSM (SecureString decrypted on read), KMS (real
// encrypt/decrypt round trip) and STS.
func TestMotoServices(t *testing.T) {
	t.Parallel()
	m := StartMoto(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := m.Config()

	sc := ssm.NewFromConfig(cfg)
	if _, err := sc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p"), Value: aws.String("v1"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatalf("put parameter: %v", err)
	}
	gp, err := sc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(gp.Parameter.Value) != "v1" {
		t.Fatalf("get parameter: %v %v", gp, err)
	}

	kc := kms.NewFromConfig(cfg)
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	enc, err := kc.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("hello")})
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	if string(enc.CiphertextBlob) == "hello" {
		t.Fatalf("ciphertext equals plaintext")
	}
	dec, err := kc.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "hello" {
		t.Fatalf("decrypt: %q %v", dec.Plaintext, err)
	}

	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) == "" {
		t.Fatalf("sts: %v %v", id, err)
	}
}
