package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Options tune the engine. The zero value is usable: every field has a default.
type Options struct {
	// PartSize is the smallest part size; grown per object to stay within
	// 10,000 parts. Default 5 MiB.
	PartSize int64
	// MultipartThreshold: objects of this size or larger go multipart.
	// Default: PartSize + 1 byte (objects up to one part are a single PUT).
	MultipartThreshold int64
	// PartsInFlight bounds parts being read or sent at once across all
	// objects (the buffer pool). One object may use all of them. Default 32.
	PartsInFlight int
	// Put is the template for how destination objects are written
	// (storage class, encryption, ACL). Metadata comes from the source.
	Put PutOptions
	// ServerSideCopy allows CopyObject/UploadPartCopy when the destination
	// can read the source itself. Default on (set DisableServerSideCopy).
	DisableServerSideCopy bool
	// PartAttempts is how often one part is tried before its object fails
	// (on top of the SDK's own retries). Default 5.
	PartAttempts int
	// SourceRestarts is how often an object restarts on a new source
	// version before it fails. Default 3.
	SourceRestarts int
	// WorkerID is written into the state record.
	WorkerID string
	// Backoff is the first retry delay; it doubles with full jitter. Default 200ms.
	Backoff time.Duration
}

func (o Options) withDefaults() Options {
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	if o.MultipartThreshold == 0 {
		o.MultipartThreshold = o.PartSize + 1
	}
	if o.PartsInFlight == 0 {
		o.PartsInFlight = 32
	}
	if o.PartAttempts == 0 {
		o.PartAttempts = 5
	}
	if o.SourceRestarts == 0 {
		o.SourceRestarts = 3
	}
	if o.Backoff == 0 {
		o.Backoff = 200 * time.Millisecond
	}
	return o
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	o = o.withDefaults()
	if _, err := NewPartPlan(0, o.PartSize); err != nil {
		return err
	}
	if o.MultipartThreshold < 1 {
		return fmt.Errorf("multipart threshold %d must be positive", o.MultipartThreshold)
	}
	if o.MultipartThreshold > MaxSinglePut+1 {
		return fmt.Errorf("multipart threshold %d is above S3's 5 GiB single-PUT limit", o.MultipartThreshold)
	}
	if o.PartsInFlight < 1 {
		return fmt.Errorf("parts in flight %d must be at least 1", o.PartsInFlight)
	}
	if o.PartAttempts < 1 || o.SourceRestarts < 0 || o.Backoff <= 0 {
		return fmt.Errorf("part attempts (%d) must be at least 1, source restarts (%d) and backoff (%s) not negative",
			o.PartAttempts, o.SourceRestarts, o.Backoff)
	}
	return nil
}

// Observer is told about progress. Calls come from many goroutines.
type Observer interface {
	// BytesSent: bytes uploaded to (or copied at) the destination.
	BytesSent(n int64)
	// BytesSkipped: bytes found already at the destination.
	BytesSkipped(n int64)
	// ObjectStarted: an object (of size bytes) begins.
	ObjectStarted(job Job, size int64)
	// ObjectDone: an object ended, whatever the outcome.
	ObjectDone(r Result)
}

// Job is one object to copy.
type Job struct {
	SourceKey string
	DestKey   string
	// StateID identifies the object's state record; default DestKey.
	StateID string
	// StopStarting, when closed, stops the engine from starting new parts;
	// parts in flight finish, progress is recorded and the Result says
	// Incomplete so the caller can hand the rest on (Lambda deadline).
	StopStarting <-chan struct{}
}

func (j Job) stateID() string {
	if j.StateID != "" {
		return j.StateID
	}
	return j.DestKey
}

// Method is how an object was copied.
type Method string

const (
	MethodPut        Method = "put"
	MethodMultipart  Method = "multipart"
	MethodServerCopy Method = "server-copy"
	MethodUnchanged  Method = "unchanged"
)

