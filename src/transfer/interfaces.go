// Package transfer is the copy engine: it plans parts, copies one object
// from a Source to a Destination (single PUT, multipart or server-side),
// resumes from the parts already at the destination and verifies the result.
//
// The engine only knows the small interfaces in this file. The S3 side
// (src/s3side), the HTTP source (src/httpsource) and the state stores
// (src/statestore/...) implement them; the CLI, the Lambda and the EC2 worker
// drive the same Engine.
package transfer

import (
	"context"
	"errors"
	"time"
)

// Errors a Source or Destination returns (wrapped) so the engine can decide
// what to do. Anything else is treated as transient after the SDK's own
// retries are exhausted.
var (
	// ErrNotFound: the object (NoSuchKey) or bucket does not exist. Final.
	ErrNotFound = errors.New("not found")
	// ErrAccessDenied: credentials are not allowed to do this. Final.
	ErrAccessDenied = errors.New("access denied")
	// ErrSourceChanged: the source no longer matches the pinned version
	// (If-Match failed, or version/ETag/size differ). The engine restarts on
	// the new version.
	ErrSourceChanged = errors.New("source changed")
	// ErrNoSuchUpload: the multipart upload is gone (completed or aborted).
	ErrNoSuchUpload = errors.New("no such upload")
	// ErrIntegrity: the destination rejected a body or returned an ETag or
	// checksum that does not match what was sent.
	ErrIntegrity = errors.New("integrity check failed")
)

// SourceVersion pins the exact source version a copy started from.
type SourceVersion struct {
	Size         int64     `json:"size"`
	ETag         string    `json:"etag,omitempty"`       // without quotes
	VersionID    string    `json:"version_id,omitempty"` // "" when unversioned
	LastModified time.Time `json:"last_modified,omitempty"`
}

// Same reports whether two versions describe the same bytes.
func (v SourceVersion) Same(o SourceVersion) bool {
	if v.Size != o.Size {
		return false
	}
	if v.VersionID != "" && o.VersionID != "" {
		return v.VersionID == o.VersionID && (v.ETag == "" || o.ETag == "" || v.ETag == o.ETag)
	}
	if v.ETag != "" || o.ETag != "" {
		return v.ETag == o.ETag
	}
	// Neither side has an ETag (some HTTP servers): the modification time
	// is the only validator left.
	return !v.LastModified.IsZero() && v.LastModified.Equal(o.LastModified)
}

// Checksum is an S3 additional checksum (x-amz-checksum-*).
type Checksum struct {
	Algorithm string // CRC32, CRC32C, CRC64NVME, SHA1, SHA256
	Value     string // base64, as S3 returns it; composite values end in -N
	Type      string // FULL_OBJECT or COMPOSITE
}

// Metadata is what is carried from source to destination besides the bytes.
type Metadata struct {
	ContentType        string
	CacheControl       string
	ContentDisposition string
	ContentEncoding    string
	ContentLanguage    string
	Expires            *time.Time
	User               map[string]string // x-amz-meta-*, names lower-case
	Tags               map[string]string // only filled when tags are copied
}

// SourceObject is what Source.Stat tells about the current version.
type SourceObject struct {
	Version  SourceVersion
	Meta     Metadata
	Checksum *Checksum // nil when the source has none
}

// Source reads objects. Implementations: S3 (s3side.Bucket), HTTP(S).
type Source interface {
	// Stat returns the current version of key. ErrNotFound if absent.
	Stat(ctx context.Context, key string) (SourceObject, error)
	// ReadRange fills buf with bytes [off, off+len(buf)) of exactly the
	// pinned version. It returns an error wrapping ErrSourceChanged when
	// that version is no longer what the source serves.
	ReadRange(ctx context.Context, key string, pin SourceVersion, off int64, buf []byte) error
}

// ListedObject is one entry of a listing.
type ListedObject struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
}

// Lister lists keys under a prefix in lexical order. Sources and
// destinations that can list implement it (copy of a prefix, jobsender).
type Lister interface {
	List(ctx context.Context, prefix string, fn func(ListedObject) error) error
}

// PutOptions is how the destination object is written.
type PutOptions struct {
	Meta         Metadata
	StorageClass string // "" = destination default
	SSE          string // "", "AES256" or "aws:kms"
	SSEKMSKeyID  string
	ACL          string    // "" or "bucket-owner-full-control"
	Checksum     *Checksum // full-object checksum for the destination to verify (single PUT)
	// ChecksumAlgorithm, when set on CreateUpload, asks for per-part
	// checksums of that algorithm (FULL_OBJECT type for CRC algorithms).
	ChecksumAlgorithm string
}

