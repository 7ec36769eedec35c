package emulator

// versitygw v1.8.0 (posix backend), as measured by versitygw_test.go and
// the s3side tests against the real binary:
//
// Supported, behaving like S3:
//   - Versioning: only when started with --versioning-dir (WithVersioning);
//     then PutBucketVersioning works, PUT/HEAD return version ids, GET by
//     versionId serves old versions, unknown/deleted versions give
//     NoSuchVersion (malformed ids: 400 InvalidArgument).
//   - Conditional GET: If-Match (quoted or not) -> 412 PreconditionFailed;
//     If-Match together with versionId is honoured. Ranged GET returns
//     Content-Range "bytes a-b/total"; a range past the end -> InvalidRange.
//   - HEAD with partNumber: Content-Length of that part, x-amz-mp-parts-count.
//   - Additional checksums (x-amz-checksum-crc32/crc32c/crc64nvme/sha1/sha256)
//     on PutObject, UploadPart and CompleteMultipartUpload, both FULL_OBJECT
//     and COMPOSITE ("...-N"); wrong values -> 400 BadDigest; HEAD with
//     x-amz-checksum-mode: ENABLED returns them with x-amz-checksum-type.
//   - Content-MD5: a mismatch -> 400 BadDigest, a malformed value -> 400
//     InvalidDigest (PutObject and UploadPart). ETags are the MD5 of the body;
//     multipart ETag = MD5 of the part MD5s + "-N".
//   - CopyObject and UploadPartCopy (with byte range, ?versionId= in the copy
//     source, x-amz-copy-source-if-match -> 412 when it does not hold).
//   - ListMultipartUploads with a prefix (a prefix query, so "a" also lists
//     "ab" and "a/b"); ListParts with sizes and paging; NoSuchUpload after
//     complete/abort. ListObjectsV2 paging with continuation tokens.
//   - Metadata: Content-Type, Cache-Control, Content-Disposition,
//     Content-Encoding, Content-Language, Expires, x-amz-meta-* (names come
//     back lower-case), tagging (x-amz-tagging, GetObjectTagging).
//   - HeadBucket returns x-amz-bucket-region (the --region flag, us-east-1);
//     GetBucketLocation returns an empty constraint.
//   - UNSIGNED-PAYLOAD is accepted over plain http.
//
// Accepted but not implemented: storage classes (HEAD always says
// STANDARD), x-amz-server-side-encryption AES256 and aws:kms (accepted,
// not echoed back; the ETag stays the MD5), ACL bucket-owner-full-control.
//
// Differences from S3 that tests must allow for:
//   - Keys are file paths: "a//b", "/a", "//a", "x/./y", "x/../y" are stored
//     (and listed) as "a/b", "a", "a", "x/y", "y" and GET/HEAD on the original
//     spelling finds the same file. Each "/"-separated segment is limited to
//     255 bytes (a 1,024-byte key needs a "/" at least every 255 bytes, else
//     400 KeyTooLongError). A key ending in "/" is a directory: only a
//     zero-byte body can be put there (else 400 DirectoryObjectContainsData),
//     and "f/g" cannot exist next to an object "f" (409 ObjectParentIsFile).
//   - Without --versioning-dir, PutBucketVersioning fails with
//     VersioningNotConfigured.
//   - An unknown access key gives 404 XAdminUserNotFound (S3: 403
//     InvalidAccessKeyId); on HEAD (no body) that is a bare 404 "NotFound",
//     indistinguishable from a missing key. A wrong secret gives 403
//     SignatureDoesNotMatch (HEAD: bare 403).
//   - ListMultipartUploads paging is broken: the upload-id-marker it returns
//     is rejected on the next call (400 InvalidArgument "Invalid uploadId
//     marker") because the posix backend drops the key-marker's own uploads
//     before looking for the marker. Continue with the key marker alone.
//   - Anonymous requests are denied (403 AccessDenied) unless a bucket policy
//     allows them.
//   - Keep-alive is off unless --keep-alive is given (StartS3 gives it).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3Server is a running versitygw (posix backend) standing for one S3 side.
type S3Server struct {
	Endpoint  string // http://127.0.0.1:PORT
	AccessKey string
	SecretKey string
	Region    string // us-east-1 unless WithRegion
	Root      string // the posix root directory (buckets are its sub-directories)
	Versioned bool   // started with a versioning directory
	Process   *Process
}

