package message

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Samples in the shape of the AWS documentation's event message structure.
const s3EventTwoRecords = `{
  "Records": [
    {
      "eventVersion": "2.1",
      "eventSource": "aws:s3",
      "awsRegion": "us-west-2",
      "eventTime": "2024-03-01T12:34:56.789Z",
      "eventName": "ObjectCreated:Put",
      "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
      "requestParameters": {"sourceIPAddress": "127.0.0.1"},
      "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
      "s3": {
        "s3SchemaVersion": "1.0",
        "configurationId": "testConfigRule",
        "bucket": {"name": "amzn-s3-demo-bucket", "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": "arn:aws:s3:::amzn-s3-demo-bucket"},
        "object": {"key": "photos/red+flower%281%29.jpg", "size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e", "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko", "sequencer": "0055AED6DCD90281E5"}
      }
    },
    {
      "eventVersion": "2.1",
      "eventSource": "aws:s3",
      "awsRegion": "us-west-2",
      "eventTime": "2024-03-01T12:34:57.000Z",
      "eventName": "ObjectCreated:CompleteMultipartUpload",
      "s3": {
        "s3SchemaVersion": "1.0",
        "bucket": {"name": "amzn-s3-demo-bucket"},
        "object": {"key": "a%2Bb+c%25d/%E4%B8%AD%E6%96%87.txt", "size": 0, "eTag": "\"9b2cf535f27731c974343645a3985328-2\"", "sequencer": "0055AED6DCD90281E6"}
      }
    }
  ]
}`

const s3EventRemoved = `{"Records":[
 {"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2024-03-01T00:00:00Z","eventName":"ObjectRemoved:Delete",
  "s3":{"bucket":{"name":"src"},"object":{"key":"dir/old+file.txt","sequencer":"0055AED6DCD90281E7"}}},
 {"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2024-03-01T00:00:01Z","eventName":"ObjectRemoved:DeleteMarkerCreated",
  "s3":{"bucket":{"name":"src"},"object":{"key":"v","versionId":"3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY","sequencer":"0055AED6DCD90281E8"}}},
 {"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2024-03-01T00:00:02Z","eventName":"ObjectRestore:Completed",
  "s3":{"bucket":{"name":"src"},"object":{"key":"glacier","size":5,"eTag":"e"}}}
]}`

const s3TestEvent = `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-03-01T00:00:00.000Z","Bucket":"amzn-s3-demo-bucket","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}`

const snsWrapped = `{
  "Type" : "Notification",
  "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Subject" : "Amazon S3 Notification",
  "Message" : "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"eventTime\":\"2024-03-01T00:00:00.000Z\",\"eventName\":\"ObjectCreated:Copy\",\"s3\":{\"bucket\":{\"name\":\"src\"},\"object\":{\"key\":\"x+y%2Bz\",\"size\":7,\"eTag\":\"abc\"}}}]}",
  "Timestamp" : "2024-03-01T00:00:00.000Z",
  "SignatureVersion" : "1"
}`

