package s3side

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3migrate/s3migrate/src/transfer"
)

var (
	_ transfer.Source = (*Bucket)(nil)
	_ transfer.Lister = (*Bucket)(nil)
)

// Stat HEADs key (checksum mode on) and returns its current version,
// metadata, additional checksum and, with CopyTags, its tags.
func (b *Bucket) Stat(ctx context.Context, key string) (transfer.SourceObject, error) {
	h, err := b.head(ctx, key)
	if err != nil {
		return transfer.SourceObject{}, err
	}
	so := transfer.SourceObject{
		Version: transfer.SourceVersion{
			Size:         aws.ToInt64(h.ContentLength),
			ETag:         unquote(aws.ToString(h.ETag)),
			VersionID:    versionID(h.VersionId),
			LastModified: aws.ToTime(h.LastModified),
		},
		Meta:     metaFromHead(h),
		Checksum: checksumFromHead(h),
	}
	if b.client.cfg.CopyTags {
		tags, err := b.tags(ctx, key, so.Version.VersionID)
		if err != nil {
			return transfer.SourceObject{}, err
		}
		so.Meta.Tags = tags
	}
	return so, nil
}

// head is HeadObject with ChecksumMode on. A HEAD error has no body, so a
// bare 403/404 before any request of this Bucket succeeded is asked again
// with a one-byte GET, whose error code tells a missing key from rejected
// credentials (versitygw even answers an unknown access key with 404).
func (b *Bucket) head(ctx context.Context, key string) (*s3.HeadObjectOutput, error) {
	h, err := b.s3.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket:       aws.String(b.name),
		Key:          aws.String(key),
		ChecksumMode: types.ChecksumModeEnabled,
		RequestPayer: b.payer(),
	})
	if err == nil {
		b.credsOK.Store(true)
		return h, nil
	}
	werr := b.wrap("HeadObject", key, err)
	if b.credsOK.Load() || !(errors.Is(werr, transfer.ErrNotFound) || errors.Is(werr, transfer.ErrAccessDenied)) {
		return nil, werr
	}
	g, gerr := b.s3.GetObject(ctx, &s3.GetObjectInput{
		Bucket:       aws.String(b.name),
		Key:          aws.String(key),
		Range:        aws.String("bytes=0-0"),
		RequestPayer: b.payer(),
	})
	if gerr == nil {
		g.Body.Close()
		// The object appeared between the two calls: HEAD it again.
		b.credsOK.Store(true)
		h, err = b.s3.HeadObject(ctx, &s3.HeadObjectInput{
			Bucket: aws.String(b.name), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled, RequestPayer: b.payer(),
		})
		if err != nil {
			return nil, b.wrap("HeadObject", key, err)
		}
		return h, nil
	}
	gwerr := b.wrap("GetObject bytes=0-0", key, gerr)
	if errors.Is(gwerr, ErrCredentialsRejected) || errors.Is(gwerr, transfer.ErrAccessDenied) {
		return nil, gwerr
	}
	if errors.Is(gwerr, transfer.ErrNotFound) {
		b.credsOK.Store(true) // the endpoint knew us well enough to say so
	}
	return nil, werr
}

func (b *Bucket) tags(ctx context.Context, key, version string) (map[string]string, error) {
	in := &s3.GetObjectTaggingInput{Bucket: aws.String(b.name), Key: aws.String(key), RequestPayer: b.payer()}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	out, err := b.s3.GetObjectTagging(ctx, in)
	if err != nil {
		return nil, b.wrap("GetObjectTagging", key, err)
	}
	if len(out.TagSet) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(out.TagSet))
	for _, t := range out.TagSet {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m, nil
}

