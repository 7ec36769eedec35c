package s3side

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3migrate/s3migrate/src/transfer"
)

// Destination is a Bucket seen as the side that is written. It is a
// separate type because transfer.Source and transfer.Destination both have
// a Stat method with different results.
type Destination struct {
	b *Bucket
	// bodyOpts is passed to calls that carry object bytes.
	bodyOpts []func(*s3.Options)
}

var (
	_ transfer.Destination  = (*Destination)(nil)
	_ transfer.ServerCopier = (*Destination)(nil)
	_ transfer.Lister       = (*Destination)(nil)
)

// Destination returns the bucket as a transfer.Destination and
// transfer.ServerCopier.
func (b *Bucket) Destination() *Destination {
	d := &Destination{b: b}
	if !b.client.cfg.SignPayload {
		d.bodyOpts = []func(*s3.Options){s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)}
	}
	return d
}

// Bucket returns the underlying bucket.
func (d *Destination) Bucket() *Bucket { return d.b }

// String names the bucket for logs.
func (d *Destination) String() string { return d.b.String() }

// List lists the destination (transfer.Lister).
func (d *Destination) List(ctx context.Context, prefix string, fn func(transfer.ListedObject) error) error {
	return d.b.List(ctx, prefix, fn)
}

// Stat HEADs key at the destination.
func (d *Destination) Stat(ctx context.Context, key string) (transfer.DestObject, error) {
	h, err := d.b.head(ctx, key)
	if err != nil {
		return transfer.DestObject{}, err
	}
	o := transfer.DestObject{
		Size:     aws.ToInt64(h.ContentLength),
		ETag:     unquote(aws.ToString(h.ETag)),
		Meta:     metaFromHead(h),
		Checksum: checksumFromHead(h),
		SSE:      string(h.ServerSideEncryption),
	}
	if d.b.client.cfg.CopyTags {
		tags, err := d.b.tags(ctx, key, "")
		if err != nil {
			return transfer.DestObject{}, err
		}
		o.Meta.Tags = tags
	}
	return o, nil
}

// Put writes body in one PutObject with Content-MD5 and, when given, the
// source's full-object checksum for the destination to verify.
func (d *Destination) Put(ctx context.Context, key string, body []byte, sum []byte, opt transfer.PutOptions) (string, error) {
	if len(sum) != md5.Size {
		s := md5.Sum(body)
		sum = s[:]
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(d.b.name),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum)),
		RequestPayer:  d.b.payer(),
	}
	m := opt.Meta
	in.ContentType, in.CacheControl, in.ContentDisposition = optString(m.ContentType), optString(m.CacheControl), optString(m.ContentDisposition)
	in.ContentEncoding, in.ContentLanguage, in.Expires = optString(m.ContentEncoding), optString(m.ContentLanguage), m.Expires
	in.Metadata, in.Tagging = m.User, tagging(m.Tags)
	in.StorageClass, in.ACL = types.StorageClass(opt.StorageClass), types.ObjectCannedACL(opt.ACL)
	in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryption(opt.SSE), optString(opt.SSEKMSKeyID)
	if c := opt.Checksum; c != nil && c.Value != "" && !strings.Contains(c.Value, "-") {
		if err := setPutChecksum(in, c.Algorithm, c.Value); err != nil {
			return "", d.b.integrity("PutObject", key, "%w", err)
		}
	}
	out, err := d.b.s3.PutObject(ctx, in, d.bodyOpts...)
	if err != nil {
		return "", d.b.wrap("PutObject", key, err)
	}
	d.b.credsOK.Store(true)
	etag := unquote(aws.ToString(out.ETag))
	sse := opt.SSE
	if out.ServerSideEncryption != "" {
		sse = string(out.ServerSideEncryption) // a bucket default may apply KMS
	}
	if err := d.checkETag("PutObject", key, etag, sum, sse); err != nil {
		return "", err
	}
	if c := opt.Checksum; c != nil {
		if got := putChecksum(out, c.Algorithm); got != "" && got != c.Value {
			return "", d.b.integrity("PutObject", key, "destination computed %s %s, source has %s", c.Algorithm, got, c.Value)
		}
	}
	return etag, nil
}

