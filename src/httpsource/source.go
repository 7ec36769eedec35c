package httpsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/s3migrate/s3migrate/src/netx"
	"github.com/s3migrate/s3migrate/src/transfer"
)

// Options tune a Source. The zero value is usable.
type Options struct {
	// HTTPClient does the requests; nil means a netx client with defaults.
	HTTPClient *http.Client
	// RetryMax is how many times a request is retried after a 5xx, a 429,
	// a connection error or a body cut short; 0 means 5, negative means none.
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the backoff (exponential with full
	// jitter; a Retry-After header wins); 0 means 200ms and 20s.
	RetryWaitMin, RetryWaitMax time.Duration
	// Logger receives retry logs (URLs redacted); nil means slog.Default().
	Logger *slog.Logger
}

// Source reads the objects of a URL list. It is safe for concurrent use.
type Source struct {
	byKey  map[string]string // key -> URL
	keys   []string          // sorted
	client *retryablehttp.Client
}

var (
	_ transfer.Source = (*Source)(nil)
	_ transfer.Lister = (*Source)(nil)
)

// New returns a Source over entries. Two entries with the same key are an
// error (give explicit keys in the list to tell them apart).
func New(entries []Entry, opt Options) (*Source, error) {
	s := &Source{byKey: make(map[string]string, len(entries))}
	for _, e := range entries {
		if _, err := parseHTTPURL(e.URL); err != nil {
			return nil, fmt.Errorf("http source: %w", err)
		}
		if err := validKey(e.Key); err != nil {
			return nil, fmt.Errorf("http source: key of %s: %w", RedactURL(e.URL), err)
		}
		if prev, dup := s.byKey[e.Key]; dup {
			return nil, fmt.Errorf("http source: %s and %s both give key %q: give one of them an explicit destination key in the list", RedactURL(prev), RedactURL(e.URL), e.Key)
		}
		s.byKey[e.Key] = e.URL
		s.keys = append(s.keys, e.Key)
	}
	slices.Sort(s.keys)

	hc := opt.HTTPClient
	if hc == nil {
		var err error
		if hc, err = netx.NewHTTPClient(netx.Config{}); err != nil {
			return nil, fmt.Errorf("http source: %w", err)
		}
	}
	switch {
	case opt.RetryMax == 0:
		opt.RetryMax = 5
	case opt.RetryMax < 0:
		opt.RetryMax = 0
	}
	if opt.RetryWaitMin <= 0 {
		opt.RetryWaitMin = 200 * time.Millisecond
	}
	if opt.RetryWaitMax <= 0 {
		opt.RetryWaitMax = 20 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s.client = &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       retryLogger{opt.Logger},
		RetryWaitMin: opt.RetryWaitMin,
		RetryWaitMax: opt.RetryWaitMax,
		RetryMax:     opt.RetryMax,
		CheckRetry:   checkRetry,
		Backoff:      backoff,
		ErrorHandler: giveUp,
	}
	return s, nil
}

// Keys returns every key of the source, sorted. Copying a URL list should
// walk these (each object then fails or succeeds on its own) rather than
// List, which stops at the first URL that cannot be read.
func (s *Source) Keys() []string { return slices.Clone(s.keys) }

// Stat returns the current version of key: HEAD, or GET of the first byte
// when the server refuses HEAD (a presigned GET URL is signed for GET only).
func (s *Source) Stat(ctx context.Context, key string) (transfer.SourceObject, error) {
	u, ok := s.byKey[key]
	if !ok {
		return transfer.SourceObject{}, fmt.Errorf("http source: key %q is not in the URL list: %w", key, transfer.ErrNotFound)
	}
	var obj transfer.SourceObject
	err := s.do(ctx, http.MethodHead, u, nil, func(resp *http.Response) error {
		switch resp.StatusCode {
		case http.StatusOK:
			if resp.ContentLength < 0 {
				return permanent(errHeadRefused) // no size in the HEAD answer: ask with a GET
			}
			obj = objectFrom(resp, resp.ContentLength)
			return nil
		case http.StatusForbidden, http.StatusMethodNotAllowed, http.StatusNotImplemented, http.StatusBadRequest:
			return permanent(errHeadRefused)
		}
		return statusError(resp, u, key)
	})
	if !errors.Is(err, errHeadRefused) {
		return obj, err
	}
	hdr := http.Header{"Range": {"bytes=0-0"}}
	err = s.do(ctx, http.MethodGet, u, hdr, func(resp *http.Response) error {
		switch resp.StatusCode {
		case http.StatusPartialContent, http.StatusRequestedRangeNotSatisfiable:
			_, _, total, err := parseContentRange(resp.Header.Get("Content-Range"))
			if err != nil || total < 0 {
				return permanent(fmt.Errorf("http source: GET %s (key %q): no object size in Content-Range %q", RedactURL(u), key, resp.Header.Get("Content-Range")))
			}
			obj = objectFrom(resp, total)
			return nil
		case http.StatusOK: // the server ignored Range; the size is the whole body's
			if resp.ContentLength < 0 {
				return permanent(fmt.Errorf("http source: GET %s (key %q): the server sends neither Content-Length nor ranges, so the size is unknown", RedactURL(u), key))
			}
			obj = objectFrom(resp, resp.ContentLength)
			return nil
		}
		return statusError(resp, u, key)
	})
	return obj, err
}

// ReadRange fills buf with bytes [off, off+len(buf)) of the pinned version.
// The GET carries If-Match (or If-Unmodified-Since) and If-Range, and the
// answer's validators and Content-Range are checked, so a resource that
// changed gives an error wrapping transfer.ErrSourceChanged.
func (s *Source) ReadRange(ctx context.Context, key string, pin transfer.SourceVersion, off int64, buf []byte) error {
	u, ok := s.byKey[key]
	if !ok {
		return fmt.Errorf("http source: key %q is not in the URL list: %w", key, transfer.ErrNotFound)
	}
	if len(buf) == 0 {
		return nil
	}
	end := off + int64(len(buf)) - 1
	if off < 0 || end >= pin.Size {
		return fmt.Errorf("http source: read of bytes %d-%d of key %q is outside its pinned size %d", off, end, key, pin.Size)
	}
	hdr := http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", off, end)}}
	switch {
	case strongETag(pin.ETag):
		hdr.Set("If-Match", `"`+pin.ETag+`"`)
		hdr.Set("If-Range", `"`+pin.ETag+`"`)
	case !pin.LastModified.IsZero():
		lm := pin.LastModified.UTC().Format(http.TimeFormat)
		hdr.Set("If-Unmodified-Since", lm)
		hdr.Set("If-Range", lm)
	}
	return s.do(ctx, http.MethodGet, u, hdr, func(resp *http.Response) error {
		switch resp.StatusCode {
		case http.StatusPartialContent:
			first, last, total, err := parseContentRange(resp.Header.Get("Content-Range"))
			if err != nil || first != off || last != end || (total >= 0 && total != pin.Size) {
				return permanent(fmt.Errorf("http source: GET %s (key %q) answered Content-Range %q for bytes %d-%d of %d: %w",
					RedactURL(u), key, resp.Header.Get("Content-Range"), off, end, pin.Size, transfer.ErrSourceChanged))
			}
			if err := checkValidators(resp, pin); err != nil {
				return permanent(fmt.Errorf("http source: GET %s (key %q): %w", RedactURL(u), key, err))
			}
		case http.StatusOK: // no range support, or If-Range found a new version
			if err := checkValidators(resp, pin); err != nil {
				return permanent(fmt.Errorf("http source: GET %s (key %q): %w", RedactURL(u), key, err))
			}
			if resp.ContentLength >= 0 && resp.ContentLength != pin.Size {
				return permanent(fmt.Errorf("http source: GET %s (key %q) has %d bytes, pinned %d: %w", RedactURL(u), key, resp.ContentLength, pin.Size, transfer.ErrSourceChanged))
			}
			if _, err := io.CopyN(io.Discard, resp.Body, off); err != nil {
				return fmt.Errorf("http source: GET %s (key %q): skip to byte %d: %w", RedactURL(u), key, off, redactErr(err))
			}
		case http.StatusPreconditionFailed, http.StatusRequestedRangeNotSatisfiable:
			return permanent(fmt.Errorf("http source: GET %s (key %q) answered %s: %w", RedactURL(u), key, resp.Status, transfer.ErrSourceChanged))
		default:
			return statusError(resp, u, key)
		}
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return fmt.Errorf("http source: GET %s (key %q) bytes %d-%d: %w", RedactURL(u), key, off, end, redactErr(err))
		}
		return nil
	})
}

