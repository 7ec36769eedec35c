package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Multipart is one multipart copy in progress: the pinned source version,
// the part plan and the destination upload. It is all a worker needs to
// send any subset of parts (giant objects fan out as part ranges) and to
// complete the upload.
type Multipart struct {
	SourceKey string
	DestKey   string
	Source    SourceVersion
	Plan      PartPlan
	UploadID  string
	// KMS: the destination's ETags are not MD5s (SSE-KMS).
	KMS bool
	// ServerCopy: parts are copied by the destination (UploadPartCopy).
	ServerCopy bool
	// Checksum is the source's full-object checksum, carried so that the
	// destination verifies the whole object on completion; every part then
	// carries its own checksum of that algorithm. Nil: none carried.
	Checksum *Checksum
}

// PartsReport is what SendParts did.
type PartsReport struct {
	Sent    map[int32]Part // parts uploaded by this call
	Bytes   int64          // bytes uploaded by this call
	Stopped bool           // StopStarting closed before every part was started
}

// StatSource returns the current version of a source key.
func (e *Engine) StatSource(ctx context.Context, key string) (SourceObject, error) {
	return e.src.Stat(ctx, key)
}

// StartMultipart creates a destination upload for so with the engine's
// part size (grown for large objects). opt.Meta should be so.Meta.
func (e *Engine) StartMultipart(ctx context.Context, srcKey, dstKey string, so SourceObject, opt PutOptions) (Multipart, error) {
	plan, err := NewPartPlan(so.Version.Size, e.opts.PartSize)
	if err != nil {
		return Multipart{}, err
	}
	carry := carriedChecksum(so.Checksum)
	if carry != nil {
		opt.ChecksumAlgorithm = carry.Algorithm
	}
	id, err := e.dst.CreateUpload(ctx, dstKey, opt)
	if err != nil {
		return Multipart{}, fmt.Errorf("create multipart upload for %q: %w", dstKey, err)
	}
	return Multipart{SourceKey: srcKey, DestKey: dstKey, Source: so.Version, Plan: plan, UploadID: id,
		KMS: isKMS(opt), Checksum: carry}, nil
}

func isKMS(opt PutOptions) bool { return opt.SSE == "aws:kms" || opt.SSE == "aws:kms:dsse" }

