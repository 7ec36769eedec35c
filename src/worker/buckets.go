package worker

import (
	"context"
	"fmt"
	"sync"

	"github.com/s3migrate/s3migrate/src/credentials"
	"github.com/s3migrate/s3migrate/src/s3side"
	"github.com/s3migrate/s3migrate/src/transfer"
)

// Side is one side of a migration as the worker sees it: an s3side
// configuration and, for the far side, the source of its keys. Buckets are
// opened once per name; when the keys change (rotation, or re-read after a
// rejection) the side's client is rebuilt, because the SDK's signer caches
// the signing key per access key id.
type Side struct {
	cfg  s3side.Config
	keys *credentials.Provider // nil: cfg's own credentials (the worker's role)

	mu      sync.Mutex
	client  *s3side.Client
	keyID   string
	gen     int
	buckets map[string]*s3side.Bucket
}

// NewSide returns a side. keys, when not nil, supplies the side's access
// keys (cfg must then name no other credentials).
func NewSide(cfg s3side.Config, keys *credentials.Provider) *Side {
	return &Side{cfg: cfg, keys: keys, buckets: map[string]*s3side.Bucket{}}
}

// Bucket returns the named bucket of this side.
func (s *Side) Bucket(ctx context.Context, name string) (*s3side.Bucket, error) {
	cfg := s.cfg
	var keyID string
	gen := 0
	if s.keys != nil {
		c, err := s.keys.Retrieve(ctx)
		if err != nil {
			return nil, err
		}
		cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken = c.AccessKeyID, c.SecretAccessKey, c.SessionToken
		keyID, gen = c.AccessKeyID, s.keys.Generation()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil || keyID != s.keyID || gen != s.gen {
		cl, err := s3side.New(ctx, cfg)
		if err != nil {
			return nil, err
		}
		s.client, s.keyID, s.gen = cl, keyID, gen
		clear(s.buckets)
	}
	if b, ok := s.buckets[name]; ok {
		return b, nil
	}
	b, err := s.client.Bucket(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("bucket %q: %w", name, err)
	}
	s.buckets[name] = b
	return b, nil
}

// InvalidateKeys makes the next Bucket read the keys again when err says
// they were rejected.
func (s *Side) InvalidateKeys(err error) bool {
	if s.keys == nil || !credentials.IsRejected(err) {
		return false
	}
	s.keys.Invalidate()
	return true
}

// S3Buckets opens source buckets on Src and destination buckets on Dst.
type S3Buckets struct {
	Src, Dst *Side
}

var _ Buckets = S3Buckets{}

// Source implements Buckets.
func (b S3Buckets) Source(ctx context.Context, bucket string) (transfer.Source, error) {
	return b.Src.Bucket(ctx, bucket)
}

// Destination implements Buckets.
func (b S3Buckets) Destination(ctx context.Context, bucket string) (transfer.Destination, error) {
	d, err := b.Dst.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return d.Destination(), nil
}

// InvalidateKeys implements KeyInvalidator.
func (b S3Buckets) InvalidateKeys(err error) bool {
	src := b.Src.InvalidateKeys(err)
	dst := b.Dst.InvalidateKeys(err)
	return src || dst
}