// checkETag compares an ETag that is a plain MD5 with the MD5 sent. Under
// SSE-KMS the ETag is not the MD5 and is not compared.
func (d *Destination) checkETag(op, key, etag string, sum []byte, sse string) error {
	if strings.HasPrefix(sse, "aws:kms") || len(etag) != 2*md5.Size || !isHex(etag) {
		return nil
	}
	if want := hex.EncodeToString(sum); !strings.EqualFold(etag, want) {
		return d.b.integrity(op, key, "destination returned ETag %s for a body with MD5 %s", etag, want)
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// CreateUpload starts a multipart upload with the object's metadata.
func (d *Destination) CreateUpload(ctx context.Context, key string, opt transfer.PutOptions) (string, error) {
	in := &s3.CreateMultipartUploadInput{
		Bucket:       aws.String(d.b.name),
		Key:          aws.String(key),
		RequestPayer: d.b.payer(),
	}
	m := opt.Meta
	in.ContentType, in.CacheControl, in.ContentDisposition = optString(m.ContentType), optString(m.CacheControl), optString(m.ContentDisposition)
	in.ContentEncoding, in.ContentLanguage, in.Expires = optString(m.ContentEncoding), optString(m.ContentLanguage), m.Expires
	in.Metadata, in.Tagging = m.User, tagging(m.Tags)
	in.StorageClass, in.ACL = types.StorageClass(opt.StorageClass), types.ObjectCannedACL(opt.ACL)
	in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryption(opt.SSE), optString(opt.SSEKMSKeyID)
	if alg := strings.ToUpper(opt.ChecksumAlgorithm); alg != "" {
		in.ChecksumAlgorithm = types.ChecksumAlgorithm(alg)
		in.ChecksumType = types.ChecksumTypeComposite
		if strings.HasPrefix(alg, "CRC") {
			in.ChecksumType = types.ChecksumTypeFullObject
		}
	}
	out, err := d.b.s3.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", d.b.wrap("CreateMultipartUpload", key, err)
	}
	d.b.credsOK.Store(true)
	id := aws.ToString(out.UploadId)
	if id == "" {
		return "", d.b.wrap("CreateMultipartUpload", key, errors.New("the endpoint returned no upload id"))
	}
	if in.ChecksumAlgorithm != "" {
		d.b.uploadAlgo.Store(id, string(in.ChecksumAlgorithm))
	}
	return id, nil
}

// UploadPart sends one part with Content-MD5 (and its additional checksum
// when the upload has an algorithm) and checks the returned ETag.
func (d *Destination) UploadPart(ctx context.Context, key, uploadID string, part transfer.PartBody) (string, error) {
	sum := part.MD5
	if len(sum) != md5.Size {
		s := md5.Sum(part.Data)
		sum = s[:]
	}
	in := &s3.UploadPartInput{
		Bucket:        aws.String(d.b.name),
		Key:           aws.String(key),
		UploadId:      aws.String(uploadID),
		PartNumber:    aws.Int32(part.Number),
		Body:          bytes.NewReader(part.Data),
		ContentLength: aws.Int64(int64(len(part.Data))),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum)),
		RequestPayer:  d.b.payer(),
	}
	op := "UploadPart " + strconv.Itoa(int(part.Number))
	if part.Checksum != "" {
		alg, err := d.uploadAlgorithm(ctx, key, uploadID)
		if err != nil {
			return "", err
		}
		if err := setPartChecksum(in, alg, part.Checksum); err != nil {
			return "", d.b.integrity(op, key, "%w", err)
		}
	}
	out, err := d.b.s3.UploadPart(ctx, in, d.bodyOpts...)
	if err != nil {
		return "", d.b.wrap(op, key, err)
	}
	etag := unquote(aws.ToString(out.ETag))
	if err := d.checkETag(op, key, etag, sum, string(out.ServerSideEncryption)); err != nil {
		return "", err
	}
	return etag, nil
}

