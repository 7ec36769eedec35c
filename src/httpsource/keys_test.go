package httpsource_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/s3migrate/s3migrate/src/httpsource"
)

func TestKeyFromURL(t *testing.T) {
	long := strings.Repeat("a", 1024)
	tests := []struct {
		url, key, wantErr string
	}{
		{"https://b.s3.amazonaws.com/photos/a.jpg", "photos/a.jpg", ""},
		{"https://b.s3.amazonaws.com/photos/a.jpg?X-Amz-Signature=abc&X-Amz-Expires=60", "photos/a.jpg", ""},
		{"https://h/a%20b+c%25d.txt", "a b+c%d.txt", ""},
		{"https://h//double//slash", "/double//slash", ""},
		{"https://h/dir/", "dir/", ""},
		{"https://h/%E4%BD%A0%E5%A5%BD", "你好", ""},
		{"https://h/a%2Fb", "a/b", ""},
		{"HTTP://H/x#frag", "x", ""},
		{"https://h/" + long, long, ""},
		{"https://h/" + long + "b", "", "at most 1024"},
		{"https://h/", "", "no path"},
		{"https://h", "", "no path"},
		{"https://h/%ff", "", "UTF-8"},
		{"ftp://h/x", "", "scheme must be http"},
		{"/relative/x", "", "scheme must be http"},
		{"https:///nohost", "", "absolute URL"},
		{"https:opaque", "", "absolute URL"},
		{"https://h/%zz?X-Amz-Signature=SECRET", "", "not a URL"},
	}
	for _, tt := range tests {
		key, err := httpsource.KeyFromURL(tt.url)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("KeyFromURL(%q) = %q, %v; want error %q", tt.url, key, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("KeyFromURL(%q) error leaks the query: %v", tt.url, err)
			}
			continue
		}
		if err != nil || key != tt.key {
			t.Errorf("KeyFromURL(%q) = %q, %v; want %q", tt.url, key, err, tt.key)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://b.s3.amazonaws.com/k?X-Amz-Signature=abc", "https://b.s3.amazonaws.com/k?REDACTED"},
		{"https://user:pw@h/k", "https://REDACTED@h/k"},
		{"https://h/k", "https://h/k"},
		{"https://h/%zz?sig=SECRET", "https://h/%zz?REDACTED"},
		{"https://u:p@h/%zz?sig=SECRET", "https://REDACTED@h/%zz?REDACTED"},
	}
	for _, tt := range tests {
		if got := httpsource.RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseList(t *testing.T) {
	in := "\uFEFF# presigned URLs for the migration\n" +
		"https://b.s3.amazonaws.com/a/1.jpg?X-Amz-Signature=s1\n" +
		"\n" +
		"   # indented comment\n" +
		"https://b.s3.amazonaws.com/a/2.jpg?X-Amz-Signature=s2   renamed/two.jpg  \r\n" +
		"https://h/x\tkey with spaces.txt\n" +
		"https://h/y#not-a-comment\n"
	entries, err := httpsource.ParseList(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []httpsource.Entry{
		{URL: "https://b.s3.amazonaws.com/a/1.jpg?X-Amz-Signature=s1", Key: "a/1.jpg"},
		{URL: "https://b.s3.amazonaws.com/a/2.jpg?X-Amz-Signature=s2", Key: "renamed/two.jpg"},
		{URL: "https://h/x", Key: "key with spaces.txt"},
		{URL: "https://h/y#not-a-comment", Key: "y"},
	}
	if len(entries) != len(want) {
		t.Fatalf("entries = %+v", entries)
	}
	for i := range want {
		if entries[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, entries[i], want[i])
		}
	}

	bad := "https://h/ok\nftp://h/x?sig=SECRET1\nhttps://h/?sig=SECRET2\n"
	_, err = httpsource.ParseList(strings.NewReader(bad))
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("ParseList(bad) = %v, want errors for lines 2 and 3", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("ParseList error leaks a signature: %v", err)
	}
}

// FuzzKeyFromURL: keys are valid S3 keys, the same for any query string,
// and errors never show the query.
func FuzzKeyFromURL(f *testing.F) {
	for _, s := range []string{"https://h/a.jpg", "https://h/a%20b", "http://h//x", "https://h/%ff", "https://h/", "x", "https://h/a%2F%3Fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		base, _, _ := strings.Cut(raw, "?")
		base, _, _ = strings.Cut(base, "#")
		const sig = "X-Amz-Signature=FUZZSECRET42"
		signed := base + "?" + sig
		key, err := httpsource.KeyFromURL(signed)
		if err != nil {
			if strings.Contains(err.Error(), "FUZZSECRET42") {
				t.Fatalf("error leaks the query: %v", err)
			}
			return
		}
		if key == "" || len(key) > httpsource.MaxKeyBytes || !utf8.ValidString(key) {
			t.Fatalf("KeyFromURL(%q) = %q: not a valid S3 key", signed, key)
		}
		plain, err := httpsource.KeyFromURL(base)
		if err != nil || plain != key {
			t.Fatalf("key depends on the query: %q vs %q (%v)", key, plain, err)
		}
		if u, err := url.Parse(base); err == nil && strings.TrimPrefix(u.Path, "/") != key {
			t.Fatalf("key %q is not the decoded path %q", key, u.Path)
		}
	})
}

// FuzzParseList: every entry is a valid http(s) URL with a valid key, and
// a signature in a query never appears in an error.
func FuzzParseList(f *testing.F) {
	f.Add("https://h/a\nhttps://h/b key b\n# c\n")
	f.Add("\uFEFFhttps://h/x\t y \r\n")
	f.Add("ftp://h/x\n")
	f.Add("https://h/%ff k\nhttps://h/%ff\n")
	f.Fuzz(func(t *testing.T, in string) {
		// Sign every URL (the first word of a line); keys may hold '?' themselves.
		lines := strings.Split(in, "\n")
		for i, l := range lines {
			j := strings.IndexAny(l, " \t")
			if j < 0 {
				j = len(l)
			}
			lines[i] = strings.ReplaceAll(l[:j], "?", "?X-Amz-Signature=FUZZSECRET42&") + strings.ReplaceAll(l[j:], "FUZZSECRET42", "")
		}
		in = strings.Join(lines, "\n")
		entries, err := httpsource.ParseList(strings.NewReader(in))
		if err != nil {
			if strings.Contains(err.Error(), "FUZZSECRET42") {
				t.Fatalf("error leaks a signature: %v", err)
			}
			return
		}
		for _, e := range entries {
			if e.Key == "" || len(e.Key) > httpsource.MaxKeyBytes || !utf8.ValidString(e.Key) || strings.Contains(e.Key, "FUZZSECRET42") {
				t.Fatalf("bad key %q", e.Key)
			}
			if _, err := httpsource.NewEntry(e.URL, e.Key); err != nil {
				t.Fatalf("entry %+v does not validate: %v", e, err)
			}
			if strings.ContainsAny(e.URL, " \t\r\n") {
				t.Fatalf("URL %q holds whitespace", e.URL)
			}
		}
	})
}