// DestObject is what Destination.Stat tells.
type DestObject struct {
	Size     int64
	ETag     string // without quotes
	Meta     Metadata
	Checksum *Checksum
	// SSE is the encryption the destination applied ("", "AES256",
	// "aws:kms", "aws:kms:dsse"); under KMS the ETag is not the MD5.
	SSE string
}

// ETagIsMD5 reports whether the object's ETag is the MD5 of its bytes (or,
// for multipart objects, of its part MD5s): true unless KMS encrypted it.
func (d DestObject) ETagIsMD5() bool { return d.SSE != "aws:kms" && d.SSE != "aws:kms:dsse" }

// Upload is an in-progress multipart upload at the destination.
type Upload struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

// Part is one uploaded part as the destination reports it.
type Part struct {
	Number   int32
	Size     int64
	ETag     string // without quotes
	Checksum string // base64 per-part checksum when one was sent
}

// PartBody is one part to upload.
type PartBody struct {
	Number   int32
	Data     []byte
	MD5      []byte // raw 16-byte MD5 of Data, sent as Content-MD5
	Checksum string // base64 additional checksum of Data, or ""
}

// Destination writes objects. Implementation: S3 (s3side.Bucket).
type Destination interface {
	Stat(ctx context.Context, key string) (DestObject, error)
	// Put writes a whole object in one request with Content-MD5.
	Put(ctx context.Context, key string, body []byte, md5 []byte, opt PutOptions) (etag string, err error)
	CreateUpload(ctx context.Context, key string, opt PutOptions) (uploadID string, err error)
	// UploadPart sends one part with Content-MD5. It returns an error
	// wrapping ErrIntegrity when the returned ETag is not the part's MD5
	// although the encryption the destination applied keeps ETag = MD5.
	UploadPart(ctx context.Context, key, uploadID string, part PartBody) (etag string, err error)
	// ListParts returns every part of the upload (all pages), ErrNoSuchUpload if gone.
	ListParts(ctx context.Context, key, uploadID string) ([]Part, error)
	// ListUploads returns the uploads of exactly key (never of other keys
	// that share it as a prefix).
	ListUploads(ctx context.Context, key string) ([]Upload, error)
	Complete(ctx context.Context, key, uploadID string, parts []Part, full *Checksum) (etag string, err error)
	Abort(ctx context.Context, key, uploadID string) error
	Delete(ctx context.Context, key string) error
}

// ServerCopier is implemented by a Destination that can copy from a given
// Source without the bytes passing through this process (CopyObject /
// UploadPartCopy on one endpoint with one set of credentials).
type ServerCopier interface {
	CanServerCopy(src Source) bool
	CopyObject(ctx context.Context, src Source, srcKey string, pin SourceVersion, dstKey string, opt PutOptions) (etag string, err error)
	CopyPart(ctx context.Context, src Source, srcKey string, pin SourceVersion, dstKey, uploadID string, number int32, off, length int64) (etag string, err error)
}

// Status of one object.
type Status string

const (
	StatusQueued  Status = "QUEUED"
	StatusRunning Status = "RUNNING"
	StatusDone    Status = "DONE"
	StatusFailed  Status = "FAILED"
	StatusSkipped Status = "SKIPPED"
)

// ObjectState is the per-object record a StateStore keeps. One record per
// destination object; written a constant number of times per object (start,
// hand-off, end), never per part.
type ObjectState struct {
	ID        string        `json:"id"` // StateID(dst bucket, dst key)
	SourceKey string        `json:"source_key"`
	DestKey   string        `json:"dest_key"`
	Status    Status        `json:"status"`
	Source    SourceVersion `json:"source"`
	UploadID  string        `json:"upload_id,omitempty"`
	// Settings identifies how the upload writes (encryption, storage
	// class, ACL, checksum); an upload made with other settings is not resumed.
	Settings   string    `json:"settings,omitempty"`
	PartSize   int64     `json:"part_size,omitempty"`
	Bytes      int64     `json:"bytes"`               // bytes at the destination when last written
	DestETag   string    `json:"dest_etag,omitempty"` // ETag of the finished destination object
	Attempts   int       `json:"attempts"`
	Error      string    `json:"error,omitempty"`
	WorkerID   string    `json:"worker_id,omitempty"`
	FirstStart time.Time `json:"first_start,omitempty"`
	LastStart  time.Time `json:"last_start,omitempty"`
	End        time.Time `json:"end,omitempty"`
}

// StateStore keeps ObjectState records. Implementations: SQLite (the CLI's
// embedded store), DynamoDB (the serverless worker).
type StateStore interface {
	// Load returns the record and true, or false when there is none.
	Load(ctx context.Context, id string) (ObjectState, bool, error)
	// Save writes the record (insert or replace).
	Save(ctx context.Context, st ObjectState) error
}
