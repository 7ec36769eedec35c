package message

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Decode turns one message body into its tasks: one per S3 event record
// (in order), or one for a job or sub-job. A message whose tasks are all
// ActionIgnore is still a success to acknowledge. An error is a
// *DecodeError; the message cannot be processed and should be reported as
// failed (it reaches the DLQ after maxReceiveCount).
func Decode(body string) ([]Task, error) {
	return decode([]byte(body), true)
}

func decode(body []byte, allowEnvelope bool) ([]Task, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, &DecodeError{Kind: ErrMalformed, Reason: "not a JSON object: " + jsonErr(err)}
	}
	switch {
	case has(top, "Records"):
		return decodeS3Event(top["Records"], OriginS3Event)
	case has(top, "Event"):
		var ev string
		_ = json.Unmarshal(top["Event"], &ev)
		if ev == "s3:TestEvent" {
			return []Task{{Action: ActionIgnore, Origin: OriginS3Event, EventName: ev, Reason: "s3:TestEvent (sent by S3 when a notification is configured)"}}, nil
		}
		return nil, &DecodeError{Kind: ErrUnknownFormat, Format: "s3 event", Field: "Event", Reason: fmt.Sprintf("event %q is not s3:TestEvent", truncate(ev))}
	case has(top, "Type") && has(top, "Message") && has(top, "TopicArn"):
		return decodeSNS(body, allowEnvelope)
	case has(top, "detail-type") && has(top, "detail"):
		return decodeEventBridge(body)
	case has(top, "v"):
		return decodeJob(body, top)
	case has(top, "Src_bucket") || has(top, "Des_bucket") || has(top, "Src_key"):
		return decodeLegacy(body)
	}
	return nil, &DecodeError{Kind: ErrUnknownFormat, Reason: "neither an S3 event (Records), an SNS or EventBridge envelope, a jobsender job (v) nor an original-format job (Src_bucket)"}
}

func has(m map[string]json.RawMessage, k string) bool {
	_, ok := m[k]
	return ok
}

// jsonErr keeps only the JSON error's description: encoding/json errors
// quote at most a type name or offset, never the body.
func jsonErr(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("syntax error at offset %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("%s cannot hold a JSON %s", fieldOr(e.Field, "value"), e.Value)
	}
	return "invalid JSON"
}

func fieldOr(f, def string) string {
	if f == "" {
		return def
	}
	return f
}

func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// unmarshalStrict decodes a known format; unknown fields are allowed (S3
// and AWS add fields over time) but the types must match.
func unmarshalStrict(data []byte, v any, format string) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return malformed(format, "", jsonErr(err))
	}
	return nil
}

// ---- S3 event notifications ----

