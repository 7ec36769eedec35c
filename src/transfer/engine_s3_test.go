package transfer_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3migrate/s3migrate/src/emulator"
	"github.com/s3migrate/s3migrate/src/s3side"
	"github.com/s3migrate/s3migrate/src/statestore/sqlitestore"
	"github.com/s3migrate/s3migrate/src/transfer"
)

// sides starts two S3 servers and returns the engine's source and destination.
func sides(t *testing.T) (*emulator.S3Server, *s3side.Bucket, *emulator.S3Server, *s3side.Destination) {
	t.Helper()
	ctx := context.Background()
	open := func(srv *emulator.S3Server, bucket string) *s3side.Bucket {
		srv.CreateBucket(t, bucket)
		c, err := s3side.New(ctx, s3side.Config{Region: srv.Region, Endpoint: srv.Endpoint, PathStyle: true,
			AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey})
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.Bucket(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	src, dst := emulator.StartS3(t), emulator.StartS3(t)
	return src, open(src, "src"), dst, open(dst, "dst").Destination()
}

// TestChecksumCarriedThroughMultipart: a source with a full-object CRC32C
// is copied in parts and the destination verifies and reports the same CRC.
func TestChecksumCarriedThroughMultipart(t *testing.T) {
	ctx := context.Background()
	srcSrv, src, dstSrv, dst := sides(t)
	body := make([]byte, 12<<20+5)
	rand.Read(body)
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme} {
		key := "obj-" + string(alg)
		put, err := srcSrv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String(key),
			Body: bytes.NewReader(body), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		want := aws.ToString(put.ChecksumCRC32C) + aws.ToString(put.ChecksumCRC64NVME)
		eng, err := transfer.New(src, dst, nil, transfer.Options{PartsInFlight: 4}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := eng.Copy(ctx, transfer.Job{SourceKey: key, DestKey: key})
		if r.Err != nil || r.Method != transfer.MethodMultipart || r.Parts != 3 {
			t.Fatalf("%s: copy = %+v", alg, r)
		}
		h, err := dstSrv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String(key),
			ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		got := aws.ToString(h.ChecksumCRC32C) + aws.ToString(h.ChecksumCRC64NVME)
		if got != want || h.ChecksumType != types.ChecksumTypeFullObject {
			t.Fatalf("%s: destination checksum %q (%s), source %q", alg, got, h.ChecksumType, want)
		}
	}
}

// TestStopStartingLeavesResumableUpload: closing StopStarting before the
// first part ends the call Incomplete with the upload recorded; the next
// call finishes from the parts S3 lists and sends only the rest.
func TestStopStartingLeavesResumableUpload(t *testing.T) {
	ctx := context.Background()
	srcSrv, src, _, dst := sides(t)
	body := make([]byte, 16<<20)
	rand.Read(body)
	if _, err := srcSrv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("big"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	store, err := sqlitestore.Open(ctx, t.TempDir()+"/state.db")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	eng, err := transfer.New(src, dst, store, transfer.Options{PartsInFlight: 1}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	close(stop)
	r := eng.Copy(ctx, transfer.Job{SourceKey: "big", DestKey: "big", StopStarting: stop})
	if !r.Incomplete || r.Status != transfer.StatusRunning || r.Err != nil || r.Sent != 0 {
		t.Fatalf("stopped copy = %+v, want incomplete with nothing sent", r)
	}
	st, ok, _ := store.Load(ctx, "big")
	if !ok || st.UploadID == "" || st.Status != transfer.StatusRunning {
		t.Fatalf("state after stop = %+v, want RUNNING with the upload id", st)
	}
	// Send part 1 by hand, as an earlier invocation would have.
	mp := transfer.Multipart{SourceKey: "big", DestKey: "big", Source: st.Source, UploadID: st.UploadID}
	mp.Plan, _ = transfer.NewPartPlan(int64(len(body)), st.PartSize)
	if _, err := eng.SendParts(ctx, mp, []int32{1}, nil); err != nil {
		t.Fatal(err)
	}
	r = eng.Copy(ctx, transfer.Job{SourceKey: "big", DestKey: "big"})
	if r.Err != nil || r.Status != transfer.StatusDone || r.Skipped != 5<<20 || r.Sent != int64(len(body))-5<<20 {
		t.Fatalf("resumed copy = %+v, want part 1 skipped and the rest sent", r)
	}
}

// TestLostStateSendsNothingForCopiedObjects: with the state file gone, a
// re-run proves a multipart copy identical by recomputing its ETag from the
// source and sends nothing; a same-size object with other bytes is copied.
func TestLostStateSendsNothingForCopiedObjects(t *testing.T) {
	ctx := context.Background()
	srcSrv, src, _, dst := sides(t)
	body := make([]byte, 11<<20+3)
	rand.Read(body)
	for _, k := range []string{"same", "other"} {
		if _, err := srcSrv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String(k), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := transfer.New(src, dst, nil, transfer.Options{PartsInFlight: 4}, nil, nil)
	for _, k := range []string{"same", "other"} {
		if r := first.Copy(ctx, transfer.Job{SourceKey: k, DestKey: k}); r.Err != nil || r.Method != transfer.MethodMultipart {
			t.Fatalf("first copy of %s = %+v", k, r)
		}
	}
	// The source of "other" changes, same size: the destination's multipart
	// ETag no longer matches what the source gives.
	other := append([]byte(nil), body...)
	other[7] ^= 1
	if _, err := srcSrv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("other"), Body: bytes.NewReader(other)}); err != nil {
		t.Fatal(err)
	}
	second, _ := transfer.New(src, dst, nil, transfer.Options{PartsInFlight: 4}, nil, nil) // no state: as if the file was lost
	if r := second.Copy(ctx, transfer.Job{SourceKey: "same", DestKey: "same"}); r.Err != nil || r.Method != transfer.MethodUnchanged || r.Sent != 0 {
		t.Fatalf("re-run without state = %+v, want unchanged with 0 bytes sent", r)
	}
	if r := second.Copy(ctx, transfer.Job{SourceKey: "other", DestKey: "other"}); r.Err != nil || r.Sent != int64(len(body)) {
		t.Fatalf("same size, other bytes = %+v, want a full copy", r)
	}
}

// TestServerSideCopyWhenOneCredentialReadsBoth: source and destination on
// one endpoint with one set of keys copy with CopyObject, keeping metadata.
func TestServerSideCopyWhenOneCredentialReadsBoth(t *testing.T) {
	ctx := context.Background()
	srv := emulator.StartS3(t)
	srv.CreateBucket(t, "one")
	srv.CreateBucket(t, "two")
	c, err := s3side.New(ctx, s3side.Config{Region: srv.Region, Endpoint: srv.Endpoint, PathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := c.Bucket(ctx, "one")
	dstBucket, _ := c.Bucket(ctx, "two")
	body := []byte("copied inside the endpoint")
	if _, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("one"), Key: aws.String("k"),
		Body: bytes.NewReader(body), ContentType: aws.String("text/x-test"), Metadata: map[string]string{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		disable bool
		want    transfer.Method
	}{{false, transfer.MethodServerCopy}, {true, transfer.MethodPut}} {
		eng, _ := transfer.New(src, dstBucket.Destination(), nil, transfer.Options{DisableServerSideCopy: tc.disable}, nil, nil)
		key := "k-" + string(tc.want)
		r := eng.Copy(ctx, transfer.Job{SourceKey: "k", DestKey: key})
		if r.Err != nil || r.Method != tc.want {
			t.Fatalf("disable=%v: copy = %+v, want method %s", tc.disable, r, tc.want)
		}
		h, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("two"), Key: aws.String(key)})
		if err != nil || aws.ToInt64(h.ContentLength) != int64(len(body)) || aws.ToString(h.ContentType) != "text/x-test" || h.Metadata["a"] != "b" {
			t.Fatalf("disable=%v: destination %+v, %v", tc.disable, h, err)
		}
	}
}

// TestUploadWithOtherSettingsIsNotResumed: an upload begun with one storage
// class is aborted, not continued, when the next run asks for another.
func TestUploadWithOtherSettingsIsNotResumed(t *testing.T) {
	ctx := context.Background()
	srcSrv, src, dstSrv, dst := sides(t)
	body := make([]byte, 11<<20)
	rand.Read(body)
	if _, err := srcSrv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("k"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	store, err := sqlitestore.Open(ctx, t.TempDir()+"/state.db")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	stop := make(chan struct{})
	close(stop)
	first, _ := transfer.New(src, dst, store, transfer.Options{Put: transfer.PutOptions{StorageClass: "STANDARD"}}, nil, nil)
	if r := first.Copy(ctx, transfer.Job{SourceKey: "k", DestKey: "k", StopStarting: stop}); !r.Incomplete {
		t.Fatalf("first run = %+v, want incomplete", r)
	}
	st, _, _ := store.Load(ctx, "k")
	mp := transfer.Multipart{SourceKey: "k", DestKey: "k", Source: st.Source, UploadID: st.UploadID}
	mp.Plan, _ = transfer.NewPartPlan(int64(len(body)), st.PartSize)
	if _, err := first.SendParts(ctx, mp, []int32{1}, nil); err != nil {
		t.Fatal(err)
	}
	second, _ := transfer.New(src, dst, store, transfer.Options{Put: transfer.PutOptions{StorageClass: "STANDARD_IA"}}, nil, nil)
	if r := second.Copy(ctx, transfer.Job{SourceKey: "k", DestKey: "k"}); r.Err != nil || r.Status != transfer.StatusDone || r.Skipped != 0 {
		t.Fatalf("second run = %+v, want a new upload (nothing skipped)", r)
	}
	ups, err := dstSrv.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups.Uploads {
		if aws.ToString(u.UploadId) == st.UploadID {
			t.Fatalf("the upload made with the other storage class (%s) is still there", st.UploadID)
		}
	}
	if after, _, _ := store.Load(ctx, "k"); after.UploadID != "" {
		t.Fatalf("state after the copy still names upload %s", after.UploadID)
	}
}