// uploadAlgorithm returns the checksum algorithm of an upload: remembered
// from CreateUpload/ListParts, else asked with a one-part ListParts.
func (d *Destination) uploadAlgorithm(ctx context.Context, key, uploadID string) (string, error) {
	if v, ok := d.b.uploadAlgo.Load(uploadID); ok {
		return v.(string), nil
	}
	out, err := d.b.s3.ListParts(ctx, &s3.ListPartsInput{
		Bucket: aws.String(d.b.name), Key: aws.String(key), UploadId: aws.String(uploadID),
		MaxParts: aws.Int32(1), RequestPayer: d.b.payer(),
	})
	if err != nil {
		return "", d.b.wrap("ListParts", key, err)
	}
	alg := string(out.ChecksumAlgorithm)
	if alg == "" {
		return "", d.b.integrity("UploadPart", key, "a part checksum was given but upload %s has no checksum algorithm", uploadID)
	}
	d.b.uploadAlgo.Store(uploadID, alg)
	return alg, nil
}

// ListParts returns every part of the upload, all pages, with sizes.
func (d *Destination) ListParts(ctx context.Context, key, uploadID string) ([]transfer.Part, error) {
	var parts []transfer.Part
	p := s3.NewListPartsPaginator(d.b.s3, &s3.ListPartsInput{
		Bucket: aws.String(d.b.name), Key: aws.String(key), UploadId: aws.String(uploadID), RequestPayer: d.b.payer(),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, d.b.wrap("ListParts", key, err)
		}
		d.b.credsOK.Store(true)
		if alg := string(page.ChecksumAlgorithm); alg != "" {
			d.b.uploadAlgo.Store(uploadID, alg)
		}
		if parts == nil {
			parts = make([]transfer.Part, 0, len(page.Parts))
		}
		for _, x := range page.Parts {
			parts = append(parts, transfer.Part{
				Number:   aws.ToInt32(x.PartNumber),
				Size:     aws.ToInt64(x.Size),
				ETag:     unquote(aws.ToString(x.ETag)),
				Checksum: firstNonEmpty(x.ChecksumCRC64NVME, x.ChecksumCRC32C, x.ChecksumCRC32, x.ChecksumSHA256, x.ChecksumSHA1),
			})
		}
	}
	return parts, nil
}

// ListUploads returns the uploads of exactly key: S3 lists by prefix, so
// uploads of keys that merely start with key are dropped.
func (d *Destination) ListUploads(ctx context.Context, key string) ([]transfer.Upload, error) {
	var ups []transfer.Upload
	err := d.b.listUploads(ctx, key, func(u transfer.Upload) {
		if u.Key == key {
			ups = append(ups, u)
		}
	})
	return ups, err
}

// ListAllUploads returns every multipart upload under prefix (all keys),
// oldest first within a key: what `s3migrate gc` aborts.
func (d *Destination) ListAllUploads(ctx context.Context, prefix string) ([]transfer.Upload, error) {
	var ups []transfer.Upload
	err := d.b.listUploads(ctx, prefix, func(u transfer.Upload) { ups = append(ups, u) })
	return ups, err
}

// listUploads pages ListMultipartUploads under prefix. versitygw v1.8.0
// (posix) rejects the upload-id-marker it hands out itself ("Invalid
// uploadId marker"); the page is then asked again with the key marker
// alone, which on that server is what it would have listed anyway.
func (b *Bucket) listUploads(ctx context.Context, prefix string, fn func(transfer.Upload)) error {
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(b.name), Prefix: aws.String(prefix), RequestPayer: b.payer()}
	if b.uploadsPageSize > 0 {
		in.MaxUploads = aws.Int32(b.uploadsPageSize)
	}
	for {
		out, err := b.s3.ListMultipartUploads(ctx, in)
		if err != nil && in.UploadIdMarker != nil {
			if code := errorCode(err); code == "InvalidArgument" {
				b.client.log.Warn("s3side: endpoint rejected its own upload-id-marker; continuing with the key marker only",
					"bucket", b.name, "key_marker", aws.ToString(in.KeyMarker))
				in.UploadIdMarker = nil
				out, err = b.s3.ListMultipartUploads(ctx, in)
			}
		}
		if err != nil {
			return b.wrap("ListMultipartUploads", prefix, err)
		}
		b.credsOK.Store(true)
		for _, u := range out.Uploads {
			fn(transfer.Upload{Key: aws.ToString(u.Key), UploadID: aws.ToString(u.UploadId), Initiated: aws.ToTime(u.Initiated)})
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		nk, nu := aws.ToString(out.NextKeyMarker), aws.ToString(out.NextUploadIdMarker)
		if nk == "" && nu == "" {
			return b.wrap("ListMultipartUploads", prefix, errors.New("truncated listing without a next marker"))
		}
		if nk == aws.ToString(in.KeyMarker) && nu == aws.ToString(in.UploadIdMarker) {
			return b.wrap("ListMultipartUploads", prefix, errors.New("listing did not advance"))
		}
		in.KeyMarker, in.UploadIdMarker = optString(nk), optString(nu)
	}
}