// Result is the outcome of one object.
type Result struct {
	Job        Job
	Status     Status // DONE, FAILED, SKIPPED, or RUNNING when Incomplete
	Incomplete bool   // stopped by StopStarting or by the end of ctx; resume later
	Method     Method
	Source     SourceVersion
	Sent       int64 // bytes sent in this call
	Skipped    int64 // bytes already at the destination
	Parts      int32
	ETag       string // destination ETag
	Restarts   int    // restarts on a new source version
	Err        error
	Duration   time.Duration
}

// Engine copies objects from Source to Destination.
type Engine struct {
	src   Source
	dst   Destination
	store StateStore
	opts  Options
	pool  *BufferPool
	obs   Observer
	log   *slog.Logger
}

// New returns an engine. store may be nil (no resume across runs beyond
// what S3 tells), obs may be nil.
func New(src Source, dst Destination, store StateStore, opts Options, obs Observer, log *slog.Logger) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if obs == nil {
		obs = nopObserver{}
	}
	if store == nil {
		store = nopStore{}
	}
	return &Engine{src: src, dst: dst, store: store, opts: opts, pool: NewBufferPool(opts.PartsInFlight, opts.PartSize), obs: obs, log: log}, nil
}

// Options returns the effective options.
func (e *Engine) Options() Options { return e.opts }

// Copy copies one object and never panics on a bad object: every failure
// is in the Result. Safe to call from many goroutines at once; they share
// the part buffer pool.
func (e *Engine) Copy(ctx context.Context, job Job) Result {
	start := time.Now()
	r := e.copy(ctx, job)
	r.Job = job
	r.Duration = time.Since(start)
	switch {
	case r.Err != nil:
		r.Status = StatusFailed
	case r.Incomplete:
		r.Status = StatusRunning
	case r.Method == MethodUnchanged:
		r.Status = StatusSkipped
	default:
		r.Status = StatusDone
	}
	e.obs.ObjectDone(r)
	return r
}

func (e *Engine) copy(ctx context.Context, job Job) (r Result) {
	id := job.stateID()
	st, found, err := e.store.Load(ctx, id)
	if err != nil {
		return Result{Err: fmt.Errorf("load state of %q: %w", id, err)}
	}
	if !found {
		st = ObjectState{ID: id}
	}
	st.SourceKey, st.DestKey = job.SourceKey, job.DestKey
	now := time.Now().UTC()
	if st.FirstStart.IsZero() {
		st.FirstStart = now
	}
	st.LastStart = now
	st.Attempts++
	st.WorkerID = e.opts.WorkerID

	defer func() {
		if r.Err != nil && ctx.Err() != nil && (errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
			// Interrupted (Ctrl-C, deadline), not failed: the upload and its
			// parts stay, and the next run resumes them.
			e.log.Info("copy interrupted; running it again resumes it", "key", job.DestKey, "err", r.Err)
			r.Err, r.Incomplete = nil, true
		}
		// One write at the end of every attempt, whatever happened.
		st.Bytes = r.Sent + r.Skipped
		switch {
		case r.Err != nil:
			st.Status, st.Error, st.End = StatusFailed, r.Err.Error(), time.Now().UTC()
		case r.Incomplete:
			st.Status, st.Error = StatusRunning, ""
		default:
			st.Status, st.Error, st.End, st.DestETag = StatusDone, "", time.Now().UTC(), r.ETag
			st.UploadID = ""
		}
		// A cancelled ctx must not lose the record: write with a short, fresh deadline.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := e.store.Save(wctx, st); err != nil && r.Err == nil {
			r.Err = fmt.Errorf("save state of %q: %w", id, err)
		}
	}()

	for restart := 0; ; restart++ {
		r = e.copyVersion(ctx, job, &st)
		r.Restarts = restart
		if !errors.Is(r.Err, ErrSourceChanged) || restart >= e.opts.SourceRestarts {
			return r
		}
		e.log.Warn("source changed during copy; restarting on the new version",
			"key", job.SourceKey, "restart", restart+1)
	}
}