// List calls fn for each key under prefix, in lexical order, with the size
// and validators from Stat.
func (s *Source) List(ctx context.Context, prefix string, fn func(transfer.ListedObject) error) error {
	for _, k := range s.keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		obj, err := s.Stat(ctx, k)
		if err != nil {
			return err
		}
		if err := fn(transfer.ListedObject{Key: k, Size: obj.Version.Size, ETag: obj.Version.ETag, LastModified: obj.Version.LastModified}); err != nil {
			return err
		}
	}
	return nil
}

// do sends one request with retries; handle reads the answer and decides:
// nil (done), a permanentError (final) or another error (retried).
func (s *Source) do(ctx context.Context, method, rawURL string, hdr http.Header, handle func(*http.Response) error) error {
	req, err := retryablehttp.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return fmt.Errorf("http source: %s %s: %w", method, RedactURL(rawURL), redactErr(err))
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Accept-Encoding", "identity") // bytes as stored, never re-encoded
	req.SetResponseHandler(handle)
	resp, err := s.client.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	if err != nil {
		var p *permanentError
		if errors.As(err, &p) {
			return p.err
		}
		return fmt.Errorf("http source: %s %s: %w", method, RedactURL(rawURL), err)
	}
	return nil
}

// errHeadRefused: the server will not answer HEAD usefully; Stat tries GET.
var errHeadRefused = errors.New("HEAD refused")

