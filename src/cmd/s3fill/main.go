// Command s3fill makes and checks demo and benchmark data on an S3
// endpoint: `fill` creates a bucket with a mixed set of objects (empty,
// tiny, odd keys, large random ones), `verify` checks that two buckets hold
// the same keys with the same bytes (SHA-256). Used by `make demo` and
// `make bench`; credentials come from S3FILL_<SIDE>_ACCESS_KEY_ID/…_SECRET_ACCESS_KEY.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "s3fill:", err)
		os.Exit(1)
	}
}

func usage() error {
	return errors.New(`usage:
  s3fill fill   --endpoint URL --bucket NAME [--large N] [--large-size 120MiB] [--small N]
  s3fill verify --endpoint URL --bucket NAME --dst-endpoint URL --dst-bucket NAME [--prefix P] [--dst-prefix P]
keys: S3FILL_ACCESS_KEY_ID / S3FILL_SECRET_ACCESS_KEY (source) and S3FILL_DST_ACCESS_KEY_ID / S3FILL_DST_SECRET_ACCESS_KEY`)
}

func client(endpoint, idVar, secretVar string) (*s3.Client, error) {
	id, secret := os.Getenv(idVar), os.Getenv(secretVar)
	if id == "" || secret == "" {
		return nil, fmt.Errorf("set %s and %s", idVar, secretVar)
	}
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}), nil
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usage()
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "S3 endpoint URL")
	bucket := fs.String("bucket", "", "bucket")
	prefix := fs.String("prefix", "", "key prefix")
	dstEndpoint := fs.String("dst-endpoint", "", "second endpoint (verify)")
	dstBucket := fs.String("dst-bucket", "", "second bucket (verify)")
	dstPrefix := fs.String("dst-prefix", "", "second prefix (verify)")
	large := fs.Int("large", 3, "number of large objects")
	largeMiB := fs.Int("large-mib", 120, "size of each large object in MiB")
	small := fs.Int("small", 40, "number of small objects")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *endpoint == "" || *bucket == "" {
		return usage()
	}
	c, err := client(*endpoint, "S3FILL_ACCESS_KEY_ID", "S3FILL_SECRET_ACCESS_KEY")
	if err != nil {
		return err
	}
	switch args[0] {
	case "fill":
		return fill(ctx, c, *bucket, *prefix, *large, int64(*largeMiB)<<20, *small)
	case "verify":
		d, err := client(*dstEndpoint, "S3FILL_DST_ACCESS_KEY_ID", "S3FILL_DST_SECRET_ACCESS_KEY")
		if err != nil {
			return err
		}
		return verify(ctx, c, *bucket, *prefix, d, *dstBucket, *dstPrefix)
	}
	return usage()
}

// OddKeys are keys that tools commonly mangle.
var OddKeys = []string{
	"odd/space in name.txt", "odd/plus+sign.txt", "odd/percent%20not-decoded.txt", "odd/%2Fencoded-slash",
	"odd//double//slash", "/leading-slash", "odd/./dot/../dotdot", "odd/ünïcødé-日本語.txt", "odd/folder/",
	longKey,
}

// longKey is 1,024 bytes, S3's limit, in path elements of at most 200 bytes
// (filesystem-backed stores cap each element at 255).
var longKey = "odd/" + strings.Repeat(strings.Repeat("k", 200)+"/", 5) + strings.Repeat("x", 15)

func fill(ctx context.Context, c *s3.Client, bucket, prefix string, large int, largeSize int64, small int) error {
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			return fmt.Errorf("create bucket %s: %w", bucket, err)
		}
	}
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	put := func(key string, body []byte, ctype string) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(prefix + key),
			Body: bytes.NewReader(body), ContentType: aws.String(ctype),
			Metadata: map[string]string{"origin": "s3fill"}})
		if err != nil {
			return fmt.Errorf("put %q: %w", key, err)
		}
		return nil
	}
	random := func(n int64) []byte {
		b := make([]byte, n)
		for i := 0; i+8 <= len(b); i += 8 {
			v := rng.Uint64()
			for j := 0; j < 8; j++ {
				b[i+j] = byte(v >> (8 * j))
			}
		}
		return b
	}
	var total int64
	if err := put("empty.txt", nil, "text/plain"); err != nil {
		return err
	}
	for _, k := range OddKeys {
		body := []byte("key: " + k)
		if strings.HasSuffix(k, "/") {
			body = nil
		}
		if err := put(k, body, "text/plain"); err != nil {
			return err
		}
		total += int64(len(body))
	}
	for i := range small {
		b := random(int64(1 + rng.IntN(256<<10)))
		if err := put(fmt.Sprintf("small/%04d.bin", i), b, "application/octet-stream"); err != nil {
			return err
		}
		total += int64(len(b))
	}
	for i := range large {
		b := random(largeSize + int64(i)*3_000_017)
		if err := put(fmt.Sprintf("large/%02d.bin", i), b, "application/octet-stream"); err != nil {
			return err
		}
		total += int64(len(b))
	}
	fmt.Printf("filled s3://%s/%s: %d objects, %.1f MiB (empty, %d odd keys, %d small, %d large)\n",
		bucket, prefix, 1+len(OddKeys)+small+large, float64(total)/(1<<20), len(OddKeys), small, large)
	return nil
}

func digests(ctx context.Context, c *s3.Client, bucket, prefix string) (map[string]string, int64, error) {
	out := map[string]string{}
	var total int64
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: o.Key})
			if err != nil {
				return nil, 0, fmt.Errorf("get %q: %w", *o.Key, err)
			}
			h := sha256.New()
			n, err := io.Copy(h, g.Body)
			g.Body.Close()
			if err != nil {
				return nil, 0, fmt.Errorf("read %q: %w", *o.Key, err)
			}
			total += n
			out[strings.TrimPrefix(*o.Key, prefix)] = hex.EncodeToString(h.Sum(nil))
		}
	}
	return out, total, nil
}

func verify(ctx context.Context, src *s3.Client, sb, sp string, dst *s3.Client, db, dp string) error {
	a, total, err := digests(ctx, src, sb, sp)
	if err != nil {
		return err
	}
	b, _, err := digests(ctx, dst, db, dp)
	if err != nil {
		return err
	}
	var bad []string
	for k, h := range a {
		if b[k] != h {
			bad = append(bad, fmt.Sprintf("%q: source sha256 %s, destination %q", k, h[:12], b[k]))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			bad = append(bad, fmt.Sprintf("%q: only at the destination", k))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		return fmt.Errorf("verification failed for %d objects:\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	fmt.Printf("verified: %d objects, %.1f MiB, every key and SHA-256 identical at source and destination\n", len(a), float64(total)/(1<<20))
	return nil
}
