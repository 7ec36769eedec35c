// Package message holds the formats of the messages the worker receives and
// the jobsender sends, and their one decoder and encoder:
//
//   - S3 event notifications (direct, wrapped in SNS, or from EventBridge):
//     every record becomes a Task; ObjectCreated:* copies, ObjectRemoved:*
//     deletes, s3:TestEvent and other event types are ignored.
//   - Jobsender jobs, schema v1:
//     {"v":1,"type":"copy","src":{"bucket":"b","key":"k","version_id":"","etag":"","size":5},"dst":{"bucket":"d","key":"k"}}
//     and the original system's {"Src_bucket","Src_key","Des_bucket","Des_key","Size","versionId"}.
//   - Part-range sub-jobs of a giant object:
//     {"v":1,"type":"parts","object_id":"d/k","upload_id":"…","part_size":8388608,"first_part":1,"last_part":64,"src":{…},"dst":{…}}
//
// Keys are carried as JSON strings byte for byte; nothing here normalises a
// path. S3 event keys are URL-decoded (form encoding: '+' is a space).
package message

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Action is what the worker does for a Task.
type Action string

const (
	// ActionCopy copies Source to Dest.
	ActionCopy Action = "copy"
	// ActionDelete deletes Dest (S3 ObjectRemoved events, jobsender deletes).
	ActionDelete Action = "delete"
	// ActionParts uploads a range of parts of a giant object's multipart upload.
	ActionParts Action = "parts"
	// ActionIgnore is acknowledged and dropped (s3:TestEvent, event types
	// that neither create nor remove an object). Reason says why.
	ActionIgnore Action = "ignore"
)

// Origin says which format a Task was decoded from.
type Origin string

const (
	OriginS3Event     Origin = "s3-event"       // S3 notification delivered to SQS directly
	OriginSNS         Origin = "sns-s3-event"   // the same, wrapped in an SNS notification
	OriginEventBridge Origin = "eventbridge-s3" // EventBridge "Object Created"/"Object Deleted"
	OriginJob         Origin = "job"            // jobsender schema v1
	OriginLegacyJob   Origin = "legacy-job"     // the original system's jobsender message
)

// Object is a source object, pinned to what the message says about it.
type Object struct {
	Bucket    string
	Key       string
	VersionID string // "" when unversioned or unknown
	ETag      string // without quotes; "" when unknown
	Size      int64
	Sequencer string // S3 events only: orders events on one key
}

// Location is a destination object.
type Location struct {
	Bucket string
	Key    string
}

// PartRange is a sub-job: parts First..Last (1-based, inclusive) of the
// multipart upload UploadID of the destination object ObjectID.
type PartRange struct {
	ObjectID string
	UploadID string
	PartSize int64
	First    int32
	Last     int32
}

// ID names the range in the state store's set of finished ranges.
func (r PartRange) ID() string { return fmt.Sprintf("%d-%d", r.First, r.Last) }

// Count is the number of parts in the range.
func (r PartRange) Count() int { return int(r.Last-r.First) + 1 }

// Task is one unit of work decoded from a message.
type Task struct {
	Action Action
	Origin Origin
	Source Object
	// Dest is empty (Bucket == "") for S3 events: the destination comes
	// from configuration, see WithDefaultDest.
	Dest      Location
	Parts     *PartRange // ActionParts only
	EventName string     // S3 events: e.g. "ObjectCreated:Put"
	EventTime time.Time  // S3 events
	Reason    string     // ActionIgnore: why
}

// NeedsDest reports whether the destination must come from configuration.
func (t Task) NeedsDest() bool {
	return t.Dest.Bucket == "" && (t.Action == ActionCopy || t.Action == ActionDelete)
}

// WithDefaultDest fills an empty destination with bucket and
// JoinKey(prefix, source key), as the original's Des_bucket_default and
// Des_prefix_default did for S3 events.
func (t Task) WithDefaultDest(bucket, prefix string) Task {
	if t.NeedsDest() {
		t.Dest = Location{Bucket: bucket, Key: JoinKey(prefix, t.Source.Key)}
	}
	return t
}

// JoinKey puts key under prefix without normalising either: "" + k = k,
// "p/" + k = "p/k", "p" + k = "p/k". A key starting with "/" keeps it
// ("p//k"), unlike the original's path join.
func JoinKey(prefix, key string) string {
	if prefix == "" || strings.HasSuffix(prefix, "/") {
		return prefix + key
	}
	return prefix + "/" + key
}

// Errors a DecodeError wraps, so callers can tell them apart with errors.Is.
var (
	// ErrMalformed: the message is in a known format but broken (bad JSON,
	// a field missing or invalid).
	ErrMalformed = errors.New("malformed message")
	// ErrUnknownFormat: valid JSON that is none of the known formats.
	ErrUnknownFormat = errors.New("unknown message format")
	// ErrUnsupportedVersion: a jobsender message of a schema version or
	// type this worker does not know (sent by a newer jobsender).
	ErrUnsupportedVersion = errors.New("unsupported message version")
)

// DecodeError says why a message cannot be processed. It never contains
// the message body, only the format and field at fault.
type DecodeError struct {
	Kind   error  // ErrMalformed, ErrUnknownFormat or ErrUnsupportedVersion
	Format string // "s3 event", "job v1", … ("" when unknown)
	Field  string // JSON path of the field at fault, e.g. "Records[2].s3.object.key"
	Reason string
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	if e.Format != "" {
		b.WriteString(" (" + e.Format + ")")
	}
	if e.Field != "" {
		b.WriteString(": field " + e.Field)
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	return b.String()
}

func (e *DecodeError) Unwrap() error { return e.Kind }

func malformed(format, field, reason string) error {
	return &DecodeError{Kind: ErrMalformed, Format: format, Field: field, Reason: reason}
}
