package s3side

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/s3migrate/s3migrate/src/emulator"
	"github.com/s3migrate/s3migrate/src/transfer"
)

func TestCanServerCopy(t *testing.T) {
	t.Parallel()
	a, other := emulator.StartS3(t), emulator.StartS3(t)
	a.CreateBucket(t, "src")
	a.CreateBucket(t, "dst")
	other.CreateBucket(t, "dst")
	src := sideFor(t, a, "src", nil)
	c := src.client
	sameClient, err := c.Bucket(testCtx(t), "dst")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dst  *Destination
		src  transfer.Source
		want bool
	}{
		{"same client", sameClient.Destination(), src, true},
		{"same endpoint, region and keys, another client", sideFor(t, a, "dst", nil).Destination(), src, true},
		{"same endpoint, other keys", sideFor(t, a, "dst", func(c *Config) { c.SecretAccessKey = "other" }).Destination(), src, false},
		{"same endpoint, other region", sideFor(t, a, "dst", func(c *Config) { c.Region = "eu-west-1" }).Destination(), src, false},
		{"other endpoint", sideFor(t, other, "dst", nil).Destination(), src, false},
		{"anonymous source", sideFor(t, a, "dst", nil).Destination(), sideFor(t, a, "src", func(c *Config) { c.AccessKeyID, c.SecretAccessKey, c.Anonymous = "", "", true }), false},
		{"a Destination is not a source", sideFor(t, a, "dst", nil).Destination(), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.dst.CanServerCopy(tt.src); got != tt.want {
				t.Fatalf("CanServerCopy = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestServerCopyObjectAndParts(t *testing.T) {
	t.Parallel()
	srv := emulator.StartS3(t, emulator.WithVersioning())
	srv.CreateBucket(t, "src")
	srv.CreateBucket(t, "dst")
	srv.EnableVersioning(t, "src")
	src := sideFor(t, srv, "src", func(c *Config) { c.CopyTags = true })
	dst := sideFor(t, srv, "dst", func(c *Config) { c.CopyTags = true }).Destination()
	ctx := testCtx(t)
	if !dst.CanServerCopy(src) {
		t.Fatal("same server and keys: CanServerCopy false")
	}

	body := randBytes(t, 6<<20+5)
	key := "odd key+%/ü//x"
	mustPut(t, src.Destination(), key, body, transfer.PutOptions{Meta: transfer.Metadata{ContentType: "image/x", User: map[string]string{"a": "1"}, Tags: map[string]string{"t": "v"}}})
	so, err := src.Stat(ctx, key)
	if err != nil || so.Version.VersionID == "" {
		t.Fatalf("Stat: %+v %v", so, err)
	}
	old := so.Version

	// CopyObject carries the metadata given (the engine passes the source's).
	etag, err := dst.CopyObject(ctx, src, key, old, "copied", transfer.PutOptions{Meta: so.Meta})
	if err != nil {
		t.Fatal(err)
	}
	if etag != old.ETag {
		t.Fatalf("CopyObject ETag %s, want the source's %s", etag, old.ETag)
	}
	got, err := dst.Stat(ctx, "copied")
	if err != nil || got.Size != old.Size || got.Meta.ContentType != "image/x" || got.Meta.User["a"] != "1" || got.Meta.Tags["t"] != "v" {
		t.Fatalf("copied object: %+v %v", got, err)
	}

	// The source changes: the pinned version is still copied by version id…
	mustPut(t, src.Destination(), key, []byte("replaced"), transfer.PutOptions{})
	if _, err := dst.CopyObject(ctx, src, key, old, "copied-old", transfer.PutOptions{}); err != nil {
		t.Fatalf("copy of the pinned (now non-current) version: %v", err)
	}
	if d, err := dst.Stat(ctx, "copied-old"); err != nil || d.Size != old.Size {
		t.Fatalf("copied-old: %+v %v", d, err)
	}
	// …but a pin whose ETag no longer holds (no version id) is refused.
	unversioned := old
	unversioned.VersionID = ""
	if _, err := dst.CopyObject(ctx, src, key, unversioned, "refused", transfer.PutOptions{}); !errors.Is(err, transfer.ErrSourceChanged) {
		t.Fatalf("CopyObject of a changed source: %v", err)
	}
	xid, err := dst.CreateUpload(ctx, "x", transfer.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.CopyPart(ctx, src, key, unversioned, "x", xid, 1, 0, 10); !errors.Is(err, transfer.ErrSourceChanged) {
		t.Fatalf("CopyPart of a source that shrank: %v", err)
	}
	sameSize := bytes.Repeat([]byte("z"), int(old.Size))
	mustPut(t, src.Destination(), key, sameSize, transfer.PutOptions{})
	if _, err := dst.CopyPart(ctx, src, key, unversioned, "x", xid, 1, 0, 10); !errors.Is(err, transfer.ErrSourceChanged) {
		t.Fatalf("CopyPart of a source overwritten with as many bytes: %v", err)
	}
	if err := src.ReadRange(ctx, key, unversioned, old.Size-10, make([]byte, 10)); !errors.Is(err, transfer.ErrSourceChanged) {
		t.Fatalf("ReadRange of a source overwritten with as many bytes: %v", err)
	}

	// UploadPartCopy: two ranges of the pinned version make the object.
	id, err := dst.CreateUpload(ctx, "by-parts", transfer.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	split := int64(5 << 20)
	var parts []transfer.Part
	for i, r := range [][2]int64{{0, split}, {split, old.Size - split}} {
		etag, err := dst.CopyPart(ctx, src, key, old, "by-parts", id, int32(i+1), r[0], r[1])
		if err != nil {
			t.Fatalf("CopyPart %d: %v", i+1, err)
		}
		sum := md5.Sum(body[r[0] : r[0]+r[1]])
		if etag != hex.EncodeToString(sum[:]) {
			t.Fatalf("CopyPart %d ETag %s", i+1, etag)
		}
		parts = append(parts, transfer.Part{Number: int32(i + 1), Size: r[1], ETag: etag})
	}
	if _, err := dst.Complete(ctx, "by-parts", id, parts, nil); err != nil {
		t.Fatal(err)
	}
	d, err := dst.Stat(ctx, "by-parts")
	if err != nil {
		t.Fatal(err)
	}
	if read := readAll(t, dst.Bucket(), "by-parts", transfer.SourceVersion{Size: d.Size, ETag: d.ETag}, 4<<20); !bytes.Equal(read, body) {
		t.Fatal("object assembled by UploadPartCopy differs from the source version")
	}
	if _, err := dst.CopyPart(ctx, src, key, old, "by-parts", id, 3, old.Size-1, 2); !errors.Is(err, transfer.ErrSourceChanged) {
		t.Fatalf("CopyPart past the pinned size: %v", err)
	}
}

func TestCopySourceEncoding(t *testing.T) {
	tests := []struct{ bucket, key, version, want string }{
		{"b", "plain/key.txt", "", "b/plain/key.txt"},
		{"b", "a b+c%d", "", "b/a%20b%2Bc%25d"},
		{"b", "/lead//x", "", "b//lead//x"},
		{"b", "ü?#&=", "v1", "b/%C3%BC%3F%23%26%3D?versionId=v1"},
		{"b", "k", "a+b/c=", "b/k?versionId=a%2Bb%2Fc%3D"},
	}
	for _, tt := range tests {
		if got := copySource(tt.bucket, tt.key, tt.version); got != tt.want {
			t.Errorf("copySource(%q, %q, %q) = %q, want %q", tt.bucket, tt.key, tt.version, got, tt.want)
		}
	}
}
