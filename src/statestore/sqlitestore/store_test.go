package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/s3migrate/s3migrate/src/transfer"
)

func TestStoreKeepsRecordsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Load(ctx, "b/k"); err != nil || ok {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	want := transfer.ObjectState{ID: "b/ key+%//x", Status: transfer.StatusRunning, UploadID: "u1", PartSize: 5 << 20,
		Source: transfer.SourceVersion{Size: 42, ETag: "abc", VersionID: "v1", LastModified: time.Unix(100, 0).UTC()}}
	if err := s.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	want.Status, want.Attempts = transfer.StatusDone, 2
	if err := s.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, ok, err := s.Load(ctx, want.ID)
	if err != nil || !ok {
		t.Fatalf("load after reopen: ok=%v err=%v", ok, err)
	}
	if got.Status != transfer.StatusDone || got.Attempts != 2 || got.UploadID != "u1" || !got.Source.Same(want.Source) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	var n int
	if err := s.List(ctx, func(transfer.ObjectState) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("list: %d records, err %v", n, err)
	}
}
