package transfer

import (
	"testing"
	"time"
)

func TestNewPartPlan(t *testing.T) {
	tests := []struct {
		name               string
		size, partSize     int64
		wantPartSize       int64
		wantParts          int32
		wantLastPartLength int64
	}{
		{"zero bytes", 0, 0, 5 * MiB, 1, 0},
		{"one byte", 1, 0, 5 * MiB, 1, 1},
		{"exactly one part", 5 * MiB, 0, 5 * MiB, 1, 5 * MiB},
		{"one byte over", 5*MiB + 1, 0, 5 * MiB, 2, 1},
		{"10,000 parts exactly", 10000 * 5 * MiB, 0, 5 * MiB, 10000, 5 * MiB},
		{"one byte over 10,000 parts grows the part", 10000*5*MiB + 1, 0, 6 * MiB, 8334, 10000*5*MiB + 1 - 8333*6*MiB},
		{"5 TiB", 5 * TiB, 0, 525 * MiB, 9987, 5*TiB - 9986*525*MiB},
		{"custom part size kept", 100 * MiB, 16 * MiB, 16 * MiB, 7, 4 * MiB},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPartPlan(tc.size, tc.partSize)
			if err != nil {
				t.Fatal(err)
			}
			if p.PartSize != tc.wantPartSize || p.Parts != tc.wantParts {
				t.Fatalf("plan = %d parts of %d, want %d parts of %d", p.Parts, p.PartSize, tc.wantParts, tc.wantPartSize)
			}
			if p.Parts > MaxParts {
				t.Fatalf("plan has %d parts, above S3's limit", p.Parts)
			}
			var total int64
			for n := int32(1); n <= p.Parts; n++ {
				off, l := p.Range(n)
				if off != total {
					t.Fatalf("part %d starts at %d, want %d", n, off, total)
				}
				if n < p.Parts && l != p.PartSize {
					t.Fatalf("part %d is %d bytes, want %d", n, l, p.PartSize)
				}
				if n < p.Parts && l < MinPartSize {
					t.Fatalf("part %d is %d bytes, below S3's minimum", n, l)
				}
				total += l
			}
			if total != tc.size {
				t.Fatalf("parts cover %d bytes, want %d", total, tc.size)
			}
			if _, l := p.Range(p.Parts); l != tc.wantLastPartLength {
				t.Fatalf("last part is %d bytes, want %d", l, tc.wantLastPartLength)
			}
		})
	}
}

func TestNewPartPlanRejects(t *testing.T) {
	tests := []struct {
		name           string
		size, partSize int64
	}{
		{"negative size", -1, 0},
		{"above 5 TiB", 5*TiB + 1, 0},
		{"part below 5 MiB", 100 * MiB, 4 * MiB},
		{"part above 5 GiB", 100 * GiB, 6 * GiB},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewPartPlan(tc.size, tc.partSize); err == nil {
				t.Fatal("NewPartPlan accepted it")
			}
		})
	}
}

func FuzzPartPlan(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(int64(5*TiB), int64(0))
	f.Add(int64(10000*5*MiB+1), int64(5*MiB))
	f.Fuzz(func(t *testing.T, size, partSize int64) {
		p, err := NewPartPlan(size, partSize)
		if err != nil {
			return
		}
		if p.Parts < 1 || p.Parts > MaxParts || p.PartSize < MinPartSize || p.PartSize > MaxPartSize {
			t.Fatalf("plan out of S3's limits: %+v", p)
		}
		off, l := p.Range(p.Parts)
		if off+l != size || l < 0 || (p.Parts > 1 && l == 0) {
			t.Fatalf("last part [%d,+%d) does not end the %d-byte object", off, l, size)
		}
	})
}

func TestSourceVersionSame(t *testing.T) {
	t1, t2 := time.Unix(100, 0), time.Unix(200, 0)
	tests := []struct {
		name string
		a, b SourceVersion
		want bool
	}{
		{"same etag", SourceVersion{Size: 1, ETag: "x"}, SourceVersion{Size: 1, ETag: "x"}, true},
		{"other etag", SourceVersion{Size: 1, ETag: "x"}, SourceVersion{Size: 1, ETag: "y"}, false},
		{"other size", SourceVersion{Size: 1, ETag: "x"}, SourceVersion{Size: 2, ETag: "x"}, false},
		{"same version", SourceVersion{Size: 1, VersionID: "v", ETag: "x"}, SourceVersion{Size: 1, VersionID: "v"}, true},
		{"other version", SourceVersion{Size: 1, VersionID: "v", ETag: "x"}, SourceVersion{Size: 1, VersionID: "w", ETag: "x"}, false},
		{"one etag missing", SourceVersion{Size: 1, ETag: "x"}, SourceVersion{Size: 1}, false},
		{"no etags, same time", SourceVersion{Size: 1, LastModified: t1}, SourceVersion{Size: 1, LastModified: t1}, true},
		{"no etags, other time", SourceVersion{Size: 1, LastModified: t1}, SourceVersion{Size: 1, LastModified: t2}, false},
		{"nothing to compare", SourceVersion{Size: 1}, SourceVersion{Size: 1}, false},
	}
	for _, tc := range tests {
		if got := tc.a.Same(tc.b); got != tc.want {
			t.Errorf("%s: Same = %v, want %v", tc.name, got, tc.want)
		}
	}
}
