package emulator

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// The two sides of a local migration are two servers with their own keys:
// each accepts its own and rejects the other's.
func TestStartS3TwoSidesHaveSeparateCredentials(t *testing.T) {
	t.Parallel()
	a, b := StartS3(t), StartS3(t)
	if a.AccessKey == b.AccessKey || a.SecretKey == b.SecretKey || a.Endpoint == b.Endpoint {
		t.Fatalf("servers share keys or endpoint: %s %s", a.Endpoint, b.Endpoint)
	}
	a.CreateBucket(t, "side-a")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := a.Client().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("side-a")}); err != nil {
		t.Fatalf("own credentials: %v", err)
	}
	foreign := s3.New(s3.Options{
		Region: a.Region, BaseEndpoint: aws.String(a.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(b.AccessKey, b.SecretKey, ""),
	})
	_, err := foreign.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("side-a")})
	if code := apiCode(err); code != "XAdminUserNotFound" {
		t.Fatalf("other side's key on server a: got %q, want XAdminUserNotFound", code)
	}
}

// Checks the findings at the top of versitygw.go that s3side and the
// engine's tests depend on. A failure here means versitygw changed: update
// the comment and the code that works around it.
func TestVersityGWFindings(t *testing.T) {
	t.Parallel()
	s := StartS3(t, WithVersioning())
	s.CreateBucket(t, "plain")
	s.CreateBucket(t, "versioned")
	s.EnableVersioning(t, "versioned")
	c := s.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	md := func(b []byte) *string { h := md5.Sum(b); return aws.String(base64.StdEncoding.EncodeToString(h[:])) }
	put := func(bucket, key string, body []byte) *s3.PutObjectOutput {
		t.Helper()
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), ContentMD5: md(body)})
		if err != nil {
			t.Fatalf("put %s/%s: %v", bucket, key, err)
		}
		return out
	}

	t.Run("versioning", func(t *testing.T) {
		v1 := put("versioned", "o", []byte("one"))
		put("versioned", "o", []byte("two"))
		if aws.ToString(v1.VersionId) == "" {
			t.Fatal("no version id on a versioned bucket")
		}
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("versioned"), Key: aws.String("o"), VersionId: v1.VersionId})
		if err != nil {
			t.Fatalf("get old version: %v", err)
		}
		body, _ := io.ReadAll(g.Body)
		g.Body.Close()
		if string(body) != "one" {
			t.Fatalf("old version body %q", body)
		}
	})
	t.Run("if-match", func(t *testing.T) {
		put("plain", "m", []byte("hello"))
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("plain"), Key: aws.String("m"), IfMatch: aws.String(`"00000000000000000000000000000000"`), Range: aws.String("bytes=0-1")})
		if code := apiCode(err); code != "PreconditionFailed" {
			t.Fatalf("If-Match with a wrong ETag: %q, want PreconditionFailed", code)
		}
	})
	t.Run("content-md5", func(t *testing.T) {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("bad"), Body: bytes.NewReader([]byte("body")), ContentMD5: md([]byte("other"))})
		if code := apiCode(err); code != "BadDigest" {
			t.Fatalf("wrong Content-MD5: %q, want BadDigest", code)
		}
	})
	t.Run("keys are paths", func(t *testing.T) {
		put("plain", "k//double", []byte("x"))
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("plain"), Prefix: aws.String("k/")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "k/double" {
			t.Fatalf("listing of k//double: %+v", out.Contents)
		}
	})
	t.Run("upload-id-marker", func(t *testing.T) {
		for range 2 {
			if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("plain"), Key: aws.String("u")}); err != nil {
				t.Fatal(err)
			}
		}
		first, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("plain"), MaxUploads: aws.Int32(1)})
		if err != nil || !aws.ToBool(first.IsTruncated) {
			t.Fatalf("first page: truncated=%v err=%v", first != nil && aws.ToBool(first.IsTruncated), err)
		}
		_, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("plain"), MaxUploads: aws.Int32(1),
			KeyMarker: first.NextKeyMarker, UploadIdMarker: first.NextUploadIdMarker})
		if code := apiCode(err); code != "InvalidArgument" {
			t.Fatalf("second page with the returned markers: %q; versitygw fixed upload-id-marker paging: update versitygw.go's comment and s3side's listUploads", code)
		}
	})
	t.Run("checksum mode", func(t *testing.T) {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("ck"), Body: bytes.NewReader([]byte("hello world")),
			ChecksumSHA256: aws.String("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")})
		if err != nil {
			t.Fatal(err)
		}
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("plain"), Key: aws.String("ck"), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil || aws.ToString(h.ChecksumSHA256) != "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=" {
			t.Fatalf("HEAD checksum: %v %v", h, err)
		}
	})
}
