package message

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

func FuzzDecode(f *testing.F) {
	for _, s := range []string{s3EventTwoRecords, s3EventRemoved, s3TestEvent, snsWrapped, eventBridgeCreated,
		`{"v":1,"type":"parts","object_id":"d/big","upload_id":"u-1","part_size":8,"first_part":1,"last_part":2,"src":{"bucket":"s","key":"big","size":16},"dst":{"bucket":"d","key":"big"}}`,
		`{"Src_bucket":"src","Src_key":"k","Size":1,"Des_bucket":"dst","Des_key":"k"}`,
		`{"v":1,"type":"delete","dst":{"bucket":"d","key":"k"}}`, `{}`, `[]`, `null`, `{"Records":null}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		tasks, err := Decode(body)
		if err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			return
		}
		if len(tasks) == 0 {
			t.Fatalf("no error and no tasks")
		}
		for _, tk := range tasks {
			if tk.Action == ActionIgnore {
				continue
			}
			tk = tk.WithDefaultDest("dst", "p")
			body2, err := Encode(tk)
			if err != nil {
				t.Fatalf("Encode of a decoded task %+v: %v", tk, err)
			}
			back, err := Decode(body2)
			if err != nil {
				t.Fatalf("Decode(Encode(%+v)) = %v", tk, err)
			}
			if !reflect.DeepEqual(back[0], asJob(tk)) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", back[0], asJob(tk))
			}
		}
	})
}

// asJob is what a task becomes after Encode → Decode: only the job fields.
func asJob(t Task) Task {
	j := Task{Action: t.Action, Origin: OriginJob, Dest: t.Dest, Parts: t.Parts}
	switch t.Action {
	case ActionCopy, ActionParts:
		j.Source = Object{Bucket: t.Source.Bucket, Key: t.Source.Key, VersionID: t.Source.VersionID, ETag: t.Source.ETag, Size: t.Source.Size}
	case ActionDelete:
		j.Source = Object{Bucket: t.Source.Bucket, Key: t.Source.Key, VersionID: t.Source.VersionID, ETag: t.Source.ETag}
	}
	return j
}

func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add("src", "a b/+c%20", "v1", "etag", int64(100), "dst", "p//a b/+c%20", int64(10), int32(1), int32(10), uint8(0))
	f.Add("s", "\u00e9\uFFFF", "", "", int64(0), "d", "k", int64(0), int32(0), int32(0), uint8(1))
	f.Add("s", "k", "", "", int64(5<<30), "d", "k", int64(8<<20), int32(600), int32(640), uint8(2))
	f.Fuzz(func(t *testing.T, sb, sk, ver, etag string, size int64, db, dk string, ps int64, first, last int32, kind uint8) {
		tk := Task{Source: Object{Bucket: sb, Key: sk, VersionID: ver, ETag: etag, Size: size}, Dest: Location{Bucket: db, Key: dk}}
		switch kind % 3 {
		case 0:
			tk.Action = ActionCopy
		case 1:
			tk.Action = ActionDelete
		case 2:
			tk.Action = ActionParts
			tk.Parts = &PartRange{ObjectID: db + "/" + dk, UploadID: "u", PartSize: ps, First: first, Last: last}
		}
		body, err := Encode(tk)
		if err != nil {
			return // invalid input refused by the encoder: fine
		}
		if !utf8.ValidString(body) {
			t.Fatalf("encoded body is not UTF-8")
		}
		got, err := Decode(body)
		if err != nil {
			t.Fatalf("Decode(Encode(%+v)) = %v (body %s)", tk, err, body)
		}
		want := asJob(tk)
		want.Source.ETag = unquote(want.Source.ETag)
		want.Source.VersionID = versionID(want.Source.VersionID)
		if tk.Action == ActionDelete && want.Source.Bucket == "" && want.Source.Key == "" {
			want.Source = Object{}
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
	})
}
