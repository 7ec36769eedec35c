package copytest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3migrate/s3migrate/src/emulator"
)

const (
	srcBucket = "src-bucket"
	dstBucket = "dst-bucket"
	mib       = int64(1) << 20
)

// side is one S3 endpoint of a migration with its own credentials.
type side struct {
	endpoint  string // what the tool is told
	accessKey string
	secretKey string
	bucket    string
	c         *s3.Client // direct client (never through the meter)
}

// world is a source and a destination, the destination behind a meter.
type world struct {
	src, dst side
	meter    *meter // in front of the destination
	srcMeter *meter // in front of the source (records the GETs)
	state    string // state file of the runs
}

type worldOptions struct {
	srcVersioned bool
	// corrupt puts one CorruptingProxy per entry between the meter and the
	// destination; the one for n flips a byte of the nth request body it
	// forwards (so {1, 2, 3} corrupts the first three bodies).
	corrupt []int
}

// newWorld starts two versitygw servers with different keys, a bucket on
// each, and the meter in front of the destination.
func newWorld(t *testing.T, o worldOptions) (*world, []*emulator.CorruptingProxy) {
	t.Helper()
	var sopts []emulator.S3Option
	if o.srcVersioned {
		sopts = append(sopts, emulator.WithVersioning())
	}
	s, d := emulator.StartS3(t, sopts...), emulator.StartS3(t)
	s.CreateBucket(t, srcBucket)
	d.CreateBucket(t, dstBucket)
	if o.srcVersioned {
		s.EnableVersioning(t, srcBucket)
	}
	upstream := strings.TrimPrefix(d.Endpoint, "http://")
	var cps []*emulator.CorruptingProxy
	for _, n := range o.corrupt {
		cp := emulator.StartCorruptingProxy(t, upstream, n)
		cps = append(cps, cp)
		upstream = cp.Addr
	}
	m := startMeter(t, upstream)
	sm := startMeter(t, strings.TrimPrefix(s.Endpoint, "http://"))
	w := &world{
		srcMeter: sm,
		src:      side{endpoint: "http://" + sm.addr, accessKey: s.AccessKey, secretKey: s.SecretKey, bucket: srcBucket, c: s.Client()},
		dst:      side{endpoint: "http://" + m.addr, accessKey: d.AccessKey, secretKey: d.SecretKey, bucket: dstBucket, c: d.Client()},
		meter:    m,
		state:    filepath.Join(t.TempDir(), "state.db"),
	}
	return w, cps
}

// newMotoWorld is a source and a destination on two moto servers (moto keeps
// keys byte for byte, including "//", "./" and "../" segments, which
// versitygw's file-system backend normalises).
func newMotoWorld(t *testing.T) *world {
	t.Helper()
	mk := func(bucket string) side {
		m := emulator.StartMoto(t)
		sd := side{endpoint: m.Endpoint, accessKey: emulator.DummyAccessKeyID, secretKey: emulator.DummySecretAccessKey, bucket: bucket,
			c: s3.New(s3.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), UsePathStyle: true,
				Credentials: credentials.NewStaticCredentialsProvider(emulator.DummyAccessKeyID, emulator.DummySecretAccessKey, "")})}
		if _, err := sd.c.CreateBucket(testCtx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("moto: create bucket %s: %v", bucket, err)
		}
		return sd
	}
	return &world{src: mk(srcBucket), dst: mk(dstBucket), state: filepath.Join(t.TempDir(), "state.db")}
}

// env is the environment of a run: each side's keys in its own variables.
func (w *world) env() []string {
	return []string{
		"S3MIGRATE_SRC_ACCESS_KEY_ID=" + w.src.accessKey, "S3MIGRATE_SRC_SECRET_ACCESS_KEY=" + w.src.secretKey,
		"S3MIGRATE_DST_ACCESS_KEY_ID=" + w.dst.accessKey, "S3MIGRATE_DST_SECRET_ACCESS_KEY=" + w.dst.secretKey,
	}
}

// copyArgs is `s3migrate copy` for src and dst URLs with the endpoint flags
// and the world's state file, then extra flags.
func (w *world) copyArgs(srcURL, dstURL string, extra ...string) []string {
	args := []string{"copy",
		"--src-endpoint", w.src.endpoint, "--src-path-style", "--src-region", "us-east-1",
		"--dst-endpoint", w.dst.endpoint, "--dst-path-style", "--dst-region", "us-east-1",
		"--state", w.state, "--progress", "json",
	}
	args = append(args, extra...)
	return append(args, srcURL, dstURL)
}

// start starts a copy of s3://src-bucket/<srcPrefix> to s3://dst-bucket/<dstPrefix>.
func (w *world) start(t *testing.T, srcPrefix, dstPrefix string, extra ...string) *proc {
	t.Helper()
	return startCLI(t, w.env(), w.copyArgs("s3://"+srcBucket+"/"+srcPrefix, "s3://"+dstBucket+"/"+dstPrefix, extra...)...)
}

