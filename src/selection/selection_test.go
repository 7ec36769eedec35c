package selection

import (
	"strings"
	"testing"
)

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		in      string
		want    Location
		wantErr bool
	}{
		{"s3://b", Location{"b", ""}, true}, // one-letter bucket is invalid
		{"s3://bucket", Location{"bucket", ""}, false},
		{"s3://bucket/", Location{"bucket", ""}, false},
		{"s3://bucket/a/b/", Location{"bucket", "a/b/"}, false},
		{"s3://bucket//lead", Location{"bucket", "/lead"}, false},
		{"s3://bucket/a%20b+c", Location{"bucket", "a%20b+c"}, false},
		{"s3://bucket/./x/../y", Location{"bucket", "./x/../y"}, false},
		{"https://bucket/x", Location{}, true},
		{"s3:///x", Location{}, true},
		{"s3://bad bucket/x", Location{}, true},
		{"s3://bucket/" + strings.Repeat("k", 1025), Location{}, true},
	}
	for _, tc := range tests {
		got, err := ParseS3URL(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseS3URL(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if err == nil && got != tc.want {
			t.Errorf("ParseS3URL(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestDestKey(t *testing.T) {
	tests := []struct {
		src, dst, key, want string
	}{
		{"s3://src/photos/", "s3://dst/archive/photos/", "photos/2020/a b+c.jpg", "archive/photos/2020/a b+c.jpg"},
		{"s3://src/photos/", "s3://dst/archive/photos/", "photos/", "archive/photos/"},
		{"s3://src", "s3://dst", "//x//y", "//x//y"},
		{"s3://src/", "s3://dst/p/", "/lead", "p//lead"},
		{"s3://src/a/b.txt", "s3://dst/c.txt", "a/b.txt", "c.txt"},
		{"s3://src/a/b.txt", "s3://dst/in/", "a/b.txt", "in/b.txt"},
	}
	for _, tc := range tests {
		src, _ := ParseS3URL(tc.src)
		dst, _ := ParseS3URL(tc.dst)
		if got := DestKey(src, dst, tc.key); got != tc.want {
			t.Errorf("DestKey(%s, %s, %q) = %q, want %q", tc.src, tc.dst, tc.key, got, tc.want)
		}
	}
}

func TestFilter(t *testing.T) {
	f, _ := NewFilter([]string{"*.jpg", "docs/*"}, []string{"*/tmp/*", "secret?.jpg"})
	tests := map[string]bool{
		"a.jpg":          true,
		"x/y/z.jpg":      true,
		"docs/readme":    true,
		"a.png":          false,
		"x/tmp/a.jpg":    false,
		"secret1.jpg":    false,
		"secret12.jpg":   true,
		"a.jpg.bak":      false,
		"[weird](.jpg)":  false,
		"[weird](x).jpg": true,
	}
	for k, want := range tests {
		if got := f.Match(k); got != want {
			t.Errorf("Match(%q) = %v, want %v", k, got, want)
		}
	}
	var none *Filter
	if !none.Match("anything") {
		t.Error("a nil filter must select everything")
	}
}

func TestReadKeyList(t *testing.T) {
	var keys []string
	err := ReadKeyList(strings.NewReader("a b\r\n\n/lead//x\n+%2B\n"), func(k string) error { keys = append(keys, k); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a b", "/lead//x", "+%2B"}
	if strings.Join(keys, "|") != strings.Join(want, "|") {
		t.Fatalf("keys = %q, want %q", keys, want)
	}
}

func FuzzParseS3URL(f *testing.F) {
	for _, s := range []string{"s3://bucket/a//b/", "s3://b.c-d/%zz+ ", "s3://bucket", "s3://x/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseS3URL(s)
		if err != nil {
			return
		}
		if got := l.String(); got != s && got != s+"/" {
			t.Fatalf("round trip %q -> %q", s, got)
		}
		// Mapping a key under the prefix to another prefix is byte-exact.
		if l.IsPrefix() {
			k := l.Key + "x y/+%"
			if DestKey(l, Location{Bucket: "dst", Key: "p/"}, k) != "p/x y/+%" {
				t.Fatalf("DestKey changed bytes of %q", k)
			}
		}
	})
}

func FuzzGlob(f *testing.F) {
	f.Add("*.jpg", "a/b.jpg")
	f.Add("a?c[", "abc[")
	f.Fuzz(func(t *testing.T, glob, key string) {
		fl, err := NewFilter([]string{glob}, nil)
		if err != nil {
			return
		}
		_ = fl.Match(key)
		// A glob without wildcards matches exactly itself.
		if !strings.ContainsAny(glob, "*?") && fl.Match(key) != (glob == key) {
			t.Fatalf("literal glob %q vs %q", glob, key)
		}
	})
}