// Complete completes the upload with the given parts (ETags and per-part
// checksums) and, for a full-object checksum, has the destination verify it.
func (d *Destination) Complete(ctx context.Context, key, uploadID string, parts []transfer.Part, full *transfer.Checksum) (string, error) {
	sorted := make([]transfer.Part, len(parts))
	copy(sorted, parts)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Number < sorted[j].Number })
	alg := ""
	if v, ok := d.b.uploadAlgo.Load(uploadID); ok {
		alg = v.(string)
	} else if full != nil {
		alg = strings.ToUpper(full.Algorithm)
	}
	cps := make([]types.CompletedPart, len(sorted))
	for i, p := range sorted {
		cps[i] = types.CompletedPart{PartNumber: aws.Int32(p.Number), ETag: aws.String(`"` + p.ETag + `"`)}
		if p.Checksum != "" && alg != "" {
			if err := setCompletedChecksum(&cps[i], alg, p.Checksum); err != nil {
				return "", d.b.integrity("CompleteMultipartUpload", key, "%w", err)
			}
		}
	}
	in := &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(d.b.name),
		Key:             aws.String(key),
		UploadId:        aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: cps},
		RequestPayer:    d.b.payer(),
	}
	if full != nil && full.Value != "" && (full.Type == "" || full.Type == "FULL_OBJECT") && !strings.Contains(full.Value, "-") {
		if err := setCompleteChecksum(in, full.Algorithm, full.Value); err != nil {
			return "", d.b.integrity("CompleteMultipartUpload", key, "%w", err)
		}
		in.ChecksumType = types.ChecksumTypeFullObject
	}
	out, err := d.b.s3.CompleteMultipartUpload(ctx, in)
	if err != nil {
		return "", d.b.wrap("CompleteMultipartUpload", key, err)
	}
	d.b.uploadAlgo.Delete(uploadID)
	if full != nil {
		if got := completeChecksum(out, full.Algorithm); got != "" && got != full.Value {
			return "", d.b.integrity("CompleteMultipartUpload", key, "destination computed %s %s, source has %s", full.Algorithm, got, full.Value)
		}
	}
	return unquote(aws.ToString(out.ETag)), nil
}

// Abort aborts the upload; ErrNoSuchUpload when it is already gone.
func (d *Destination) Abort(ctx context.Context, key, uploadID string) error {
	_, err := d.b.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(d.b.name), Key: aws.String(key), UploadId: aws.String(uploadID), RequestPayer: d.b.payer(),
	})
	d.b.uploadAlgo.Delete(uploadID)
	return d.b.wrap("AbortMultipartUpload", key, err)
}

// Delete removes key (no error when it does not exist, as in S3).
func (d *Destination) Delete(ctx context.Context, key string) error {
	_, err := d.b.s3.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(d.b.name), Key: aws.String(key), RequestPayer: d.b.payer(),
	})
	return d.b.wrap("DeleteObject", key, err)
}

// CanServerCopy reports whether this destination can copy from src without
// the bytes passing through this process: src is an s3side Bucket on the
// same endpoint and region, signed by the same credentials.
func (d *Destination) CanServerCopy(src transfer.Source) bool {
	s, ok := src.(*Bucket)
	if !ok {
		return false
	}
	return s.client.endpoint.URL == d.b.client.endpoint.URL && s.region == d.b.region && s.client.sameSigner(d.b.client)
}