// S3Option changes how StartS3 starts the server.
type S3Option func(*s3Settings)

type s3Settings struct {
	region     string
	versioning bool
	keepAlive  bool
	extra      []string
}

// WithVersioning gives the posix backend a versioning directory, so buckets
// can have versioning enabled (PutBucketVersioning) and objects get version ids.
func WithVersioning() S3Option { return func(s *s3Settings) { s.versioning = true } }

// WithRegion makes the server report region r (x-amz-bucket-region) and
// expect it in signatures; the default is us-east-1.
func WithRegion(r string) S3Option { return func(s *s3Settings) { s.region = r } }

// WithoutKeepAlive closes the connection after each request (versitygw's
// own default); StartS3 otherwise enables keep-alive, as real S3 has it.
func WithoutKeepAlive() S3Option { return func(s *s3Settings) { s.keepAlive = false } }

// WithGatewayArgs adds global versitygw flags (before the "posix" command),
// e.g. "--max-requests", "1" to have it answer 503 SlowDown.
func WithGatewayArgs(args ...string) S3Option {
	return func(s *s3Settings) { s.extra = append(s.extra, args...) }
}

// StartS3 starts versitygw with fresh random root credentials on a free
// loopback port and a temporary posix root, and stops it when the test ends.
func StartS3(t testing.TB, opts ...S3Option) *S3Server {
	t.Helper()
	set := s3Settings{keepAlive: true, region: "us-east-1"}
	for _, o := range opts {
		o(&set)
	}
	bin := Tool(t, "versitygw")
	base := t.TempDir()
	root := filepath.Join(base, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatalf("emulator: versitygw root: %v", err)
	}
	srv := &S3Server{
		AccessKey: "AK" + strings.ToUpper(randomHex(t, 9)),
		SecretKey: randomHex(t, 20),
		Region:    set.region,
		Root:      root,
		Versioned: set.versioning,
	}
	port := FreePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	srv.Endpoint = "http://" + addr

	argv := []string{bin,
		"--port", addr,
		"--region", srv.Region,
		"--quiet",
	}
	if set.keepAlive {
		argv = append(argv, "--keep-alive")
	}
	argv = append(argv, set.extra...)
	argv = append(argv, "posix")
	if set.versioning {
		vdir := filepath.Join(base, "versions")
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			t.Fatalf("emulator: versitygw versioning dir: %v", err)
		}
		argv = append(argv, "--versioning-dir", vdir)
	}
	argv = append(argv, root)
	// Keys go through the environment so they never show in `ps`.
	env := []string{"ROOT_ACCESS_KEY_ID=" + srv.AccessKey, "ROOT_SECRET_ACCESS_KEY=" + srv.SecretKey}
	srv.Process = StartProcess(t, "versitygw", addr, env, argv...)
	return srv
}

// Client returns an SDK client for this server with its root credentials,
// path-style addressing and the SDK's default retries.
func (s *S3Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// CreateBucket creates a bucket through the real SDK, failing the test on error.
func (s *S3Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("emulator: create bucket %q at %s: %v", name, s.Endpoint, err)
	}
}

// EnableVersioning turns versioning on for a bucket; the server must have
// been started WithVersioning.
func (s *S3Server) EnableVersioning(t testing.TB, bucket string) {
	t.Helper()
	if !s.Versioned {
		t.Fatalf("emulator: EnableVersioning(%q): start the server with emulator.WithVersioning()", bucket)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := s.Client().PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		t.Fatalf("emulator: enable versioning on %q: %v", bucket, err)
	}
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("emulator: random: %v", err)
	}
	return hex.EncodeToString(b)
}
