package dynamostore

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/s3migrate/s3migrate/src/transfer"
)

// Attribute names of an item (see the package comment for the schema).
const (
	attrID             = "id"
	attrStatus         = "status"
	attrSourceKey      = "source_key"
	attrDestKey        = "dest_key"
	attrAttempts       = "attempts"
	attrSrcETag        = "src_etag"
	attrSrcVersion     = "src_version"
	attrSrcSize        = "src_size"
	attrSrcModified    = "src_last_modified"
	attrUploadID       = "upload_id"
	attrPartSize       = "part_size"
	attrSettings       = "upload_settings"
	attrBytes          = "bytes"
	attrDestETag       = "dest_etag"
	attrFirstStart     = "first_start"
	attrLastStart      = "last_start"
	attrEnd            = "end"
	attrDurationMS     = "duration_ms"
	attrWorkerID       = "worker_id"
	attrLeaseUntil     = "lease_until"
	attrLastError      = "last_error"
	attrTTL            = "ttl"
	attrTotalParts     = "total_parts"
	attrPartsRemaining = "parts_remaining"
	attrDoneRanges     = "done_ranges"
)

func strAV(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func numAV(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
func timeAV(t time.Time) types.AttributeValue {
	return strAV(t.UTC().Format(time.RFC3339Nano))
}

// stateFields returns the ObjectState fields as attributes to SET and the
// names of empty ones to REMOVE (empty strings and zero times are not
// stored, so an item never holds a stale upload id).
func stateFields(st transfer.ObjectState) (set map[string]types.AttributeValue, remove []string) {
	set = map[string]types.AttributeValue{}
	str := func(name, v string) {
		if v == "" {
			remove = append(remove, name)
		} else {
			set[name] = strAV(v)
		}
	}
	tm := func(name string, v time.Time) {
		if v.IsZero() {
			remove = append(remove, name)
		} else {
			set[name] = timeAV(v)
		}
	}
	num := func(name string, v int64) {
		if v == 0 {
			remove = append(remove, name)
		} else {
			set[name] = numAV(v)
		}
	}
	str(attrStatus, string(st.Status))
	str(attrSourceKey, st.SourceKey)
	str(attrDestKey, st.DestKey)
	set[attrAttempts] = numAV(int64(st.Attempts))
	str(attrSrcETag, st.Source.ETag)
	str(attrSrcVersion, st.Source.VersionID)
	set[attrSrcSize] = numAV(st.Source.Size)
	tm(attrSrcModified, st.Source.LastModified)
	str(attrUploadID, st.UploadID)
	num(attrPartSize, st.PartSize)
	str(attrSettings, st.Settings)
	set[attrBytes] = numAV(st.Bytes)
	str(attrDestETag, st.DestETag)
	tm(attrFirstStart, st.FirstStart)
	tm(attrLastStart, st.LastStart)
	tm(attrEnd, st.End)
	str(attrWorkerID, st.WorkerID)
	str(attrLastError, st.Error)
	return set, remove
}

// fromItem reads an item back into an ObjectState.
func fromItem(item map[string]types.AttributeValue) (transfer.ObjectState, error) {
	var st transfer.ObjectState
	var err error
	getS := func(name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	getN := func(name string) int64 {
		v, ok := item[name].(*types.AttributeValueMemberN)
		if !ok {
			return 0
		}
		x, e := strconv.ParseInt(v.Value, 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("attribute %s = %q is not an integer", name, v.Value)
		}
		return x
	}
	getT := func(name string) time.Time {
		v := getS(name)
		if v == "" {
			return time.Time{}
		}
		t, e := time.Parse(time.RFC3339Nano, v)
		if e != nil && err == nil {
			err = fmt.Errorf("attribute %s = %q is not an RFC 3339 time", name, v)
		}
		return t
	}
	st.ID = getS(attrID)
	st.Status = transfer.Status(getS(attrStatus))
	st.SourceKey = getS(attrSourceKey)
	st.DestKey = getS(attrDestKey)
	st.Attempts = int(getN(attrAttempts))
	st.Source = transfer.SourceVersion{ETag: getS(attrSrcETag), VersionID: getS(attrSrcVersion), Size: getN(attrSrcSize), LastModified: getT(attrSrcModified)}
	st.UploadID = getS(attrUploadID)
	st.PartSize = getN(attrPartSize)
	st.Settings = getS(attrSettings)
	st.Bytes = getN(attrBytes)
	st.DestETag = getS(attrDestETag)
	st.FirstStart = getT(attrFirstStart)
	st.LastStart = getT(attrLastStart)
	st.End = getT(attrEnd)
	st.WorkerID = getS(attrWorkerID)
	st.Error = getS(attrLastError)
	return st, err
}

// expr builds an update or condition expression with every attribute name
// as a placeholder (status, end, bytes, ttl, size are reserved words).
type expr struct {
	names  map[string]string
	values map[string]types.AttributeValue
	nv     int
}

func newExpr() *expr {
	return &expr{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// N returns the placeholder of an attribute name.
func (e *expr) N(name string) string {
	p := "#" + name
	e.names[p] = name
	return p
}

// V returns a placeholder for a value.
func (e *expr) V(v types.AttributeValue) string {
	e.nv++
	p := ":v" + strconv.Itoa(e.nv)
	e.values[p] = v
	return p
}

func (e *expr) valuesOrNil() map[string]types.AttributeValue {
	if len(e.values) == 0 {
		return nil
	}
	return e.values
}