// MissingParts lists the upload's parts at the destination (the single
// point of truth) and returns the part numbers still to send and the bytes
// already there. A part whose size does not match the plan counts as
// missing and is sent again (same number overwrites it).
func (e *Engine) MissingParts(ctx context.Context, mp Multipart) (missing []int32, present int64, err error) {
	parts, err := e.dst.ListParts(ctx, mp.DestKey, mp.UploadID)
	if err != nil {
		return nil, 0, fmt.Errorf("list parts of upload for %q: %w", mp.DestKey, err)
	}
	have := make(map[int32]bool, len(parts))
	for _, p := range parts {
		if p.Number < 1 || p.Number > mp.Plan.Parts {
			continue
		}
		if _, l := mp.Plan.Range(p.Number); l == p.Size {
			have[p.Number] = true
			present += p.Size
		}
	}
	for n := int32(1); n <= mp.Plan.Parts; n++ {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	return missing, present, nil
}

// SendParts uploads the given parts of mp, up to PartsInFlight at once
// (shared with every other object of this engine). It stops starting parts
// when stop closes and returns after the ones in flight end. The first part
// that fails for good stops new parts and cancels the others (unless it
// failed because the source changed: see startCtx).
func (e *Engine) SendParts(ctx context.Context, mp Multipart, numbers []int32, stop <-chan struct{}) (PartsReport, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	rep := PartsReport{Sent: make(map[int32]Part, len(numbers))}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	// startCtx ends when no further part may start: at the first part that
	// fails for good. The parts in flight are then cancelled, except when
	// the source changed: the caller aborts the upload, and a part still on
	// the wire when the abort lands can keep the upload alive at the
	// destination, so those parts are let finish first.
	startCtx, noMore := context.WithCancel(ctx)
	defer noMore()
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	for _, n := range numbers {
		if stopped() {
			rep.Stopped = true
			break
		}
		off, length := mp.Plan.Range(n)
		bufLen := length
		if mp.ServerCopy {
			bufLen = 0 // the destination copies; the slot only bounds concurrency
		}
		buf, err := e.pool.Get(startCtx, bufLen)
		if err != nil {
			break // cancelled: firstErr or ctx says why
		}
		if startCtx.Err() != nil {
			e.pool.Put(buf)
			break
		}
		if stopped() {
			e.pool.Put(buf)
			rep.Stopped = true
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer e.pool.Put(buf)
			p, err := e.sendPart(ctx, mp, n, off, length, buf)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					noMore()
					if !errors.Is(err, ErrSourceChanged) {
						cancel(err)
					}
				}
				return
			}
			rep.Sent[n] = p
			rep.Bytes += length
			e.obs.BytesSent(length)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return rep, firstErr
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	return rep, nil
}

func (e *Engine) sendPart(ctx context.Context, mp Multipart, n int32, off, length int64, buf []byte) (Part, error) {
	var lastErr error
	for attempt := 1; attempt <= e.opts.PartAttempts; attempt++ {
		if attempt > 1 {
			if err := e.sleep(ctx, attempt); err != nil {
				return Part{}, err
			}
			e.log.Warn("retrying part", "key", mp.DestKey, "part", n, "attempt", attempt, "err", lastErr)
		}
		var (
			etag string
			err  error
		)
		if mp.ServerCopy {
			etag, err = e.dst.(ServerCopier).CopyPart(ctx, e.src, mp.SourceKey, mp.Source, mp.DestKey, mp.UploadID, n, off, length)
		} else {
			if err = e.src.ReadRange(ctx, mp.SourceKey, mp.Source, off, buf); err != nil {
				err = fmt.Errorf("read part %d of %q: %w", n, mp.SourceKey, err)
			} else {
				sum := md5.Sum(buf)
				body := PartBody{Number: n, Data: buf, MD5: sum[:]}
				if mp.Checksum != nil {
					body.Checksum = checksumOf(mp.Checksum.Algorithm, buf)
				}
				etag, err = e.dst.UploadPart(ctx, mp.DestKey, mp.UploadID, body)
			}
		}
		if err == nil {
			return Part{Number: n, Size: length, ETag: etag}, nil
		}
		if final(err) || ctx.Err() != nil {
			return Part{}, fmt.Errorf("part %d of %q: %w", n, mp.DestKey, err)
		}
		lastErr = err
	}
	return Part{}, fmt.Errorf("part %d of %q failed after %d attempts: %w", n, mp.DestKey, e.opts.PartAttempts, lastErr)
}

// FinishMultipart completes the upload from the destination's own part
// list, after checking that every planned part is there with its planned
// size and, for parts sent by this process, the ETag it returned, and that
// the source still serves the pinned version (ErrSourceChanged if not: the
// caller aborts the upload). It then verifies the whole object: the
// multipart ETag (MD5 of the part MD5s, -N) and the size.
func (e *Engine) FinishMultipart(ctx context.Context, mp Multipart, sent map[int32]Part, full *Checksum) (string, error) {
	parts, err := e.dst.ListParts(ctx, mp.DestKey, mp.UploadID)
	if err != nil {
		return "", fmt.Errorf("list parts before completing %q: %w", mp.DestKey, err)
	}
	slices.SortFunc(parts, func(a, b Part) int { return int(a.Number - b.Number) })
	if len(parts) != int(mp.Plan.Parts) {
		return "", fmt.Errorf("upload for %q has %d parts, plan has %d: %w", mp.DestKey, len(parts), mp.Plan.Parts, ErrIntegrity)
	}
	h := md5.New()
	for i, p := range parts {
		n := int32(i + 1)
		if _, l := mp.Plan.Range(n); p.Number != n || p.Size != l {
			return "", fmt.Errorf("upload for %q: part %d is %d bytes, plan says %d: %w", mp.DestKey, p.Number, p.Size, l, ErrIntegrity)
		}
		if s, ok := sent[n]; ok && s.ETag != p.ETag {
			return "", fmt.Errorf("upload for %q: part %d has ETag %s, we sent %s: %w", mp.DestKey, n, p.ETag, s.ETag, ErrIntegrity)
		}
		if raw, err := hex.DecodeString(p.ETag); err == nil && len(raw) == md5.Size {
			h.Write(raw)
		}
	}
	// A versioned source keeps serving the pinned version after it was
	// overwritten: complete only while it is still the current one, so the
	// destination never ends behind a change made during the copy.
	cur, err := e.src.Stat(ctx, mp.SourceKey)
	switch {
	case err == nil && !cur.Version.Same(mp.Source):
		return "", fmt.Errorf("source %q changed during the copy (now %d bytes, ETag %s, version %q): %w",
			mp.SourceKey, cur.Version.Size, cur.Version.ETag, cur.Version.VersionID, ErrSourceChanged)
	case err != nil && !errors.Is(err, ErrNotFound):
		return "", fmt.Errorf("check source %q before completing: %w", mp.SourceKey, err)
	}
	want := ""
	if !mp.KMS && !mp.ServerCopy {
		want = fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts))
	}
	etag, err := e.dst.Complete(ctx, mp.DestKey, mp.UploadID, parts, full)
	if err != nil {
		return "", fmt.Errorf("complete upload for %q: %w", mp.DestKey, err)
	}
	if err := e.verifyObject(ctx, mp.DestKey, mp.Source.Size, etag, want); err != nil {
		return "", err
	}
	return etag, nil
}