// CopyObject copies the pinned source version with one CopyObject
// (x-amz-copy-source-if-match), replacing metadata with opt's.
func (d *Destination) CopyObject(ctx context.Context, src transfer.Source, srcKey string, pin transfer.SourceVersion, dstKey string, opt transfer.PutOptions) (string, error) {
	s, ok := src.(*Bucket)
	if !ok {
		return "", fmt.Errorf("s3side: CopyObject from %T: server-side copy needs an s3side source", src)
	}
	in := &s3.CopyObjectInput{
		Bucket:            aws.String(d.b.name),
		Key:               aws.String(dstKey),
		CopySource:        aws.String(copySource(s.name, srcKey, pin.VersionID)),
		MetadataDirective: types.MetadataDirectiveReplace,
		TaggingDirective:  types.TaggingDirectiveReplace,
		RequestPayer:      s.payer(),
	}
	if pin.ETag != "" {
		in.CopySourceIfMatch = aws.String(`"` + pin.ETag + `"`)
	}
	m := opt.Meta
	in.ContentType, in.CacheControl, in.ContentDisposition = optString(m.ContentType), optString(m.CacheControl), optString(m.ContentDisposition)
	in.ContentEncoding, in.ContentLanguage, in.Expires = optString(m.ContentEncoding), optString(m.ContentLanguage), m.Expires
	in.Metadata, in.Tagging = m.User, tagging(m.Tags)
	in.StorageClass, in.ACL = types.StorageClass(opt.StorageClass), types.ObjectCannedACL(opt.ACL)
	in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryption(opt.SSE), optString(opt.SSEKMSKeyID)
	if opt.Checksum != nil && opt.Checksum.Algorithm != "" {
		// The destination recomputes the source's algorithm over the copy.
		in.ChecksumAlgorithm = types.ChecksumAlgorithm(strings.ToUpper(opt.Checksum.Algorithm))
	}
	out, err := d.b.s3.CopyObject(ctx, in)
	if err != nil {
		return "", d.copyErr("CopyObject from "+s.keyRef(srcKey), dstKey, err)
	}
	if out.CopyObjectResult == nil {
		return "", d.b.wrap("CopyObject", dstKey, errors.New("no CopyObjectResult in the response"))
	}
	return unquote(aws.ToString(out.CopyObjectResult.ETag)), nil
}