type s3EventRecord struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	EventTime   string `json:"eventTime"`
	S3          *struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       *string `json:"key"`
			Size      *int64  `json:"size"`
			ETag      string  `json:"eTag"`
			VersionID string  `json:"versionId"`
			Sequencer string  `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

func decodeS3Event(raw json.RawMessage, origin Origin) ([]Task, error) {
	const format = "s3 event"
	var recs []s3EventRecord
	if err := unmarshalStrict(raw, &recs, format); err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, malformed(format, "Records", "no records")
	}
	tasks := make([]Task, 0, len(recs))
	for i, r := range recs {
		field := func(f string) string { return fmt.Sprintf("Records[%d].%s", i, f) }
		if r.EventSource != "" && !strings.HasSuffix(r.EventSource, ":s3") {
			return nil, &DecodeError{Kind: ErrUnknownFormat, Format: format, Field: field("eventSource"), Reason: fmt.Sprintf("%q is not an S3 event source", truncate(r.EventSource))}
		}
		if r.S3 == nil {
			return nil, malformed(format, field("s3"), "missing")
		}
		name := strings.TrimPrefix(r.EventName, "s3:") // MinIO and others prefix "s3:"
		t := Task{Origin: origin, EventName: name}
		if r.EventTime != "" {
			ts, err := time.Parse(time.RFC3339Nano, r.EventTime)
			if err != nil {
				return nil, malformed(format, field("eventTime"), "not an RFC 3339 time")
			}
			t.EventTime = ts
		}
		switch {
		case strings.HasPrefix(name, "ObjectCreated:"):
			t.Action = ActionCopy
		case strings.HasPrefix(name, "ObjectRemoved:"):
			t.Action = ActionDelete
		case name == "":
			return nil, malformed(format, field("eventName"), "missing")
		default:
			t.Action = ActionIgnore
			t.Reason = fmt.Sprintf("event %s neither creates nor removes an object", truncate(name))
		}
		o := r.S3.Object
		if r.S3.Bucket.Name == "" {
			return nil, malformed(format, field("s3.bucket.name"), "missing or empty")
		}
		if o.Key == nil {
			return nil, malformed(format, field("s3.object.key"), "missing")
		}
		key, err := url.QueryUnescape(*o.Key)
		if err != nil {
			return nil, malformed(format, field("s3.object.key"), "not URL-encoded: "+err.Error())
		}
		if err := checkKey(key); err != nil {
			return nil, malformed(format, field("s3.object.key"), err.Error())
		}
		t.Source = Object{Bucket: r.S3.Bucket.Name, Key: key, VersionID: versionID(o.VersionID), ETag: unquote(o.ETag), Sequencer: o.Sequencer}
		if t.Action == ActionCopy {
			if o.Size == nil {
				return nil, malformed(format, field("s3.object.size"), "missing")
			}
			if *o.Size < 0 {
				return nil, malformed(format, field("s3.object.size"), "negative")
			}
			t.Source.Size = *o.Size
		}
		tasks = append(tasks, t)
	}
	return tasks, nil
}

type snsEnvelope struct {
	Type    string `json:"Type"`
	Message string `json:"Message"`
}

func decodeSNS(body []byte, allowEnvelope bool) ([]Task, error) {
	const format = "sns envelope"
	if !allowEnvelope {
		return nil, malformed(format, "Message", "an envelope inside an envelope")
	}
	var env snsEnvelope
	if err := unmarshalStrict(body, &env, format); err != nil {
		return nil, err
	}
	if env.Type != "Notification" {
		return nil, &DecodeError{Kind: ErrUnknownFormat, Format: format, Field: "Type", Reason: fmt.Sprintf("SNS message type %q is not Notification", truncate(env.Type))}
	}
	tasks, err := decode([]byte(env.Message), false)
	if err != nil {
		if de, ok := err.(*DecodeError); ok {
			de.Format = "sns envelope: " + fieldOr(de.Format, "message")
		}
		return nil, err
	}
	for i := range tasks {
		if tasks[i].Origin == OriginS3Event {
			tasks[i].Origin = OriginSNS
		} else {
			// Jobs are not sent through SNS by s3migrate: refuse rather than guess.
			return nil, &DecodeError{Kind: ErrUnknownFormat, Format: format, Field: "Message", Reason: "only S3 events are accepted inside SNS"}
		}
	}
	return tasks, nil
}

// EventBridge S3 events carry the key as is (not URL-encoded).
type eventBridgeS3 struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Time       string `json:"time"`
	Detail     struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       *string `json:"key"`
			Size      *int64  `json:"size"`
			ETag      string  `json:"etag"`
			VersionID string  `json:"version-id"`
			Sequencer string  `json:"sequencer"`
		} `json:"object"`
	} `json:"detail"`
}

func decodeEventBridge(body []byte) ([]Task, error) {
	const format = "eventbridge s3 event"
	var ev eventBridgeS3
	if err := unmarshalStrict(body, &ev, format); err != nil {
		return nil, err
	}
	if ev.Source != "aws.s3" {
		return nil, &DecodeError{Kind: ErrUnknownFormat, Format: format, Field: "source", Reason: fmt.Sprintf("%q is not aws.s3", truncate(ev.Source))}
	}
	t := Task{Origin: OriginEventBridge, EventName: ev.DetailType}
	if ev.Time != "" {
		ts, err := time.Parse(time.RFC3339Nano, ev.Time)
		if err != nil {
			return nil, malformed(format, "time", "not an RFC 3339 time")
		}
		t.EventTime = ts
	}
	switch ev.DetailType {
	case "Object Created":
		t.Action = ActionCopy
	case "Object Deleted":
		t.Action = ActionDelete
	default:
		t.Action = ActionIgnore
		t.Reason = fmt.Sprintf("event %q neither creates nor removes an object", truncate(ev.DetailType))
	}
	o := ev.Detail.Object
	if ev.Detail.Bucket.Name == "" {
		return nil, malformed(format, "detail.bucket.name", "missing or empty")
	}
	if o.Key == nil {
		return nil, malformed(format, "detail.object.key", "missing")
	}
	if err := checkKey(*o.Key); err != nil {
		return nil, malformed(format, "detail.object.key", err.Error())
	}
	t.Source = Object{Bucket: ev.Detail.Bucket.Name, Key: *o.Key, VersionID: versionID(o.VersionID), ETag: unquote(o.ETag), Sequencer: o.Sequencer}
	if t.Action == ActionCopy {
		if o.Size == nil || *o.Size < 0 {
			return nil, malformed(format, "detail.object.size", "missing or negative")
		}
		t.Source.Size = *o.Size
	}
	return []Task{t}, nil
}

// ---- jobsender jobs ----

// wireObject and wireJob are the v1 schema on the wire.
type wireObject struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"version_id,omitempty"`
	ETag      string `json:"etag,omitempty"`
	Size      *int64 `json:"size,omitempty"`
}