// multipart copies one object in parts, resuming the upload recorded in st
// when it is proven to belong to this source version.
func (e *Engine) multipart(ctx context.Context, job Job, st *ObjectState, so SourceObject, opt PutOptions) Result {
	r := Result{Source: so.Version, Method: MethodMultipart}
	mp, missing, present, err := e.resumeOrStart(ctx, job, st, so, opt)
	if err != nil {
		r.Err = err
		return r
	}
	r.Parts = mp.Plan.Parts
	r.Skipped = present
	if present > 0 {
		e.obs.BytesSkipped(present)
		e.log.Info("resuming upload", "key", job.DestKey, "upload_id", mp.UploadID,
			"parts_present", int(mp.Plan.Parts)-len(missing), "parts", mp.Plan.Parts, "bytes_present", present)
	}
	rep, err := e.SendParts(ctx, mp, missing, job.StopStarting)
	r.Sent = rep.Bytes
	if err != nil {
		if errors.Is(err, ErrSourceChanged) {
			e.abort(ctx, job.DestKey, mp.UploadID, "source changed during copy")
			st.UploadID, st.PartSize = "", 0
		} else if errors.Is(err, ErrNoSuchUpload) {
			st.UploadID, st.PartSize = "", 0
		}
		r.Err = err
		return r
	}
	if rep.Stopped {
		r.Incomplete = true
		return r
	}
	etag, err := e.FinishMultipart(ctx, mp, rep.Sent, mp.Checksum)
	if err != nil {
		if errors.Is(err, ErrSourceChanged) {
			e.abort(ctx, job.DestKey, mp.UploadID, "source changed during copy")
			st.UploadID, st.PartSize = "", 0
		}
		r.Err = err
		return r
	}
	r.ETag = etag
	return r
}