// ReadRange fills buf with bytes [off, off+len(buf)) of exactly the pinned
// version: the GET names the version id when there is one and always sends
// If-Match with the ETag. A body cut short by the network is resumed from
// where it stopped (still conditional); a response for a different object
// is ErrSourceChanged.
func (b *Bucket) ReadRange(ctx context.Context, key string, pin transfer.SourceVersion, off int64, buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	if off < 0 || off+int64(len(buf)) > pin.Size {
		return b.changed("GetObject", key, "range %d+%d is outside the pinned size %d", off, len(buf), pin.Size)
	}
	attempts := b.client.cfg.MaxAttempts
	if attempts == 0 {
		attempts = DefaultMaxAttempts
	}
	var got int
	var lastErr error
	for attempt := 0; attempt < attempts && got < len(buf); attempt++ {
		if attempt > 0 {
			if err := sleepBackoff(ctx, attempt, b.client.cfg.MaxBackoff); err != nil {
				return err
			}
		}
		n, err := b.readOnce(ctx, key, pin, off+int64(got), buf[got:])
		got += n
		if err == nil {
			return nil
		}
		var se *Error
		if errors.As(err, &se) || ctx.Err() != nil {
			return err // classified by S3 (or cancelled): retrying the body will not help
		}
		lastErr = err
	}
	if got == len(buf) {
		return nil
	}
	return b.wrap("GetObject", key, lastErr)
}

// readOnce is one conditional ranged GET into buf; it returns how many
// bytes it placed. Errors from S3 come back as *Error; a body that broke
// off comes back unwrapped so ReadRange resumes it.
func (b *Bucket) readOnce(ctx context.Context, key string, pin transfer.SourceVersion, off int64, buf []byte) (int, error) {
	end := off + int64(len(buf)) - 1
	rng := "bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(end, 10)
	in := &s3.GetObjectInput{
		Bucket:       aws.String(b.name),
		Key:          aws.String(key),
		Range:        aws.String(rng),
		RequestPayer: b.payer(),
	}
	if pin.VersionID != "" {
		in.VersionId = aws.String(pin.VersionID)
	}
	if pin.ETag != "" {
		in.IfMatch = aws.String(`"` + pin.ETag + `"`)
	}
	out, err := b.s3.GetObject(ctx, in)
	if err != nil {
		werr := b.wrap("GetObject "+rng, key, err)
		if code := errorCode(err); code == "NoSuchKey" || code == "NoSuchVersion" {
			// The pinned object or version is gone: the engine restarts
			// on whatever the source serves now (or finds it deleted).
			return 0, b.changed("GetObject "+rng, key, "pinned version no longer exists: %w", werr)
		}
		return 0, werr
	}
	defer out.Body.Close()
	b.credsOK.Store(true)
	if err := b.checkPin(key, rng, pin, off, len(buf), out); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(out.Body, buf)
	if err != nil {
		return n, err
	}
	return n, nil
}

// checkPin compares a GET response with the pinned version.
func (b *Bucket) checkPin(key, rng string, pin transfer.SourceVersion, off int64, n int, out *s3.GetObjectOutput) error {
	op := "GetObject " + rng
	if pin.VersionID != "" && out.VersionId != nil && *out.VersionId != pin.VersionID && *out.VersionId != "null" {
		return b.changed(op, key, "served version %s, pinned %s", *out.VersionId, pin.VersionID)
	}
	if pin.ETag != "" && out.ETag != nil && unquote(*out.ETag) != pin.ETag {
		return b.changed(op, key, "served ETag %s, pinned %s", unquote(*out.ETag), pin.ETag)
	}
	if out.ContentLength != nil && *out.ContentLength != int64(n) {
		return b.changed(op, key, "served %d bytes for a %d-byte range", *out.ContentLength, n)
	}
	if cr := aws.ToString(out.ContentRange); cr != "" {
		start, total, ok := parseContentRange(cr)
		if ok && (start != off || (total >= 0 && total != pin.Size)) {
			return b.changed(op, key, "served range %q, pinned size %d", cr, pin.Size)
		}
	}
	return nil
}