type wireLocation struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

type wireJob struct {
	V        int           `json:"v"`
	Type     string        `json:"type"`
	Src      *wireObject   `json:"src,omitempty"`
	Dst      *wireLocation `json:"dst,omitempty"`
	ObjectID string        `json:"object_id,omitempty"`
	UploadID string        `json:"upload_id,omitempty"`
	PartSize int64         `json:"part_size,omitempty"`
	First    int32         `json:"first_part,omitempty"`
	Last     int32         `json:"last_part,omitempty"`
}

// SchemaVersion is the jobsender schema this package writes and reads.
const SchemaVersion = 1

// MaxParts is S3's limit on the parts of one multipart upload.
const MaxParts = 10000

func decodeJob(body []byte, top map[string]json.RawMessage) ([]Task, error) {
	var v int
	if err := json.Unmarshal(top["v"], &v); err != nil {
		return nil, malformed("job", "v", "not an integer")
	}
	if v != SchemaVersion {
		return nil, &DecodeError{Kind: ErrUnsupportedVersion, Format: "job", Field: "v", Reason: fmt.Sprintf("version %d; this worker reads version %d (upgrade the worker)", v, SchemaVersion)}
	}
	const format = "job v1"
	var j wireJob
	if err := unmarshalStrict(body, &j, format); err != nil {
		return nil, err
	}
	t := Task{Origin: OriginJob}
	switch j.Type {
	case "copy":
		t.Action = ActionCopy
	case "delete":
		t.Action = ActionDelete
	case "parts":
		t.Action = ActionParts
	case "":
		return nil, malformed(format, "type", "missing")
	default:
		return nil, &DecodeError{Kind: ErrUnsupportedVersion, Format: format, Field: "type", Reason: fmt.Sprintf("type %q is not copy, delete or parts (upgrade the worker)", truncate(j.Type))}
	}
	if j.Dst == nil {
		return nil, malformed(format, "dst", "missing")
	}
	if j.Dst.Bucket == "" {
		return nil, malformed(format, "dst.bucket", "missing or empty")
	}
	if err := checkKey(j.Dst.Key); err != nil {
		return nil, malformed(format, "dst.key", err.Error())
	}
	t.Dest = Location{Bucket: j.Dst.Bucket, Key: j.Dst.Key}
	if t.Action == ActionDelete {
		if j.Src != nil {
			if j.Src.Key != "" {
				if err := checkKey(j.Src.Key); err != nil {
					return nil, malformed(format, "src.key", err.Error())
				}
			}
			t.Source = Object{Bucket: j.Src.Bucket, Key: j.Src.Key, VersionID: versionID(j.Src.VersionID), ETag: unquote(j.Src.ETag)}
		}
		return []Task{t}, nil
	}
	if j.Src == nil {
		return nil, malformed(format, "src", "missing")
	}
	if j.Src.Bucket == "" {
		return nil, malformed(format, "src.bucket", "missing or empty")
	}
	if err := checkKey(j.Src.Key); err != nil {
		return nil, malformed(format, "src.key", err.Error())
	}
	if j.Src.Size == nil {
		return nil, malformed(format, "src.size", "missing")
	}
	if *j.Src.Size < 0 {
		return nil, malformed(format, "src.size", "negative")
	}
	t.Source = Object{Bucket: j.Src.Bucket, Key: j.Src.Key, VersionID: versionID(j.Src.VersionID), ETag: unquote(j.Src.ETag), Size: *j.Src.Size}
	if t.Action == ActionParts {
		pr := PartRange{ObjectID: j.ObjectID, UploadID: j.UploadID, PartSize: j.PartSize, First: j.First, Last: j.Last}
		if err := checkRange(pr, t.Source.Size); err != nil {
			return nil, err
		}
		t.Parts = &pr
	}
	return []Task{t}, nil
}