// CopyPart copies bytes [off, off+length) of the pinned source version into
// part number of the upload (UploadPartCopy).
func (d *Destination) CopyPart(ctx context.Context, src transfer.Source, srcKey string, pin transfer.SourceVersion, dstKey, uploadID string, number int32, off, length int64) (string, error) {
	s, ok := src.(*Bucket)
	if !ok {
		return "", fmt.Errorf("s3side: UploadPartCopy from %T: server-side copy needs an s3side source", src)
	}
	if length <= 0 || off < 0 || off+length > pin.Size {
		return "", d.b.changed("UploadPartCopy", dstKey, "range %d+%d is outside the pinned size %d", off, length, pin.Size)
	}
	in := &s3.UploadPartCopyInput{
		Bucket:          aws.String(d.b.name),
		Key:             aws.String(dstKey),
		UploadId:        aws.String(uploadID),
		PartNumber:      aws.Int32(number),
		CopySource:      aws.String(copySource(s.name, srcKey, pin.VersionID)),
		CopySourceRange: aws.String("bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(off+length-1, 10)),
		RequestPayer:    s.payer(),
	}
	if pin.ETag != "" {
		in.CopySourceIfMatch = aws.String(`"` + pin.ETag + `"`)
	}
	out, err := d.b.s3.UploadPartCopy(ctx, in)
	if err != nil {
		return "", d.copyErr("UploadPartCopy "+strconv.Itoa(int(number))+" from "+s.keyRef(srcKey), dstKey, err)
	}
	if out.CopyPartResult == nil {
		return "", d.b.wrap("UploadPartCopy", dstKey, errors.New("no CopyPartResult in the response"))
	}
	return unquote(aws.ToString(out.CopyPartResult.ETag)), nil
}

// copyErr maps a copy failure: a missing source key or version means the
// pinned version is gone (ErrSourceChanged); 412 already maps to it.
func (d *Destination) copyErr(op, dstKey string, err error) error {
	werr := d.b.wrap(op, dstKey, err)
	switch errorCode(err) {
	case "NoSuchKey", "NoSuchVersion":
		return d.b.changed(op, dstKey, "pinned source version no longer exists: %w", werr)
	case "InvalidArgument":
		// The copy range is checked against the current source object
		// before If-Match (versitygw, S3): the object shrank.
		var ae smithy.APIError
		if errors.As(err, &ae) && strings.Contains(strings.ToLower(ae.ErrorMessage()), "range") {
			return d.b.changed(op, dstKey, "source no longer has the pinned size: %w", werr)
		}
	}
	return werr
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func firstNonEmpty(vs ...*string) string {
	for _, v := range vs {
		if s := aws.ToString(v); s != "" {
			return s
		}
	}
	return ""
}

// tagging encodes tags as the x-amz-tagging query string.
func tagging(tags map[string]string) *string {
	if len(tags) == 0 {
		return nil
	}
	v := make(url.Values, len(tags))
	for k, t := range tags {
		v.Set(k, t)
	}
	return aws.String(v.Encode())
}

var errUnknownAlgorithm = errors.New("unknown checksum algorithm")

// checksumField picks, among an SDK struct's five checksum fields (given
// in the order CRC32, CRC32C, CRC64NVME, SHA1, SHA256), the one of alg.
// One switch serves every request and response type.
func checksumField(alg string, crc32, crc32c, crc64nvme, sha1, sha256 **string) (**string, error) {
	switch strings.ToUpper(alg) {
	case "CRC32":
		return crc32, nil
	case "CRC32C":
		return crc32c, nil
	case "CRC64NVME":
		return crc64nvme, nil
	case "SHA1":
		return sha1, nil
	case "SHA256":
		return sha256, nil
	}
	return nil, fmt.Errorf("%w %q", errUnknownAlgorithm, alg)
}

func setChecksum(v string, alg string, crc32, crc32c, crc64nvme, sha1, sha256 **string) error {
	f, err := checksumField(alg, crc32, crc32c, crc64nvme, sha1, sha256)
	if err != nil {
		return err
	}
	*f = &v
	return nil
}

func getChecksum(alg string, crc32, crc32c, crc64nvme, sha1, sha256 **string) string {
	f, err := checksumField(alg, crc32, crc32c, crc64nvme, sha1, sha256)
	if err != nil {
		return ""
	}
	return aws.ToString(*f)
}

func setPutChecksum(in *s3.PutObjectInput, alg, v string) error {
	return setChecksum(v, alg, &in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256)
}

func putChecksum(out *s3.PutObjectOutput, alg string) string {
	return getChecksum(alg, &out.ChecksumCRC32, &out.ChecksumCRC32C, &out.ChecksumCRC64NVME, &out.ChecksumSHA1, &out.ChecksumSHA256)
}

func setPartChecksum(in *s3.UploadPartInput, alg, v string) error {
	return setChecksum(v, alg, &in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256)
}

func setCompletedChecksum(p *types.CompletedPart, alg, v string) error {
	return setChecksum(v, alg, &p.ChecksumCRC32, &p.ChecksumCRC32C, &p.ChecksumCRC64NVME, &p.ChecksumSHA1, &p.ChecksumSHA256)
}

func setCompleteChecksum(in *s3.CompleteMultipartUploadInput, alg, v string) error {
	return setChecksum(v, alg, &in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256)
}

func completeChecksum(out *s3.CompleteMultipartUploadOutput, alg string) string {
	return getChecksum(alg, &out.ChecksumCRC32, &out.ChecksumCRC32C, &out.ChecksumCRC64NVME, &out.ChecksumSHA1, &out.ChecksumSHA256)
}

// errorCode is the S3 error code of err, or "".
func errorCode(err error) string {
	return classify(err).code
}
