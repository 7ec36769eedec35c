package copytest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestProbeIfMatch(t *testing.T) {
	w, _ := newWorld(t, worldOptions{})
	o1 := w.src.put(t, "k", randomBytes(1, 40*mib))
	h1 := w.src.head(t, "k")
	o2 := w.src.put(t, "k", randomBytes(2, 40*mib))
	h2 := w.src.head(t, "k")
	t.Logf("put1 %s head1 %s put2 %s head2 %s", aws.ToString(o1.ETag), aws.ToString(h1.ETag), aws.ToString(o2.ETag), aws.ToString(h2.ETag))
	out, err := w.src.c.GetObject(testCtx(t), &s3.GetObjectInput{Bucket: aws.String(srcBucket), Key: aws.String("k"), Range: aws.String("bytes=0-9"), IfMatch: h1.ETag})
	t.Logf("get if-match old: %v %v", out != nil, err)
	if out != nil {
		t.Logf("etag %s", aws.ToString(out.ETag))
	}
}
