package message

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// EncodeCopy returns the v1 job that copies src to dst.
func EncodeCopy(src Object, dst Location) (string, error) {
	return Encode(Task{Action: ActionCopy, Source: src, Dest: dst})
}

// EncodeDelete returns the v1 job that deletes dst.
func EncodeDelete(dst Location) (string, error) {
	return Encode(Task{Action: ActionDelete, Dest: dst})
}

// EncodeParts returns the v1 sub-job for a range of a giant object's parts.
func EncodeParts(src Object, dst Location, r PartRange) (string, error) {
	return Encode(Task{Action: ActionParts, Source: src, Dest: dst, Parts: &r})
}

// Encode writes a copy, delete or parts Task as a v1 job, which Decode
// reads back as the same Task (Origin job; S3-event-only fields dropped).
// It refuses what Decode would refuse, so a sender never queues a message
// that can only end in the DLQ.
func Encode(t Task) (string, error) {
	// encoding/json would silently turn invalid UTF-8 into U+FFFD: a
	// different key. Refuse instead.
	fields := []string{t.Source.Bucket, t.Source.Key, t.Source.VersionID, t.Source.ETag, t.Dest.Bucket, t.Dest.Key}
	if t.Parts != nil {
		fields = append(fields, t.Parts.ObjectID, t.Parts.UploadID)
	}
	for _, f := range fields {
		if !utf8.ValidString(f) {
			return "", fmt.Errorf("encode job: a bucket, key, version, ETag or upload id is not valid UTF-8 (S3 names are UTF-8)")
		}
	}
	j := wireJob{V: SchemaVersion, Type: string(t.Action), Dst: &wireLocation{Bucket: t.Dest.Bucket, Key: t.Dest.Key}}
	switch t.Action {
	case ActionCopy, ActionParts:
		size := t.Source.Size
		j.Src = &wireObject{Bucket: t.Source.Bucket, Key: t.Source.Key, VersionID: versionID(t.Source.VersionID), ETag: unquote(t.Source.ETag), Size: &size}
		if t.Action == ActionParts {
			if t.Parts == nil {
				return "", fmt.Errorf("encode parts job: no part range")
			}
			j.ObjectID, j.UploadID, j.PartSize, j.First, j.Last = t.Parts.ObjectID, t.Parts.UploadID, t.Parts.PartSize, t.Parts.First, t.Parts.Last
		}
	case ActionDelete:
		if t.Source.Bucket != "" || t.Source.Key != "" {
			j.Src = &wireObject{Bucket: t.Source.Bucket, Key: t.Source.Key, VersionID: versionID(t.Source.VersionID), ETag: unquote(t.Source.ETag)}
		}
	default:
		return "", fmt.Errorf("encode job: action %q cannot be sent as a job (copy, delete or parts)", t.Action)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return "", fmt.Errorf("encode job: %w", err)
	}
	body := sqsSafe(bytes.TrimRight(buf.Bytes(), "\n"))
	// Validate with the decoder itself: one source of truth for what is valid.
	if _, err := decode(body, false); err != nil {
		return "", fmt.Errorf("encode job: %w", err)
	}
	return string(body), nil
}

// sqsSafe escapes the characters SQS refuses in a message body (it allows
// #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF). encoding/json
// already escapes control characters; U+FFFE and U+FFFF remain.
func sqsSafe(b []byte) []byte {
	if !bytes.ContainsRune(b, 0xFFFE) && !bytes.ContainsRune(b, 0xFFFF) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch r {
		case 0xFFFE:
			out = append(out, `\ufffe`...)
		case 0xFFFF:
			out = append(out, `\uffff`...)
		default:
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}