const eventBridgeCreated = `{
  "version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created",
  "source": "aws.s3", "account": "111122223333", "time": "2021-11-12T00:00:00Z", "region": "ca-central-1",
  "resources": ["arn:aws:s3:::amzn-s3-demo-bucket1"],
  "detail": {"version": "0", "bucket": {"name": "amzn-s3-demo-bucket1"},
    "object": {"key": "example key+plus", "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184", "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", "sequencer": "617f08299329d189"},
    "request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012", "source-ip-address": "1.2.3.4", "reason": "PutObject"}
}`

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Task
	}{
		{"s3 event: every record, keys URL-decoded with + as space", s3EventTwoRecords, []Task{
			{Action: ActionCopy, Origin: OriginS3Event, EventName: "ObjectCreated:Put", EventTime: mustTime("2024-03-01T12:34:56.789Z"),
				Source: Object{Bucket: "amzn-s3-demo-bucket", Key: "photos/red flower(1).jpg", Size: 1024, ETag: "d41d8cd98f00b204e9800998ecf8427e", VersionID: "096fKKXTRTtl3on89fVO.nfljtsv6qko", Sequencer: "0055AED6DCD90281E5"}},
			{Action: ActionCopy, Origin: OriginS3Event, EventName: "ObjectCreated:CompleteMultipartUpload", EventTime: mustTime("2024-03-01T12:34:57Z"),
				Source: Object{Bucket: "amzn-s3-demo-bucket", Key: "a+b c%d/中文.txt", Size: 0, ETag: "9b2cf535f27731c974343645a3985328-2", Sequencer: "0055AED6DCD90281E6"}},
		}},
		{"s3 event: removals delete, other event types are ignored", s3EventRemoved, []Task{
			{Action: ActionDelete, Origin: OriginS3Event, EventName: "ObjectRemoved:Delete", EventTime: mustTime("2024-03-01T00:00:00Z"),
				Source: Object{Bucket: "src", Key: "dir/old file.txt", Sequencer: "0055AED6DCD90281E7"}},
			{Action: ActionDelete, Origin: OriginS3Event, EventName: "ObjectRemoved:DeleteMarkerCreated", EventTime: mustTime("2024-03-01T00:00:01Z"),
				Source: Object{Bucket: "src", Key: "v", VersionID: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", Sequencer: "0055AED6DCD90281E8"}},
			{Action: ActionIgnore, Origin: OriginS3Event, EventName: "ObjectRestore:Completed", EventTime: mustTime("2024-03-01T00:00:02Z"),
				Reason: "event ObjectRestore:Completed neither creates nor removes an object", Source: Object{Bucket: "src", Key: "glacier", ETag: "e"}},
		}},
		{"s3:TestEvent is recognised and dropped", s3TestEvent, []Task{
			{Action: ActionIgnore, Origin: OriginS3Event, EventName: "s3:TestEvent", Reason: "s3:TestEvent (sent by S3 when a notification is configured)"},
		}},
		{"minio-style event name prefix", `{"Records":[{"eventSource":"minio:s3","eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k%20k","size":3}}}]}`, []Task{
			{Action: ActionCopy, Origin: OriginS3Event, EventName: "ObjectCreated:Put", Source: Object{Bucket: "b", Key: "k k", Size: 3}},
		}},
		{"s3 event inside SNS", snsWrapped, []Task{
			{Action: ActionCopy, Origin: OriginSNS, EventName: "ObjectCreated:Copy", EventTime: mustTime("2024-03-01T00:00:00Z"),
				Source: Object{Bucket: "src", Key: "x y+z", Size: 7, ETag: "abc"}},
		}},
		{"eventbridge: key taken as is", eventBridgeCreated, []Task{
			{Action: ActionCopy, Origin: OriginEventBridge, EventName: "Object Created", EventTime: mustTime("2021-11-12T00:00:00Z"),
				Source: Object{Bucket: "amzn-s3-demo-bucket1", Key: "example key+plus", Size: 5, ETag: "b1946ac92492d2347c6235b4d2611184", VersionID: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", Sequencer: "617f08299329d189"}},
		}},
		{"job v1 copy: keys byte-exact, never path-normalised",
			`{"v":1,"type":"copy","src":{"bucket":"s","key":"/a//b/./c/../d ","version_id":"v1","etag":"\"e\"","size":10485760},"dst":{"bucket":"d","key":"p//a//b/./c/../d "}}`,
			[]Task{{Action: ActionCopy, Origin: OriginJob, Source: Object{Bucket: "s", Key: "/a//b/./c/../d ", VersionID: "v1", ETag: "e", Size: 10485760}, Dest: Location{Bucket: "d", Key: "p//a//b/./c/../d "}}}},
		{"job v1 parts",
			`{"v":1,"type":"parts","object_id":"d/big","upload_id":"u-1","part_size":8388608,"first_part":9,"last_part":16,"src":{"bucket":"s","key":"big","etag":"e","size":134217728},"dst":{"bucket":"d","key":"big"}}`,
			[]Task{{Action: ActionParts, Origin: OriginJob, Source: Object{Bucket: "s", Key: "big", ETag: "e", Size: 134217728}, Dest: Location{Bucket: "d", Key: "big"},
				Parts: &PartRange{ObjectID: "d/big", UploadID: "u-1", PartSize: 8388608, First: 9, Last: 16}}}},
		{"job v1 delete", `{"v":1,"type":"delete","dst":{"bucket":"d","key":"gone"}}`,
			[]Task{{Action: ActionDelete, Origin: OriginJob, Dest: Location{Bucket: "d", Key: "gone"}}}},
		{"original jobsender message",
			`{"Src_bucket":"src","Src_key":"dir//x/./y","Size":5242881,"Des_bucket":"dst","Des_key":"prefix/dir//x/./y","versionId":"null"}`,
			[]Task{{Action: ActionCopy, Origin: OriginLegacyJob, Source: Object{Bucket: "src", Key: "dir//x/./y", Size: 5242881}, Dest: Location{Bucket: "dst", Key: "prefix/dir//x/./y"}}}},
		{"unknown fields are tolerated", `{"v":1,"type":"copy","src":{"bucket":"s","key":"k","size":1,"future":true},"dst":{"bucket":"d","key":"k"},"trace":"x"}`,
			[]Task{{Action: ActionCopy, Origin: OriginJob, Source: Object{Bucket: "s", Key: "k", Size: 1}, Dest: Location{Bucket: "d", Key: "k"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.body)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decode:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		kind  error
		field string
	}{
		{"not json", `Src_bucket=a`, ErrMalformed, ""},
		{"json array", `[1,2]`, ErrMalformed, ""},
		{"empty object", `{}`, ErrUnknownFormat, ""},
		{"other json", `{"hello":"world"}`, ErrUnknownFormat, ""},
		{"records empty", `{"Records":[]}`, ErrMalformed, "Records"},
		{"records not s3", `{"Records":[{"eventSource":"aws:dynamodb","eventName":"INSERT"}]}`, ErrUnknownFormat, "Records[0].eventSource"},
		{"second record broken", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k","size":1}}},{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`, ErrMalformed, "Records[1].s3.object.size"},
		{"bad escape in key", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a%zz","size":1}}}]}`, ErrMalformed, "Records[0].s3.object.key"},
		{"empty key", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"","size":1}}}]}`, ErrMalformed, "Records[0].s3.object.key"},
		{"no bucket", `{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{},"object":{"key":"k"}}}]}`, ErrMalformed, "Records[0].s3.bucket.name"},
		{"no event name", `{"Records":[{"s3":{"bucket":{"name":"b"},"object":{"key":"k","size":1}}}]}`, ErrMalformed, "Records[0].eventName"},
		{"size is a string", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k","size":"1"}}}]}`, ErrMalformed, ""},
		{"other s3 test-like event", `{"Event":"s3:Other"}`, ErrUnknownFormat, "Event"},
		{"sns non-notification", `{"Type":"SubscriptionConfirmation","Message":"x","TopicArn":"t"}`, ErrUnknownFormat, "Type"},
		{"sns in sns", `{"Type":"Notification","TopicArn":"t","Message":"{\"Type\":\"Notification\",\"TopicArn\":\"t\",\"Message\":\"{}\"}"}`, ErrMalformed, "Message"},
		{"job in sns", `{"Type":"Notification","TopicArn":"t","Message":"{\"v\":1,\"type\":\"delete\",\"dst\":{\"bucket\":\"d\",\"key\":\"k\"}}"}`, ErrUnknownFormat, "Message"},
		{"eventbridge not s3", `{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}`, ErrUnknownFormat, "source"},
		{"newer schema", `{"v":2,"type":"copy"}`, ErrUnsupportedVersion, "v"},
		{"newer type", `{"v":1,"type":"move","dst":{"bucket":"d","key":"k"}}`, ErrUnsupportedVersion, "type"},
		{"v not int", `{"v":"1"}`, ErrMalformed, "v"},
		{"job without size", `{"v":1,"type":"copy","src":{"bucket":"s","key":"k"},"dst":{"bucket":"d","key":"k"}}`, ErrMalformed, "src.size"},
		{"job negative size", `{"v":1,"type":"copy","src":{"bucket":"s","key":"k","size":-1},"dst":{"bucket":"d","key":"k"}}`, ErrMalformed, "src.size"},
		{"job without dst", `{"v":1,"type":"copy","src":{"bucket":"s","key":"k","size":1}}`, ErrMalformed, "dst"},
		{"job empty dst key", `{"v":1,"type":"copy","src":{"bucket":"s","key":"k","size":1},"dst":{"bucket":"d","key":""}}`, ErrMalformed, "dst.key"},
		{"parts past the end", `{"v":1,"type":"parts","object_id":"o","upload_id":"u","part_size":10,"first_part":1,"last_part":3,"src":{"bucket":"s","key":"k","size":20},"dst":{"bucket":"d","key":"k"}}`, ErrMalformed, "last_part"},
		{"parts reversed", `{"v":1,"type":"parts","object_id":"o","upload_id":"u","part_size":10,"first_part":2,"last_part":1,"src":{"bucket":"s","key":"k","size":20},"dst":{"bucket":"d","key":"k"}}`, ErrMalformed, "last_part"},
		{"parts no upload", `{"v":1,"type":"parts","object_id":"o","part_size":10,"first_part":1,"last_part":1,"src":{"bucket":"s","key":"k","size":20},"dst":{"bucket":"d","key":"k"}}`, ErrMalformed, "upload_id"},
		{"parts too many", `{"v":1,"type":"parts","object_id":"o","upload_id":"u","part_size":1,"first_part":1,"last_part":10001,"src":{"bucket":"s","key":"k","size":20000},"dst":{"bucket":"d","key":"k"}}`, ErrMalformed, "last_part"},
		{"legacy without Des_key", `{"Src_bucket":"s","Src_key":"k","Des_bucket":"d","Size":1}`, ErrMalformed, "Des_key"},
		{"legacy without Size", `{"Src_bucket":"s","Src_key":"k","Des_bucket":"d","Des_key":"k"}`, ErrMalformed, "Size"},
		{"legacy fractional Size", `{"Src_bucket":"s","Src_key":"k","Des_bucket":"d","Des_key":"k","Size":1.5}`, ErrMalformed, "Size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.body)
			if err == nil {
				t.Fatalf("Decode succeeded with %+v, want %v", got, tc.kind)
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %q is not %v", err, tc.kind)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			if de.Field != tc.field {
				t.Fatalf("error %q names field %q, want %q", err, de.Field, tc.field)
			}
		})
	}
}

