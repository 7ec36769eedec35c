// Package credentials provides the static keys of the far side (the
// account or partition the worker's own role cannot reach) as an
// aws.CredentialsProvider. The keys come from one Source: an SSM
// SecureString parameter or a Secrets Manager secret holding
//
//	{"access_key_id": "...", "secret_access_key": "...", "session_token": "..."}
//
// (session_token optional), KMS-encrypted environment variables, or plain
// environment variables. The Provider caches them per container and reads
// them again after MaxAge or when the worker reports that they were
// rejected (Invalidate), so a rotated key is picked up without a redeploy.
//
// Secrets never appear in logs or errors: every type holding one formats
// itself redacted (fmt verbs, slog, JSON).
package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

const redacted = "[REDACTED]"

// Keys are static AWS credentials.
type Keys struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String shows the access key id's last 4 characters only.
func (k Keys) String() string {
	return fmt.Sprintf("Keys{AccessKeyID: %s, SecretAccessKey: %s}", maskID(k.AccessKeyID), redacted)
}

// Format redacts under every verb (%v, %+v, %#v, %s, %q, …).
func (k Keys) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// GoString redacts %#v.
func (k Keys) GoString() string { return k.String() }

// LogValue redacts in slog.
func (k Keys) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", maskID(k.AccessKeyID)), slog.String("secret_access_key", redacted))
}

// MarshalJSON redacts: keys are read from JSON, never written.
func (k Keys) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"access_key_id": maskID(k.AccessKeyID), "secret_access_key": redacted})
}

func maskID(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return "****" + id[len(id)-4:]
}

func (k Keys) valid() error {
	if k.AccessKeyID == "" || k.SecretAccessKey == "" {
		return errors.New("access key id or secret access key is empty")
	}
	return nil
}

// keysJSON is the stored form in SSM and Secrets Manager.
type keysJSON struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token"`
}

// parseKeysJSON reads the JSON form. Its errors never quote the value.
func parseKeysJSON(value string) (Keys, error) {
	var j keysJSON
	if err := json.Unmarshal([]byte(value), &j); err != nil {
		return Keys{}, errors.New(`the value is not JSON {"access_key_id": "...", "secret_access_key": "..."}`)
	}
	k := Keys(j)
	if err := k.valid(); err != nil {
		return Keys{}, fmt.Errorf(`the JSON lacks access_key_id or secret_access_key: %w`, err)
	}
	return k, nil
}

// Source fetches the keys from where they are kept.
type Source interface {
	Fetch(ctx context.Context) (Keys, error)
	// Describe names the source without any secret, for logs and errors.
	Describe() string
}

// Provider is an aws.CredentialsProvider over a Source, caching the keys.
// Give it to the far side's clients directly (not wrapped in
// aws.NewCredentialsCache, whose copy Invalidate would not clear).
type Provider struct {
	src Source
	// MaxAge is how long fetched keys are used before reading them again
	// (default 1 h).
	MaxAge time.Duration
	// MinRefresh is the shortest time between two reads forced by
	// Invalidate, so a wrong key does not hammer SSM (default 10 s).
	MinRefresh time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu         sync.Mutex
	keys       Keys
	fetched    time.Time
	stale      bool
	reads      int
	generation int
}

var _ aws.CredentialsProvider = (*Provider)(nil)

// NewProvider returns a caching provider over src.
func NewProvider(src Source) *Provider { return &Provider{src: src} }

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Provider) maxAge() time.Duration {
	if p.MaxAge > 0 {
		return p.MaxAge
	}
	return time.Hour
}

// Retrieve returns the cached keys, reading them from the source first
// when none are cached, they are older than MaxAge, or Invalidate was
// called (at most once per MinRefresh).
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	minRefresh := p.MinRefresh
	if minRefresh <= 0 {
		minRefresh = 10 * time.Second
	}
	need := p.fetched.IsZero() || now.Sub(p.fetched) >= p.maxAge() || (p.stale && now.Sub(p.fetched) >= minRefresh)
	if need {
		k, err := p.src.Fetch(ctx)
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("far-side credentials from %s: %w", p.src.Describe(), err)
		}
		if err := k.valid(); err != nil {
			return aws.Credentials{}, fmt.Errorf("far-side credentials from %s: %w", p.src.Describe(), err)
		}
		if k != p.keys {
			p.generation++
		}
		p.keys, p.fetched, p.stale = k, now, false
		p.reads++
	}
	return aws.Credentials{
		AccessKeyID:     p.keys.AccessKeyID,
		SecretAccessKey: p.keys.SecretAccessKey,
		SessionToken:    p.keys.SessionToken,
		Source:          "s3migrate " + p.src.Describe(),
		CanExpire:       true,
		Expires:         p.fetched.Add(p.maxAge()),
	}, nil
}

// Invalidate marks the cached keys as rejected: the next Retrieve reads
// them again. Call it when the far side answers IsRejected.
func (p *Provider) Invalidate() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stale = true
}

// Reads is how many times the source was read (for tests and logs).
func (p *Provider) Reads() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reads
}

// Generation counts the distinct key pairs fetched so far (1 after the
// first Retrieve). When it changes but the access key id stays the same,
// rebuild the far side's clients: aws-sdk-go-v2's SigV4 signer caches the
// key derived from the secret per access key id for the day, so a client
// keeps signing with a replaced secret. (AWS IAM rotation makes a new key
// id, which the signer notices.)
func (p *Provider) Generation() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.generation
}

// String describes the provider without its keys.
func (p *Provider) String() string {
	return fmt.Sprintf("credentials.Provider{source: %s, max age: %s}", p.src.Describe(), p.maxAge())
}

// Format redacts under every verb.
func (p *Provider) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(p.String())) }

// GoString redacts %#v.
func (p *Provider) GoString() string { return p.String() }

// LogValue redacts in slog.
func (p *Provider) LogValue() slog.Value { return slog.StringValue(p.String()) }

// IsRejected reports whether err says the far side refused the keys
// themselves (invalid, expired or wrongly signed), so they should be read
// again. AccessDenied is included: a rotated key's old half often yields it.
func IsRejected(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "InvalidClientTokenId", "UnrecognizedClientException",
		"XAdminUserNotFound": // versitygw's unknown access key id
		return true
	}
	return false
}