func checkRange(pr PartRange, size int64) error {
	const format = "job v1"
	switch {
	case pr.ObjectID == "":
		return malformed(format, "object_id", "missing or empty")
	case pr.UploadID == "":
		return malformed(format, "upload_id", "missing or empty")
	case pr.PartSize <= 0:
		return malformed(format, "part_size", "missing or not positive")
	case pr.First < 1 || pr.First > MaxParts:
		return malformed(format, "first_part", fmt.Sprintf("%d is not in 1..%d", pr.First, MaxParts))
	case pr.Last < pr.First || pr.Last > MaxParts:
		return malformed(format, "last_part", fmt.Sprintf("%d is not in first_part..%d", pr.Last, MaxParts))
	case int64(pr.First-1) > (size-1)/pr.PartSize || size == 0:
		return malformed(format, "first_part", "starts beyond the end of the object")
	case int64(pr.Last-1) > (size-1)/pr.PartSize:
		return malformed(format, "last_part", "ends beyond the end of the object")
	}
	return nil
}

// legacyJob is the original system's jobsender message.
type legacyJob struct {
	SrcBucket string       `json:"Src_bucket"`
	SrcKey    *string      `json:"Src_key"`
	DesBucket string       `json:"Des_bucket"`
	DesKey    *string      `json:"Des_key"`
	Size      *json.Number `json:"Size"`
	VersionID string       `json:"versionId"`
}

func decodeLegacy(body []byte) ([]Task, error) {
	const format = "original job"
	var j legacyJob
	if err := unmarshalStrict(body, &j, format); err != nil {
		return nil, err
	}
	switch {
	case j.SrcBucket == "":
		return nil, malformed(format, "Src_bucket", "missing or empty")
	case j.SrcKey == nil:
		return nil, malformed(format, "Src_key", "missing")
	case j.DesBucket == "":
		return nil, malformed(format, "Des_bucket", "missing or empty")
	case j.DesKey == nil:
		return nil, malformed(format, "Des_key", "missing")
	case j.Size == nil:
		return nil, malformed(format, "Size", "missing")
	}
	if err := checkKey(*j.SrcKey); err != nil {
		return nil, malformed(format, "Src_key", err.Error())
	}
	if err := checkKey(*j.DesKey); err != nil {
		return nil, malformed(format, "Des_key", err.Error())
	}
	size, err := j.Size.Int64()
	if err != nil || size < 0 {
		return nil, malformed(format, "Size", "not a non-negative integer")
	}
	return []Task{{
		Action: ActionCopy,
		Origin: OriginLegacyJob,
		Source: Object{Bucket: j.SrcBucket, Key: *j.SrcKey, VersionID: versionID(j.VersionID), Size: size},
		Dest:   Location{Bucket: j.DesBucket, Key: *j.DesKey},
	}}, nil
}

// checkKey accepts any non-empty valid UTF-8 key: S3 keys are UTF-8.
func checkKey(k string) error {
	if k == "" {
		return fmt.Errorf("empty key")
	}
	if !utf8.ValidString(k) {
		return fmt.Errorf("key is not valid UTF-8")
	}
	return nil
}

func unquote(etag string) string {
	if len(etag) >= 2 && etag[0] == '"' && etag[len(etag)-1] == '"' {
		return etag[1 : len(etag)-1]
	}
	return etag
}

// versionID maps "null", S3's version id of an object written while
// versioning was off, to "": the copy then pins by ETag, which every
// S3-compatible store understands.
func versionID(v string) string {
	if v == "null" {
		return ""
	}
	return v
}