// permanentError marks a handler's error as final (no retry).
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

func permanent(err error) error { return &permanentError{err} }

func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	var p *permanentError
	if errors.As(err, &p) {
		return false, nil
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// backoff is exponential with full jitter; Retry-After on 429/503 wins.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) && resp.Header.Get("Retry-After") != "" {
		return retryablehttp.DefaultBackoff(lo, hi, attempt, resp)
	}
	ceil := hi
	if attempt < 30 {
		ceil = min(hi, lo<<attempt)
	}
	return lo + rand.N(max(ceil-lo, 1))
}

// giveUp is called when retries are exhausted.
func giveUp(resp *http.Response, err error, attempts int) (*http.Response, error) {
	if resp != nil {
		resp.Body.Close()
	}
	var p *permanentError
	if errors.As(err, &p) {
		return nil, p
	}
	if err == nil && resp != nil {
		err = fmt.Errorf("status %s", resp.Status)
	}
	return nil, fmt.Errorf("giving up after %d attempts: %w", attempts, redactErr(err))
}

// statusError maps a final HTTP status to the engine's errors.
func statusError(resp *http.Response, rawURL, key string) error {
	what := fmt.Sprintf("http source: %s %s (key %q) answered %s", resp.Request.Method, RedactURL(rawURL), key, resp.Status)
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusGone:
		return permanent(fmt.Errorf("%s: %w", what, transfer.ErrNotFound))
	case http.StatusForbidden, http.StatusUnauthorized:
		return permanent(fmt.Errorf("%s (a presigned URL may have expired): %w", what, transfer.ErrAccessDenied))
	}
	return permanent(errors.New(what)) // 5xx and 429 were retried before they got here
}

// objectFrom reads the version and metadata from a response's headers.
func objectFrom(resp *http.Response, size int64) transfer.SourceObject {
	h := resp.Header
	v := transfer.SourceVersion{Size: size, ETag: normalizeETag(h.Get("ETag")), VersionID: h.Get("X-Amz-Version-Id")}
	if lm, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		v.LastModified = lm.UTC()
	}
	m := transfer.Metadata{
		ContentType:        h.Get("Content-Type"),
		CacheControl:       h.Get("Cache-Control"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentEncoding:    h.Get("Content-Encoding"),
		ContentLanguage:    h.Get("Content-Language"),
	}
	if ex, err := http.ParseTime(h.Get("Expires")); err == nil {
		ex = ex.UTC()
		m.Expires = &ex
	}
	for name, vals := range h {
		if rest, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-meta-"); ok && rest != "" && len(vals) > 0 {
			if m.User == nil {
				m.User = map[string]string{}
			}
			m.User[rest] = vals[0]
		}
	}
	return transfer.SourceObject{Version: v, Meta: m}
}