// copyVersion copies whatever version the source serves now.
func (e *Engine) copyVersion(ctx context.Context, job Job, st *ObjectState) Result {
	so, err := e.src.Stat(ctx, job.SourceKey)
	if errors.Is(err, ErrNotFound) {
		return Result{Err: fmt.Errorf("source %q does not exist (no such key): %w", job.SourceKey, err)}
	}
	if err != nil {
		return Result{Err: fmt.Errorf("read source %q: %w", job.SourceKey, err)}
	}
	v := so.Version
	r := Result{Source: v}
	e.obs.ObjectStarted(job, v.Size)

	if e.unchanged(ctx, job, *st, v) {
		if st.UploadID != "" {
			e.abort(ctx, job.DestKey, st.UploadID, "the destination already holds this version")
			st.UploadID, st.PartSize = "", 0
		}
		e.obs.BytesSkipped(v.Size)
		r.Method, r.Skipped, r.ETag = MethodUnchanged, v.Size, st.DestETag
		if st.Status != StatusDone || !st.Source.Same(v) {
			st.Source = v
		}
		return r
	}

	if st.UploadID != "" && !(st.Source.Same(v)) {
		// The upload belongs to an older source version: never mix versions.
		e.abort(ctx, job.DestKey, st.UploadID, "source version changed since the upload began")
		st.UploadID, st.PartSize = "", 0
	}
	st.Source = v
	opt := e.opts.Put
	opt.Meta = so.Meta

	if sc, ok := e.dst.(ServerCopier); ok && !e.opts.DisableServerSideCopy && sc.CanServerCopy(e.src) {
		return e.serverCopy(ctx, sc, job, st, so, opt)
	}
	if v.Size < e.opts.MultipartThreshold {
		if st.UploadID != "" {
			e.abort(ctx, job.DestKey, st.UploadID, "object is now copied with a single PUT")
			st.UploadID, st.PartSize = "", 0
		}
		return e.singlePut(ctx, job, so, opt)
	}
	return e.multipart(ctx, job, st, so, opt)
}

// unchanged reports whether the destination already holds this version.
func (e *Engine) unchanged(ctx context.Context, job Job, st ObjectState, v SourceVersion) bool {
	d, err := e.dst.Stat(ctx, job.DestKey)
	if err != nil || d.Size != v.Size {
		return false
	}
	if st.Status == StatusDone && st.Source.Same(v) && (st.DestETag == "" || st.DestETag == d.ETag) {
		return true
	}
	// Same ETag means same bytes when both sides computed it the same way.
	if v.ETag != "" && d.ETag == v.ETag {
		return true
	}
	// A multipart destination (our own earlier copy whose state is lost)
	// has an ETag the source's cannot equal: recompute it from the source.
	return e.sourceMatchesMultipartETag(ctx, job.SourceKey, v, d.ETag)
}

func (e *Engine) singlePut(ctx context.Context, job Job, so SourceObject, opt PutOptions) Result {
	v := so.Version
	r := Result{Source: v, Method: MethodPut, Parts: 1}
	buf, err := e.pool.Get(ctx, v.Size)
	if err != nil {
		r.Err = err
		return r
	}
	defer e.pool.Put(buf)
	if so.Checksum != nil && (so.Checksum.Type == "" || so.Checksum.Type == "FULL_OBJECT") && !strings.Contains(so.Checksum.Value, "-") {
		opt.Checksum = so.Checksum
	}
	var lastErr error
	for attempt := 1; attempt <= e.opts.PartAttempts; attempt++ {
		if attempt > 1 {
			if err := e.sleep(ctx, attempt); err != nil {
				r.Err = err
				return r
			}
		}
		if err := e.src.ReadRange(ctx, job.SourceKey, v, 0, buf); err != nil {
			if final(err) {
				r.Err = fmt.Errorf("read %q: %w", job.SourceKey, err)
				return r
			}
			lastErr = fmt.Errorf("read %q: %w", job.SourceKey, err)
			continue
		}
		sum := md5.Sum(buf)
		etag, err := e.dst.Put(ctx, job.DestKey, buf, sum[:], opt)
		if err != nil {
			if final(err) {
				r.Err = fmt.Errorf("put %q: %w", job.DestKey, err)
				return r
			}
			lastErr = fmt.Errorf("put %q: %w", job.DestKey, err)
			e.log.Warn("put failed; retrying", "key", job.DestKey, "attempt", attempt, "err", err)
			continue
		}
		if err := e.verifyObject(ctx, job.DestKey, v.Size, etag, hex.EncodeToString(sum[:])); err != nil {
			r.Err = err
			return r
		}
		e.obs.BytesSent(v.Size)
		r.Sent, r.ETag = v.Size, etag
		return r
	}
	r.Err = fmt.Errorf("copy %q failed after %d attempts: %w", job.SourceKey, e.opts.PartAttempts, lastErr)
	return r
}