func (e *Engine) resumeOrStart(ctx context.Context, job Job, st *ObjectState, so SourceObject, opt PutOptions) (Multipart, []int32, int64, error) {
	settings := uploadSettings(opt, carriedChecksum(so.Checksum))
	if st.UploadID != "" && (st.PartSize == 0 || (st.Settings != "" && st.Settings != settings)) {
		e.abort(ctx, job.DestKey, st.UploadID, "the upload was made with other settings (encryption, storage class, ACL or checksum)")
		st.UploadID, st.PartSize = "", 0
	}
	if st.UploadID != "" && st.PartSize != 0 {
		plan, err := NewPartPlan(so.Version.Size, st.PartSize)
		if err == nil && plan.PartSize == st.PartSize {
			mp := Multipart{SourceKey: job.SourceKey, DestKey: job.DestKey, Source: so.Version, Plan: plan,
				UploadID: st.UploadID, KMS: isKMS(opt), Checksum: carriedChecksum(so.Checksum)}
			if st.PartSize != e.opts.PartSize {
				e.log.Info("keeping the part size of the upload in progress", "key", job.DestKey,
					"part_size", st.PartSize, "requested_part_size", e.opts.PartSize)
			}
			missing, present, err := e.MissingParts(ctx, mp)
			if err == nil {
				return mp, missing, present, nil
			}
			if !errors.Is(err, ErrNoSuchUpload) {
				return Multipart{}, nil, 0, err
			}
			e.log.Info("recorded upload is gone; starting a new one", "key", job.DestKey, "upload_id", st.UploadID)
		} else {
			e.abort(ctx, job.DestKey, st.UploadID, "recorded part plan does not fit the object")
		}
		st.UploadID, st.PartSize = "", 0
	}
	mp, err := e.StartMultipart(ctx, job.SourceKey, job.DestKey, so, opt)
	if err != nil {
		return Multipart{}, nil, 0, err
	}
	st.UploadID, st.PartSize, st.Source, st.Status, st.Settings = mp.UploadID, mp.Plan.PartSize, so.Version, StatusRunning, settings
	// Record the upload before sending a byte, so a killed process resumes it.
	if err := e.store.Save(ctx, *st); err != nil {
		e.abort(ctx, job.DestKey, mp.UploadID, "could not record the upload")
		st.UploadID, st.PartSize = "", 0
		return Multipart{}, nil, 0, fmt.Errorf("save state of %q: %w", st.ID, err)
	}
	missing := make([]int32, mp.Plan.Parts)
	for i := range missing {
		missing[i] = int32(i + 1)
	}
	return mp, missing, 0, nil
}

// serverCopy copies inside the destination's endpoint: CopyObject up to
// 5 GiB, UploadPartCopy parts above.
func (e *Engine) serverCopy(ctx context.Context, sc ServerCopier, job Job, st *ObjectState, so SourceObject, opt PutOptions) Result {
	v := so.Version
	if v.Size <= MaxSinglePut {
		if st.UploadID != "" {
			e.abort(ctx, job.DestKey, st.UploadID, "object is now copied with one CopyObject")
			st.UploadID, st.PartSize = "", 0
		}
		r := Result{Source: v, Method: MethodServerCopy, Parts: 1}
		etag, err := sc.CopyObject(ctx, e.src, job.SourceKey, v, job.DestKey, opt)
		if err != nil {
			r.Err = fmt.Errorf("server-side copy of %q: %w", job.SourceKey, err)
			return r
		}
		if err := e.verifyObject(ctx, job.DestKey, v.Size, etag, ""); err != nil {
			r.Err = err
			return r
		}
		e.obs.BytesSent(v.Size)
		r.Sent, r.ETag = v.Size, etag
		return r
	}
	so.Checksum = nil // UploadPartCopy parts carry no checksum of ours
	mp, missing, present, err := e.resumeOrStart(ctx, job, st, so, opt)
	if err != nil {
		return Result{Source: v, Method: MethodServerCopy, Err: err}
	}
	mp.ServerCopy = true
	r := Result{Source: v, Method: MethodServerCopy, Parts: mp.Plan.Parts, Skipped: present}
	e.obs.BytesSkipped(present)
	rep, err := e.SendParts(ctx, mp, missing, job.StopStarting)
	r.Sent = rep.Bytes
	switch {
	case err != nil:
		if errors.Is(err, ErrSourceChanged) {
			e.abort(ctx, job.DestKey, mp.UploadID, "source changed during copy")
			st.UploadID, st.PartSize = "", 0
		}
		r.Err = err
	case rep.Stopped:
		r.Incomplete = true
	default:
		r.ETag, r.Err = e.FinishMultipart(ctx, mp, rep.Sent, nil)
		if errors.Is(r.Err, ErrSourceChanged) {
			e.abort(ctx, job.DestKey, mp.UploadID, "source changed during copy")
			st.UploadID, st.PartSize = "", 0
		}
	}
	return r
}

// uploadSettings identifies how an upload writes the object, so that a
// resume never continues an upload made with other settings.
func uploadSettings(opt PutOptions, carry *Checksum) string {
	alg := ""
	if carry != nil {
		alg = carry.Algorithm
	}
	return strings.Join([]string{opt.SSE, opt.SSEKMSKeyID, opt.StorageClass, opt.ACL, alg}, "|")
}