// copy runs a copy to its end.
func (w *world) copy(t *testing.T, srcPrefix, dstPrefix string, extra ...string) result {
	t.Helper()
	return w.start(t, srcPrefix, dstPrefix, extra...).wait(t)
}

// status runs `s3migrate status` on the world's state file.
func (w *world) status(t *testing.T, extra ...string) result {
	t.Helper()
	return startCLI(t, nil, append([]string{"status", "--state", w.state}, extra...)...).wait(t)
}

// randomBytes returns n bytes from a seeded generator (reproducible).
func randomBytes(seed uint64, n int64) []byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// testSeed returns COPYTEST_SEED or a fresh seed, logged for a re-run.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("COPYTEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("COPYTEST_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (set COPYTEST_SEED=%d to repeat)", seed, seed)
	return seed
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// put writes key with body; edit may set metadata.
func (s side) put(t *testing.T, key string, body []byte, edit ...func(*s3.PutObjectInput)) *s3.PutObjectOutput {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))}
	for _, e := range edit {
		e(in)
	}
	out, err := s.c.PutObject(testCtx(t), in)
	if err != nil {
		t.Fatalf("put %q into %s: %v", key, s.bucket, err)
	}
	return out
}

// get reads the whole object.
func (s side) get(t *testing.T, key string) []byte {
	t.Helper()
	out, err := s.c.GetObject(testCtx(t), &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %q from %s: %v", key, s.bucket, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %q from %s: %v", key, s.bucket, err)
	}
	return b
}

// head returns the object's HEAD, or nil when it does not exist.
func (s side) head(t *testing.T, key string) *s3.HeadObjectOutput {
	t.Helper()
	out, err := s.c.HeadObject(testCtx(t), &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey") {
			return nil
		}
		t.Fatalf("head %q in %s: %v", key, s.bucket, err)
	}
	return out
}

// keys lists every key under prefix, sorted.
func (s side) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(testCtx(t))
		if err != nil {
			t.Fatalf("list %s/%s: %v", s.bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	return keys
}

// uploads lists the multipart uploads in progress whose key starts with prefix.
func (s side) uploads(t *testing.T, prefix string) []types.MultipartUpload {
	t.Helper()
	out, err := s.c.ListMultipartUploads(testCtx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatalf("list multipart uploads of %s/%s: %v", s.bucket, prefix, err)
	}
	return out.Uploads
}

// tags returns the object's tags.
func (s side) tags(t *testing.T, key string) map[string]string {
	t.Helper()
	out, err := s.c.GetObjectTagging(testCtx(t), &s3.GetObjectTaggingInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("tags of %q in %s: %v", key, s.bucket, err)
	}
	m := map[string]string{}
	for _, tg := range out.TagSet {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// partBytes sums the sizes of the upload's parts that have their planned
// size for an object of size bytes cut into partSize parts (what a resume
// keeps).
func (s side) partBytes(t *testing.T, key, uploadID string, size, partSize int64) int64 {
	t.Helper()
	var n int64
	p := s3.NewListPartsPaginator(s.c, &s3.ListPartsInput{Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	for p.HasMorePages() {
		page, err := p.NextPage(testCtx(t))
		if err != nil {
			t.Fatalf("list parts of %q upload %s: %v", key, uploadID, err)
		}
		for _, part := range page.Parts {
			off := int64(aws.ToInt32(part.PartNumber)-1) * partSize
			if sz := aws.ToInt64(part.Size); off < size && sz == min(partSize, size-off) {
				n += sz
			}
		}
	}
	return n
}

// logRequestsOnFailure logs the requests both sides received when the test
// failed: the order of GETs, PUTs, completes and aborts explains most failures.
func (w *world) logRequestsOnFailure(t *testing.T) {
	if !t.Failed() {
		return
	}
	for name, m := range map[string]*meter{"source": w.srcMeter, "destination": w.meter} {
		if m == nil {
			continue
		}
		for i, q := range m.Requests() {
			t.Logf("%s request %d: %s %s body=%d range=%s if-match=%s", name, i, q.Method, q.Target, q.Body, q.Header.Get("Range"), q.Header.Get("If-Match"))
		}
	}
}

func withContentType(ct string) func(*s3.PutObjectInput) {
	return func(in *s3.PutObjectInput) { in.ContentType = aws.String(ct) }
}

// deleteAll removes every object under prefix.
func (s side) deleteAll(t *testing.T, prefix string) {
	t.Helper()
	for _, k := range s.keys(t, prefix) {
		if _, err := s.c.DeleteObject(testCtx(t), &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k)}); err != nil {
			t.Fatalf("delete %q from %s: %v", k, s.bucket, err)
		}
	}
}