// normalizeETag drops the quotes; a weak ETag keeps its W/ prefix so that
// it is never sent as a strong validator.
func normalizeETag(e string) string {
	e = strings.TrimSpace(e)
	if rest, ok := strings.CutPrefix(e, "W/"); ok {
		return "W/" + strings.Trim(rest, `"`)
	}
	return strings.Trim(e, `"`)
}

func strongETag(e string) bool { return e != "" && !strings.HasPrefix(e, "W/") }

// checkValidators compares an answer's ETag, Last-Modified and version id
// with the pin; a difference wraps transfer.ErrSourceChanged.
func checkValidators(resp *http.Response, pin transfer.SourceVersion) error {
	if e := normalizeETag(resp.Header.Get("ETag")); e != "" && pin.ETag != "" && e != pin.ETag {
		return fmt.Errorf("ETag is %q, pinned %q: %w", e, pin.ETag, transfer.ErrSourceChanged)
	}
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil && !pin.LastModified.IsZero() && !lm.Equal(pin.LastModified.Truncate(time.Second)) {
		return fmt.Errorf("Last-Modified is %s, pinned %s: %w", lm.UTC().Format(time.RFC3339), pin.LastModified.UTC().Format(time.RFC3339), transfer.ErrSourceChanged)
	}
	if v := resp.Header.Get("X-Amz-Version-Id"); v != "" && pin.VersionID != "" && v != pin.VersionID {
		return fmt.Errorf("version is %q, pinned %q: %w", v, pin.VersionID, transfer.ErrSourceChanged)
	}
	return nil
}

// parseContentRange parses "bytes first-last/total" (total -1 for "*") and
// "bytes */total".
func parseContentRange(s string) (first, last, total int64, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !ok {
		return 0, 0, 0, fmt.Errorf("Content-Range %q is not in bytes", s)
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, 0, fmt.Errorf("Content-Range %q has no total", s)
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total < 0 {
			return 0, 0, 0, fmt.Errorf("Content-Range %q: bad total", s)
		}
	}
	if rng == "*" {
		return -1, -1, total, nil
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, 0, fmt.Errorf("Content-Range %q: bad range", s)
	}
	if first, err = strconv.ParseInt(a, 10, 64); err != nil || first < 0 {
		return 0, 0, 0, fmt.Errorf("Content-Range %q: bad range", s)
	}
	if last, err = strconv.ParseInt(b, 10, 64); err != nil || last < first {
		return 0, 0, 0, fmt.Errorf("Content-Range %q: bad range", s)
	}
	return first, last, total, nil
}

// redactErr keeps err for errors.Is/As but prints it without query strings.
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{err}
}

type redactedError struct{ err error }

func (r *redactedError) Error() string { return netx.RedactURLText(r.err.Error()) }
func (r *redactedError) Unwrap() error { return r.err }

// retryLogger adapts slog to retryablehttp's LeveledLogger, redacting URLs.
type retryLogger struct{ l *slog.Logger }

func (r retryLogger) Error(msg string, kv ...any) { r.l.Warn("http source: "+msg, redactKV(kv)...) }
func (r retryLogger) Info(msg string, kv ...any)  { r.l.Info("http source: "+msg, redactKV(kv)...) }
func (r retryLogger) Debug(msg string, kv ...any) { r.l.Debug("http source: "+msg, redactKV(kv)...) }
func (r retryLogger) Warn(msg string, kv ...any)  { r.l.Warn("http source: "+msg, redactKV(kv)...) }

func redactKV(kv []any) []any {
	out := make([]any, len(kv))
	for i, v := range kv {
		switch x := v.(type) {
		case string:
			out[i] = netx.RedactURLText(x)
		case error:
			out[i] = netx.RedactURLText(x.Error())
		case fmt.Stringer:
			out[i] = netx.RedactURLText(x.String())
		default:
			out[i] = v
		}
	}
	return out
}