// parseContentRange reads "bytes START-END/TOTAL" (TOTAL may be "*": -1).
func parseContentRange(s string) (start, total int64, ok bool) {
	s, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	r, t, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(r, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if t == "*" {
		return start, -1, true
	}
	total, err = strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return start, total, true
}

// List calls fn for every object under prefix, in the order S3 lists them
// (lexical by UTF-8 bytes), page by page.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(transfer.ListedObject) error) error {
	p := s3.NewListObjectsV2Paginator(b.s3, &s3.ListObjectsV2Input{
		Bucket:       aws.String(b.name),
		Prefix:       aws.String(prefix),
		RequestPayer: b.payer(),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return b.wrap("ListObjectsV2", prefix, err)
		}
		b.credsOK.Store(true)
		for _, o := range page.Contents {
			err := fn(transfer.ListedObject{
				Key:          aws.ToString(o.Key),
				Size:         aws.ToInt64(o.Size),
				ETag:         unquote(aws.ToString(o.ETag)),
				LastModified: aws.ToTime(o.LastModified),
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *Bucket) payer() types.RequestPayer {
	if b.client.cfg.RequesterPays {
		return types.RequestPayerRequester
	}
	return ""
}

func unquote(etag string) string {
	if len(etag) >= 2 && etag[0] == '"' && etag[len(etag)-1] == '"' {
		return etag[1 : len(etag)-1]
	}
	return etag
}

// versionID drops "null", S3's id for objects written while versioning was off.
func versionID(v *string) string {
	if v == nil || *v == "null" {
		return ""
	}
	return *v
}

func metaFromHead(h *s3.HeadObjectOutput) transfer.Metadata {
	m := transfer.Metadata{
		ContentType:        aws.ToString(h.ContentType),
		CacheControl:       aws.ToString(h.CacheControl),
		ContentDisposition: aws.ToString(h.ContentDisposition),
		ContentEncoding:    aws.ToString(h.ContentEncoding),
		ContentLanguage:    aws.ToString(h.ContentLanguage),
		Expires:            parseExpires(h.ExpiresString),
	}
	if len(h.Metadata) > 0 {
		m.User = make(map[string]string, len(h.Metadata))
		for k, v := range h.Metadata {
			m.User[strings.ToLower(k)] = v
		}
	}
	return m
}

func parseExpires(s *string) *time.Time {
	if s == nil || *s == "" {
		return nil
	}
	t, err := http.ParseTime(*s)
	if err != nil {
		return nil // S3 keeps whatever string was sent; an unparseable one is not carried
	}
	t = t.UTC()
	return &t
}

func checksumFromHead(h *s3.HeadObjectOutput) *transfer.Checksum {
	typ := string(h.ChecksumType)
	for _, c := range []struct {
		alg string
		v   *string
	}{
		{"CRC64NVME", h.ChecksumCRC64NVME},
		{"CRC32C", h.ChecksumCRC32C},
		{"CRC32", h.ChecksumCRC32},
		{"SHA256", h.ChecksumSHA256},
		{"SHA1", h.ChecksumSHA1},
	} {
		if v := aws.ToString(c.v); v != "" {
			t := typ
			if t == "" {
				t = "FULL_OBJECT"
				if strings.Contains(v, "-") {
					t = "COMPOSITE"
				}
			}
			return &transfer.Checksum{Algorithm: c.alg, Value: v, Type: t}
		}
	}
	return nil
}

// sleepBackoff waits before a retry of ReadRange's body: full jitter over
// an exponential ceiling.
func sleepBackoff(ctx context.Context, attempt int, max time.Duration) error {
	if max <= 0 {
		max = DefaultMaxBackoff
	}
	ceil := 100 * time.Millisecond << min(attempt, 10)
	if ceil > max {
		ceil = max
	}
	d := time.Duration(rand.Int64N(int64(ceil))) + time.Millisecond
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// copySource is the x-amz-copy-source value: bucket/key, URL-encoded byte
// for byte (only unreserved characters and '/' left as they are), plus the
// version.
func copySource(bucket, key, version string) string {
	var sb strings.Builder
	sb.Grow(len(bucket) + 1 + len(key)*3 + 12 + len(version))
	sb.WriteString(bucket)
	sb.WriteByte('/')
	const hexd = "0123456789ABCDEF"
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			sb.WriteByte(c)
			continue
		}
		sb.WriteByte('%')
		sb.WriteByte(hexd[c>>4])
		sb.WriteByte(hexd[c&15])
	}
	if version != "" {
		sb.WriteString("?versionId=")
		sb.WriteString(url.QueryEscape(version))
	}
	return sb.String()
}
