// Package selection decides which source keys a run copies and where they
// land: s3:// URL parsing, include/exclude globs, key-list files and the
// source→destination key mapping. Keys are byte strings: nothing here
// cleans or normalises a path.
package selection

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Location is a bucket and a key or prefix, parsed from s3://bucket/key.
type Location struct {
	Bucket string
	Key    string // may be "" (whole bucket), end in "/" (prefix) or be one key
}

func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Key }

// ParseS3URL parses s3://bucket[/key]. The key is taken byte for byte
// (no percent-decoding, no cleaning of "//" or "./").
func ParseS3URL(s string) (Location, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return Location{}, fmt.Errorf("%q is not an s3:// URL (expected s3://bucket/prefix/)", s)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if err := validBucket(bucket); err != nil {
		return Location{}, fmt.Errorf("%q: %w", s, err)
	}
	if len(key) > 1024 {
		return Location{}, fmt.Errorf("%q: key is %d bytes, S3 allows 1024", s, len(key))
	}
	return Location{Bucket: bucket, Key: key}, nil
}

var bucketRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{1,254}$`)

func validBucket(b string) error {
	if b == "" {
		return fmt.Errorf("no bucket name")
	}
	if !bucketRE.MatchString(b) {
		return fmt.Errorf("bucket name %q is not valid (letters, digits, '.', '-', '_'; 2-255 characters)", b)
	}
	return nil
}

// IsPrefix reports whether the location names a prefix (or a whole bucket)
// rather than one key.
func (l Location) IsPrefix() bool { return l.Key == "" || strings.HasSuffix(l.Key, "/") }

// DestKey maps a source key under src to its destination key under dst.
// Prefix copies keep the part of the key after the source prefix; a single
// key copied to a prefix keeps its last path element (as aws s3 cp does).
func DestKey(src, dst Location, srcKey string) string {
	if src.IsPrefix() {
		return dst.Key + strings.TrimPrefix(srcKey, src.Key)
	}
	if dst.IsPrefix() {
		base := srcKey
		if i := strings.LastIndexByte(strings.TrimSuffix(srcKey, "/"), '/'); i >= 0 {
			base = srcKey[i+1:]
		}
		return dst.Key + base
	}
	return dst.Key
}

// Filter selects keys by include and exclude globs matched against the key
// relative to the source prefix. '*' matches any run of bytes (including
// '/'), '?' one byte; everything else is literal. A key is selected when it
// matches no exclude and, if includes are given, at least one include.
type Filter struct {
	include, exclude []string
}

// NewFilter returns a filter for the globs.
func NewFilter(include, exclude []string) (*Filter, error) {
	for _, g := range append(append([]string(nil), include...), exclude...) {
		if g == "" {
			return nil, fmt.Errorf("empty include/exclude pattern: give a glob such as '*.tmp'")
		}
	}
	return &Filter{include: include, exclude: exclude}, nil
}

// Match reports whether rel (a key relative to the source prefix) is selected.
func (f *Filter) Match(rel string) bool {
	if f == nil {
		return true
	}
	for _, g := range f.exclude {
		if globMatch(g, rel) {
			return false
		}
	}
	if len(f.include) == 0 {
		return true
	}
	for _, g := range f.include {
		if globMatch(g, rel) {
			return true
		}
	}
	return false
}

// globMatch matches bytes with '*' and '?' in linear time (greedy with one
// backtrack point, the classic wildcard algorithm).
func globMatch(glob, s string) bool {
	gi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case gi < len(glob) && (glob[gi] == '?' || glob[gi] == s[si]) && glob[gi] != '*':
			gi++
			si++
		case gi < len(glob) && glob[gi] == '*':
			star, mark = gi, si
			gi++
		case star >= 0:
			gi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for gi < len(glob) && glob[gi] == '*' {
		gi++
	}
	return gi == len(glob)
}

// ReadKeyList reads one source key per line. Lines are taken byte for byte
// except the line ending; empty lines are skipped. A key may not contain a
// newline (S3 allows it; such keys cannot be listed this way).
func ReadKeyList(r io.Reader, fn func(key string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	line := 0
	for sc.Scan() {
		line++
		k := strings.TrimSuffix(sc.Text(), "\r")
		if k == "" {
			continue
		}
		if len(k) > 1024 {
			return fmt.Errorf("key list line %d: key is %d bytes, S3 allows 1024", line, len(k))
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("key list: %w", err)
	}
	return nil
}