// verifyObject checks the finished destination object: the size always;
// the ETag (returned and stored) against want when want is set and the
// encryption the destination applied keeps ETag = MD5 (not under KMS,
// whether asked for or the bucket's default).
func (e *Engine) verifyObject(ctx context.Context, key string, size int64, etag, want string) error {
	d, err := e.dst.Stat(ctx, key)
	if err != nil {
		return fmt.Errorf("verify destination %q: %w", key, err)
	}
	if d.Size != size {
		return fmt.Errorf("destination %q has %d bytes, source has %d: %w", key, d.Size, size, ErrIntegrity)
	}
	if want == "" || !d.ETagIsMD5() {
		return nil
	}
	if etag != want {
		return fmt.Errorf("destination %q returned ETag %s, expected %s: %w", key, etag, want, ErrIntegrity)
	}
	if d.ETag != want {
		return fmt.Errorf("destination %q has ETag %s, expected %s: %w", key, d.ETag, want, ErrIntegrity)
	}
	return nil
}

// final reports errors that retrying cannot fix.
func final(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrAccessDenied) ||
		errors.Is(err, ErrSourceChanged) || errors.Is(err, ErrNoSuchUpload) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// sleep waits the backoff before attempt (2, 3, ...): full jitter, doubling.
func (e *Engine) sleep(ctx context.Context, attempt int) error {
	d := e.opts.Backoff << min(attempt-2, 8)
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// abortAttempts bounds how often an upload is aborted again because it is
// still listed after an abort.
const abortAttempts = 5

// abort aborts an upload and checks that it is gone. Parts that were still
// arriving at the destination when the abort landed (a cancelled request
// whose body was already on the wire) can keep or bring back the upload;
// S3 documents that an abort may have to be repeated, so it is repeated,
// with backoff, until ListMultipartUploads no longer shows the upload.
func (e *Engine) abort(ctx context.Context, key, uploadID, why string) {
	for attempt := 1; ; attempt++ {
		err := e.dst.Abort(ctx, key, uploadID)
		if err != nil && !errors.Is(err, ErrNoSuchUpload) {
			e.log.Warn("could not abort multipart upload; `s3migrate gc` removes it later", "key", key, "upload_id", uploadID, "reason", why, "err", err)
			return
		}
		ups, err := e.dst.ListUploads(ctx, key)
		if err != nil {
			e.log.Info("aborted multipart upload (not confirmed: listing uploads failed)", "key", key, "upload_id", uploadID, "reason", why, "err", err)
			return
		}
		if !slices.ContainsFunc(ups, func(u Upload) bool { return u.UploadID == uploadID }) {
			e.log.Info("aborted multipart upload", "key", key, "upload_id", uploadID, "reason", why, "aborts", attempt)
			return
		}
		if attempt == abortAttempts {
			e.log.Warn("multipart upload still listed after aborting it; `s3migrate gc` removes it later", "key", key, "upload_id", uploadID, "reason", why, "aborts", attempt)
			return
		}
		t := time.NewTimer(e.opts.Backoff << (attempt - 1))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

type nopObserver struct{}

func (nopObserver) BytesSent(int64)          {}
func (nopObserver) BytesSkipped(int64)       {}
func (nopObserver) ObjectStarted(Job, int64) {}
func (nopObserver) ObjectDone(Result)        {}

type nopStore struct{}

func (nopStore) Load(context.Context, string) (ObjectState, bool, error) {
	return ObjectState{}, false, nil
}
func (nopStore) Save(context.Context, ObjectState) error { return nil }
