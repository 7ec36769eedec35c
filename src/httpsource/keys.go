// Package httpsource is a transfer.Source over HTTP(S) URLs, for example a
// list of S3 presigned URLs: Stat with HEAD (or a one-byte ranged GET where
// HEAD is refused), and ranged GETs that are conditional on the pinned
// ETag/Last-Modified, with retries on 5xx, 429 and connection errors.
//
// Query strings (presigned signatures) never appear in keys, logs or errors.
package httpsource

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxKeyBytes is the longest key S3 accepts.
const MaxKeyBytes = 1024

// Entry is one object of the source: where to read it and the key it gets.
type Entry struct {
	URL string // http(s) URL, possibly presigned
	Key string // destination key (relative to the destination prefix)
}

// NewEntry validates rawURL and returns its Entry. An empty key is derived
// from the URL with KeyFromURL.
func NewEntry(rawURL, key string) (Entry, error) {
	u, err := parseHTTPURL(rawURL)
	if err != nil {
		return Entry{}, err
	}
	if key == "" {
		if key, err = keyFromParsed(u); err != nil {
			return Entry{}, err
		}
	} else if err := validKey(key); err != nil {
		return Entry{}, fmt.Errorf("destination key for %s: %w", RedactURL(rawURL), err)
	}
	return Entry{URL: rawURL, Key: key}, nil
}

// KeyFromURL derives a stable key from a URL: its path, percent-decoded,
// without the one leading '/' and without the query string or fragment
// (so that a presigned URL and the same URL re-signed give the same key).
// The host is not part of the key. "https://b.s3.amazonaws.com/a/b%20c.txt?X-Amz-Signature=..."
// gives "a/b c.txt".
func KeyFromURL(rawURL string) (string, error) {
	u, err := parseHTTPURL(rawURL)
	if err != nil {
		return "", err
	}
	return keyFromParsed(u)
}

func keyFromParsed(u *url.URL) (string, error) {
	key := strings.TrimPrefix(u.Path, "/")
	if key == "" {
		return "", fmt.Errorf("URL %s has no path to name the object: give a destination key after the URL", redactParsed(u))
	}
	if err := validKey(key); err != nil {
		return "", fmt.Errorf("key derived from URL %s: %w", redactParsed(u), err)
	}
	return key, nil
}

func validKey(key string) error {
	switch {
	case key == "":
		return errors.New("key is empty")
	case len(key) > MaxKeyBytes:
		return fmt.Errorf("key is %d bytes, S3 allows at most %d", len(key), MaxKeyBytes)
	case !utf8.ValidString(key):
		return errors.New("key is not valid UTF-8")
	}
	return nil
}

// parseHTTPURL parses an absolute http(s) URL. Its errors never hold the
// query string.
func parseHTTPURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, query included
		}
		return nil, fmt.Errorf("not a URL: %s: %v", RedactURL(rawURL), err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return nil, fmt.Errorf("URL %s: scheme must be http or https", RedactURL(rawURL))
	}
	if u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("URL %s: want an absolute URL like https://host/path", RedactURL(rawURL))
	}
	return u, nil
}

// RedactURL returns rawURL fit for logs and errors: the query string
// (where presigned URLs carry their signature) and any password replaced.
func RedactURL(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return redactParsed(u)
	}
	base, _, hasQuery := strings.Cut(rawURL, "?")
	base, _, _ = strings.Cut(base, "#")
	if scheme, rest, ok := strings.Cut(base, "://"); ok {
		authority, path, _ := strings.Cut(rest, "/")
		if i := strings.LastIndex(authority, "@"); i >= 0 {
			authority = "REDACTED@" + authority[i+1:]
		}
		base = scheme + "://" + authority
		if path != "" || strings.Contains(rest, "/") {
			base += "/" + path
		}
	}
	if hasQuery {
		base += "?REDACTED"
	}
	return base
}

func redactParsed(u *url.URL) string {
	r := *u
	r.Fragment, r.RawFragment = "", ""
	if r.User != nil {
		r.User = url.User("REDACTED")
	}
	hasQuery := r.RawQuery != "" || r.ForceQuery
	r.RawQuery, r.ForceQuery = "", false
	s := r.String()
	if hasQuery {
		s += "?REDACTED"
	}
	return s
}