// An error message names the field, not the content of the body.
func TestDecodeErrorDoesNotEchoBody(t *testing.T) {
	_, err := Decode(`{"Src_bucket":"s","Src_key":"SECRET-KEY-NAME","Des_bucket":"d","Size":1}`)
	if err == nil || strings.Contains(err.Error(), "SECRET-KEY-NAME") {
		t.Fatalf("error %v echoes the body", err)
	}
}

func TestDefaultDest(t *testing.T) {
	tests := []struct{ prefix, key, want string }{
		{"", "a/b", "a/b"},
		{"backup", "a/b", "backup/a/b"},
		{"backup/", "a/b", "backup/a/b"},
		{"backup", "/a//b", "backup//a//b"},
		{"backup", "./x", "backup/./x"},
	}
	for _, tc := range tests {
		tasks, err := Decode(`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"` + tc.key + `","size":1}}}]}`)
		if err != nil {
			t.Fatal(err)
		}
		if !tasks[0].NeedsDest() {
			t.Fatalf("an S3 event task does not ask for a destination")
		}
		got := tasks[0].WithDefaultDest("dst", tc.prefix)
		if got.Dest != (Location{Bucket: "dst", Key: tc.want}) {
			t.Errorf("prefix %q key %q: dest %+v, want dst/%s", tc.prefix, tc.key, got.Dest, tc.want)
		}
		if again := got.WithDefaultDest("other", "x"); again.Dest != got.Dest {
			t.Errorf("WithDefaultDest replaced a set destination")
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	src := Object{Bucket: "s", Key: "dir//\"quoted\" <&> \u2028 \x01 \uFFFE end", VersionID: "v", ETag: "abc", Size: 100}
	dst := Location{Bucket: "d", Key: "p/" + src.Key}
	tests := []Task{
		{Action: ActionCopy, Source: src, Dest: dst},
		{Action: ActionDelete, Dest: dst},
		{Action: ActionParts, Source: src, Dest: dst, Parts: &PartRange{ObjectID: "d/" + dst.Key, UploadID: "u", PartSize: 10, First: 3, Last: 10}},
	}
	for _, want := range tests {
		body, err := Encode(want)
		if err != nil {
			t.Fatalf("Encode(%+v): %v", want, err)
		}
		if strings.ContainsRune(body, 0xFFFE) {
			t.Fatalf("body contains U+FFFE, which SQS refuses: %q", body)
		}
		got, err := Decode(body)
		if err != nil {
			t.Fatalf("Decode(%s): %v", body, err)
		}
		want.Origin = OriginJob
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestEncodeRefusesWhatDecodeRefuses(t *testing.T) {
	bad := []Task{
		{Action: ActionCopy, Source: Object{Bucket: "s", Key: "k", Size: 1}},                                           // no dest
		{Action: ActionCopy, Source: Object{Bucket: "s", Key: "\xff", Size: 1}, Dest: Location{Bucket: "d", Key: "k"}}, // not UTF-8
		{Action: ActionParts, Source: Object{Bucket: "s", Key: "k", Size: 1}, Dest: Location{Bucket: "d", Key: "k"}},   // no range
		{Action: ActionIgnore},
	}
	for _, tc := range bad {
		if body, err := Encode(tc); err == nil {
			t.Errorf("Encode(%+v) = %s, want an error", tc, body)
		}
	}
}
