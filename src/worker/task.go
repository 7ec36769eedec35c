package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/s3migrate/s3migrate/src/message"
	"github.com/s3migrate/s3migrate/src/metrics"
	"github.com/s3migrate/s3migrate/src/statestore/dynamostore"
	"github.com/s3migrate/s3migrate/src/transfer"
)

type taskResult struct {
	outcome Outcome
	reason  string
	delay   time.Duration // Retry: at least this long before the next attempt
}

func ack() taskResult                   { return taskResult{outcome: Ack} }
func retry(reason string) taskResult    { return taskResult{outcome: Retry, reason: reason} }
func handBack(reason string) taskResult { return taskResult{outcome: HandBack, reason: reason} }

// runTask does one task of a message. It never panics the batch.
func (inv *invocation) runTask(ctx context.Context, m Message, t message.Task) (res taskResult) {
	defer func() {
		if p := recover(); p != nil {
			inv.log.Error("task panicked; the message is retried", "message_id", m.ID, "panic", fmt.Sprint(p))
			res = retry(fmt.Sprintf("internal error: %v", p))
		}
	}()
	switch t.Action {
	case message.ActionIgnore:
		inv.log.Info("message ignored", "message_id", m.ID, "event", t.EventName, "reason", t.Reason)
		return ack()
	case message.ActionDelete:
		return inv.delete(ctx, m, t)
	case message.ActionCopy:
		return inv.copy(ctx, m, t)
	case message.ActionParts:
		return inv.parts(ctx, m, t)
	}
	return retry(fmt.Sprintf("action %q is not known to this worker", t.Action))
}

func (inv *invocation) delete(ctx context.Context, m Message, t message.Task) taskResult {
	w := inv.w
	t = t.WithDefaultDest(w.cfg.DestBucket, w.cfg.DestPrefix)
	log := inv.log.With("message_id", m.ID, "dest_bucket", t.Dest.Bucket, "dest_key", t.Dest.Key)
	if !w.cfg.DeleteOnRemove {
		log.Info("delete not applied: deletes are disabled (S3MIGRATE_DELETE_ON_REMOVE=true or --delete-on-remove enables them)", "event", t.EventName)
		return ack()
	}
	if t.Dest.Bucket == "" {
		return retry("no destination bucket configured for S3 events (set DEST_BUCKET or Des_bucket_default)")
	}
	dst, err := w.buckets.Destination(ctx, t.Dest.Bucket)
	if err != nil {
		return retry(fmt.Sprintf("open destination bucket %q: %v", t.Dest.Bucket, err))
	}
	if err := dst.Delete(ctx, t.Dest.Key); err != nil && !errors.Is(err, transfer.ErrNotFound) {
		w.credentialsRejected(err)
		log.Warn("delete failed; retrying later", "err", err)
		return retry(fmt.Sprintf("delete %q: %v", t.Dest.Key, err))
	}
	log.Info("deleted at the destination", "event", t.EventName)
	return ack()
}

// copy claims the object and copies it, or fans it out when it is giant.
func (inv *invocation) copy(ctx context.Context, m Message, t message.Task) taskResult {
	w := inv.w
	t = t.WithDefaultDest(w.cfg.DestBucket, w.cfg.DestPrefix)
	if t.Dest.Bucket == "" {
		return retry("no destination bucket configured for S3 events (set DEST_BUCKET or Des_bucket_default)")
	}
	id := StateID(t.Dest)
	log := inv.log.With("message_id", m.ID, "key", t.Source.Key, "dest_key", t.Dest.Key, "object_id", id)
	if inv.stopped() {
		return handBack("stopping before the object started")
	}
	eng, err := w.engine(ctx, t.Source.Bucket, t.Dest.Bucket)
	if err != nil {
		w.credentialsRejected(err)
		return retry(err.Error())
	}
	msgVer := transfer.SourceVersion{Size: t.Source.Size, ETag: t.Source.ETag, VersionID: t.Source.VersionID}
	st, err := w.states.Claim(ctx, dynamostore.ClaimRequest{ID: id, WorkerID: w.cfg.WorkerID, Lease: inv.lease(),
		Source: msgVer, SourceKey: t.Source.Key, DestKey: t.Dest.Key})
	switch {
	case errors.Is(err, dynamostore.ErrDone):
		log.Info("object already done from the same source; duplicate message dropped", "status", st.Status)
		return ack()
	case errors.Is(err, dynamostore.ErrBusy):
		if (msgVer.ETag != "" || msgVer.VersionID != "") && !st.Source.Same(msgVer) && st.Source.Size != 0 {
			// Another worker copies an older version: try again after it.
			log.Info("object busy with another version; retrying later", "holder", st.WorkerID)
			return retry("another worker is copying an older version of the object")
		}
		// A duplicate, or this very message after its worker died (kill -9):
		// come back when the holder's lease may have run out. A live holder
		// finishes first and the next attempt finds the object DONE.
		log.Info("another worker holds the object; retrying after its lease", "holder", st.WorkerID)
		return taskResult{outcome: Retry, reason: "another worker (" + st.WorkerID + ") holds the object", delay: inv.lease()}
	case err != nil:
		log.Warn("claim failed; retrying later", "err", err)
		return retry(err.Error())
	}
	inv.holdClaim(id, true)
	defer inv.holdClaim(id, false)

	if plan, rp, giant := inv.giant(t.Source.Size); giant {
		return inv.coordinate(ctx, log, t, eng, st, plan, rp)
	}

	w.store.hold(st)
	defer w.store.drop(id)
	r := eng.Copy(ctx, transfer.Job{SourceKey: t.Source.Key, DestKey: t.Dest.Key, StateID: id, StopStarting: inv.stop})
	attrs := []any{"bytes", r.Sent, "bytes_present", r.Skipped, "parts", r.Parts, "method", string(r.Method),
		"mb_per_s", mbps(r.Sent, r.Duration), "seconds", r.Duration.Seconds()}
	switch {
	case r.Err == nil && r.Incomplete:
		last, _ := w.store.claims.Load(id)
		cur, _ := last.(transfer.ObjectState)
		if err := w.states.Release(context.WithoutCancel(ctx), cur); err != nil {
			log.Warn("could not hand the object back in the state table; the next claim waits for the lease", "err", err)
		}
		w.emitBytes(r.Sent, map[string]any{"key": t.Dest.Key, "request_id": inv.opts.RequestID})
		log.Info("deadline near: progress recorded, object handed on", attrs...)
		return handBack(fmt.Sprintf("deadline: %d of %d bytes at the destination; continues in the next invocation",
			r.Sent+r.Skipped, r.Source.Size))
	case r.Err == nil:
		w.emitObject(r.Sent, r.Duration, false, map[string]any{"key": t.Dest.Key, "parts": r.Parts, "request_id": inv.opts.RequestID})
		log.Info("object copied", append(attrs, "status", string(r.Status))...)
		return ack()
	}
	w.credentialsRejected(r.Err)
	if errors.Is(r.Err, dynamostore.ErrNotClaimant) {
		log.Warn("lost the claim while copying; the worker that holds it now finishes the object", "err", r.Err)
		return ack()
	}
	if errors.Is(r.Err, transfer.ErrNotFound) {
		if _, serr := eng.StatSource(ctx, t.Source.Key); errors.Is(serr, transfer.ErrNotFound) {
			log.Warn("source object is gone; nothing to copy", "err", r.Err)
			w.emitObject(0, r.Duration, true, map[string]any{"key": t.Dest.Key, "reason": "source not found"})
			return ack()
		}
	}
	w.emitObject(r.Sent, r.Duration, true, map[string]any{"key": t.Dest.Key, "request_id": inv.opts.RequestID})
	log.Warn("object failed; retrying later", append(attrs, "err", r.Err)...)
	return retry(r.Err.Error())
}

// giant decides whether an object of size bytes fans out, and returns its
// plan and the parts per sub-job.
func (inv *invocation) giant(size int64) (transfer.PartPlan, int, bool) {
	c := inv.w.cfg
	if c.FanOutBytes < 0 || size < c.Engine.MultipartThreshold && c.Engine.MultipartThreshold > 0 {
		return transfer.PartPlan{}, 0, false
	}
	plan, err := transfer.NewPartPlan(size, c.Engine.PartSize)
	if err != nil {
		return transfer.PartPlan{}, 0, false
	}
	budget := inv.budget()
	switch {
	case c.FanOutBytes > 0:
		if size < c.FanOutBytes {
			return plan, 0, false
		}
	case budget <= 0 || float64(size) <= float64(c.EstimatedBytesPerSec)*budget.Seconds():
		return plan, 0, false
	}
	rp := c.RangeParts
	if rp == 0 {
		if budget <= 0 {
			budget = c.NoDeadlineBudget
		}
		rp = int(float64(c.EstimatedBytesPerSec) * budget.Seconds() / 2 / float64(plan.PartSize))
	}
	rp = max(rp, 1)
	return plan, rp, int(plan.Parts) > rp
}

// coordinate starts the fan-out of a giant object: one upload (recorded
// before any sub-job exists), the parts counter, one sub-job message per
// range. A duplicate coordinating message reuses the recorded upload; its
// sub-jobs find their parts present and their ranges counted.
func (inv *invocation) coordinate(ctx context.Context, log *slog.Logger, t message.Task, eng *transfer.Engine,
	st transfer.ObjectState, plan transfer.PartPlan, rangeParts int) taskResult {
	w := inv.w
	if w.queue == nil {
		return retry("fan-out needs the queue (set the queue URL)")
	}
	so, err := eng.StatSource(ctx, t.Source.Key)
	if err != nil {
		w.credentialsRejected(err)
		inv.release(ctx, log, st)
		if errors.Is(err, transfer.ErrNotFound) {
			log.Warn("source object is gone; nothing to copy")
			return ack()
		}
		return retry(fmt.Sprintf("read source %q: %v", t.Source.Key, err))
	}
	opt := w.cfg.Engine.Put
	opt.Meta = so.Meta
	mp := transfer.Multipart{SourceKey: t.Source.Key, DestKey: t.Dest.Key, Source: so.Version, KMS: kms(opt)}
	if st.UploadID != "" && st.PartSize > 0 && st.Source.Same(so.Version) {
		if p, err := transfer.NewPartPlan(so.Version.Size, st.PartSize); err == nil && p.PartSize == st.PartSize {
			mp.Plan, mp.UploadID = p, st.UploadID
			log.Info("fan-out: reusing the recorded upload", "upload_id", st.UploadID)
		}
	}
	if mp.UploadID == "" {
		if st.UploadID != "" {
			inv.abort(ctx, log, t.Dest, st.UploadID, "the recorded upload belongs to another source version or part size")
		}
		// Sub-job messages carry no source checksum, so the fan-out upload
		// is made without one: its parts are checked by Content-MD5 and the
		// object by its multipart ETag.
		so.Checksum = nil
		mp, err = eng.StartMultipart(ctx, t.Source.Key, t.Dest.Key, so, opt)
		if err != nil {
			inv.release(ctx, log, st)
			return retry(err.Error())
		}
		st.UploadID, st.PartSize, st.Source, st.Status, st.Bytes = mp.UploadID, mp.Plan.PartSize, so.Version, transfer.StatusRunning, 0
		if err := w.states.Save(ctx, st); err != nil {
			inv.abort(ctx, log, t.Dest, mp.UploadID, "the upload could not be recorded")
			return retry(err.Error())
		}
	}
	if err := w.states.InitParts(ctx, st.ID, mp.UploadID, int(mp.Plan.Parts)); err != nil {
		return retry(err.Error())
	}
	if rangeParts*2 > int(mp.Plan.Parts) && mp.Plan.PartSize != plan.PartSize {
		rangeParts = max(1, int(mp.Plan.Parts)/2)
	}
	src := message.Object{Bucket: t.Source.Bucket, Key: t.Source.Key, VersionID: so.Version.VersionID, ETag: so.Version.ETag, Size: so.Version.Size}
	var bodies []string
	for first := int32(1); first <= mp.Plan.Parts; first += int32(rangeParts) {
		last := min(first+int32(rangeParts)-1, mp.Plan.Parts)
		b, err := message.EncodeParts(src, t.Dest, message.PartRange{ObjectID: st.ID, UploadID: mp.UploadID,
			PartSize: mp.Plan.PartSize, First: first, Last: last})
		if err != nil {
			return retry(err.Error())
		}
		bodies = append(bodies, b)
	}
	if err := w.queue.SendBatch(ctx, bodies); err != nil {
		// Sent ones are harmless when this message comes again: ranges are counted once.
		log.Warn("fan-out: some sub-jobs were not sent; retrying the whole fan-out later", "err", err)
		return retry(err.Error())
	}
	// The sub-jobs carry the object from here; a duplicate of this message
	// claims it again, reuses the upload and finds its ranges counted.
	inv.release(ctx, log, st)
	log.Info("giant object fanned out", "upload_id", mp.UploadID, "parts", mp.Plan.Parts, "part_size", mp.Plan.PartSize,
		"sub_jobs", len(bodies), "parts_per_sub_job", rangeParts, "bytes", so.Version.Size)
	return ack()
}

// parts uploads one sub-job's range; the worker that counts the last range
// completes the upload.
func (inv *invocation) parts(ctx context.Context, m Message, t message.Task) taskResult {
	w := inv.w
	pr := *t.Parts
	id := pr.ObjectID
	log := inv.log.With("message_id", m.ID, "key", t.Source.Key, "dest_key", t.Dest.Key, "object_id", id,
		"upload_id", pr.UploadID, "range", pr.ID())
	start := time.Now()
	eng, err := w.engine(ctx, t.Source.Bucket, t.Dest.Bucket)
	if err != nil {
		w.credentialsRejected(err)
		return retry(err.Error())
	}
	plan, err := transfer.NewPartPlan(t.Source.Size, pr.PartSize)
	if err != nil || plan.PartSize != pr.PartSize {
		inv.failObject(ctx, log, id, t.Dest, pr.UploadID, fmt.Sprintf("sub-job part size %d does not fit an object of %d bytes", pr.PartSize, t.Source.Size))
		return ack()
	}
	mp := transfer.Multipart{SourceKey: t.Source.Key, DestKey: t.Dest.Key, UploadID: pr.UploadID, Plan: plan, KMS: kms(w.cfg.Engine.Put),
		Source: transfer.SourceVersion{Size: t.Source.Size, ETag: t.Source.ETag, VersionID: t.Source.VersionID}}
	if inv.stopped() {
		return handBack("stopping before the sub-job started")
	}
	missing, _, err := eng.MissingParts(ctx, mp)
	if errors.Is(err, transfer.ErrNoSuchUpload) {
		return inv.uploadGone(ctx, log, id, t, pr)
	}
	if err != nil {
		return inv.subJobFailed(ctx, log, m, id, t, pr, err)
	}
	var mine []int32
	for _, n := range missing {
		if n >= pr.First && n <= pr.Last {
			mine = append(mine, n)
		}
	}
	rep, err := eng.SendParts(ctx, mp, mine, inv.stop)
	if err != nil {
		if errors.Is(err, transfer.ErrNoSuchUpload) {
			return inv.uploadGone(ctx, log, id, t, pr)
		}
		return inv.subJobFailed(ctx, log, m, id, t, pr, err)
	}
	if rep.Stopped {
		w.emitBytes(rep.Bytes, map[string]any{"key": t.Dest.Key, "range": pr.ID()})
		log.Info("deadline near: sub-job handed on", "bytes", rep.Bytes, "parts_sent", len(rep.Sent))
		return handBack(fmt.Sprintf("deadline: sub-job %s handed on after %d parts", pr.ID(), len(rep.Sent)))
	}
	log.Info("sub-job uploaded its parts", "parts_sent", len(rep.Sent), "parts_in_range", pr.Count(), "bytes", rep.Bytes,
		"mb_per_s", mbps(rep.Bytes, time.Since(start)), "started", start.UTC().Format(time.RFC3339Nano))
	w.emitBytes(rep.Bytes, map[string]any{"key": t.Dest.Key, "range": pr.ID(), "request_id": inv.opts.RequestID})

	remaining, err := w.states.PartsDone(ctx, id, pr.UploadID, pr.ID(), pr.Count())
	switch {
	case errors.Is(err, dynamostore.ErrUploadMismatch):
		log.Info("sub-job is for an upload that is no longer the object's; dropped")
		return ack()
	case errors.Is(err, dynamostore.ErrObjectFailed):
		log.Info("object was marked FAILED by another sub-job; dropped")
		return ack()
	case errors.Is(err, dynamostore.ErrRangeDone):
		if remaining != 0 {
			log.Info("range already counted (duplicate delivery)", "parts_remaining", remaining)
			return ack()
		}
		// Counted before and nothing remains: the completer may have died; complete (idempotent).
	case err != nil:
		return retry(err.Error())
	}
	if remaining > 0 {
		log.Info("range counted", "parts_remaining", remaining)
		return ack()
	}
	return inv.complete(ctx, log, id, t, mp, rep.Sent)
}

// complete finishes a fanned-out upload and records the object DONE.
func (inv *invocation) complete(ctx context.Context, log *slog.Logger, id string, t message.Task, mp transfer.Multipart, sent map[int32]transfer.Part) taskResult {
	w := inv.w
	start := time.Now()
	eng, err := w.engine(ctx, t.Source.Bucket, t.Dest.Bucket)
	if err != nil {
		return retry(err.Error())
	}
	etag, err := eng.FinishMultipart(ctx, mp, sent, mp.Checksum)
	if errors.Is(err, transfer.ErrNoSuchUpload) {
		// Completed by an earlier attempt that died before recording it?
		dst, derr := w.buckets.Destination(ctx, t.Dest.Bucket)
		if derr == nil {
			if d, serr := dst.Stat(ctx, t.Dest.Key); serr == nil && d.Size == mp.Source.Size {
				etag, err = d.ETag, nil
			}
		}
	}
	if err != nil {
		if errors.Is(err, transfer.ErrIntegrity) || errors.Is(err, transfer.ErrNoSuchUpload) {
			inv.failObject(ctx, log, id, t.Dest, mp.UploadID, "complete the fanned-out upload: "+err.Error())
			return ack()
		}
		return retry(err.Error())
	}
	st, ok, err := w.states.Load(ctx, id)
	if err != nil || !ok {
		return retry(fmt.Sprintf("read state of %q after completing: found=%v err=%v", id, ok, err))
	}
	st.Status, st.DestETag, st.Bytes, st.UploadID, st.Error, st.End = transfer.StatusDone, etag, mp.Source.Size, mp.UploadID, "", time.Now().UTC()
	st.WorkerID = w.cfg.WorkerID
	if err := w.states.CompleteParts(ctx, st); err != nil && !errors.Is(err, dynamostore.ErrDone) {
		return retry(err.Error())
	}
	dur := st.End.Sub(st.FirstStart)
	w.emitObject(0, dur, false, map[string]any{"key": t.Dest.Key, "parts": mp.Plan.Parts, "fan_out": true, "request_id": inv.opts.RequestID})
	log.Info("giant object completed", "parts", mp.Plan.Parts, "bytes_total", mp.Source.Size, "etag", etag,
		"seconds", dur.Seconds(), "mb_per_s", mbps(mp.Source.Size, dur), "complete_seconds", time.Since(start).Seconds())
	return ack()
}

// uploadGone handles a sub-job whose upload no longer exists.
func (inv *invocation) uploadGone(ctx context.Context, log *slog.Logger, id string, t message.Task, pr message.PartRange) taskResult {
	st, ok, err := inv.w.states.Load(ctx, id)
	if err != nil {
		return retry(err.Error())
	}
	switch {
	case !ok || st.Status == transfer.StatusDone || st.Status == transfer.StatusFailed:
		log.Info("upload is gone and the object is finished; sub-job dropped", "status", st.Status)
		return ack()
	case st.UploadID != pr.UploadID:
		log.Info("upload is gone and the object has a newer one; stale sub-job dropped")
		return ack()
	}
	inv.failObject(ctx, log, id, t.Dest, pr.UploadID, "the multipart upload "+pr.UploadID+" disappeared (aborted outside s3migrate?)")
	return ack()
}

// subJobFailed retries a transient failure, or fails the object for good.
func (inv *invocation) subJobFailed(ctx context.Context, log *slog.Logger, m Message, id string, t message.Task, pr message.PartRange, err error) taskResult {
	inv.w.credentialsRejected(err)
	permanent := errors.Is(err, transfer.ErrNotFound) || errors.Is(err, transfer.ErrAccessDenied) ||
		errors.Is(err, transfer.ErrSourceChanged) || errors.Is(err, transfer.ErrIntegrity)
	if !permanent && m.ReceiveCount < inv.w.cfg.FailAfterReceives {
		log.Warn("sub-job failed; retrying later", "receive_count", m.ReceiveCount, "err", err)
		return retry(err.Error())
	}
	inv.failObject(ctx, log, id, t.Dest, pr.UploadID, fmt.Sprintf("sub-job %s: %v", pr.ID(), err))
	return ack()
}

// failObject marks a fanned-out object FAILED and aborts its upload.
func (inv *invocation) failObject(ctx context.Context, log *slog.Logger, id string, dst message.Location, uploadID, reason string) {
	ctx = context.WithoutCancel(ctx)
	if err := inv.w.states.FailObject(ctx, id, reason); err != nil && !errors.Is(err, dynamostore.ErrDone) {
		log.Error("could not mark the object FAILED", "reason", reason, "err", err)
	}
	inv.abort(ctx, log, dst, uploadID, reason)
	inv.w.emitObject(0, 0, true, map[string]any{"key": dst.Key, "reason": reason})
	log.Error("object FAILED; upload aborted", "reason", reason)
}

func (inv *invocation) abort(ctx context.Context, log *slog.Logger, dst message.Location, uploadID, why string) {
	d, err := inv.w.buckets.Destination(ctx, dst.Bucket)
	if err == nil {
		err = d.Abort(ctx, dst.Key, uploadID)
	}
	if err != nil && !errors.Is(err, transfer.ErrNoSuchUpload) {
		log.Warn("could not abort the multipart upload; `s3migrate gc` removes it later", "upload_id", uploadID, "reason", why, "err", err)
	}
}

// release hands a claim back after a failure before the copy started.
func (inv *invocation) release(ctx context.Context, log *slog.Logger, st transfer.ObjectState) {
	st.WorkerID = inv.w.cfg.WorkerID
	if err := inv.w.states.Release(context.WithoutCancel(ctx), st); err != nil {
		log.Warn("could not release the claim", "err", err)
	}
}

func kms(opt transfer.PutOptions) bool { return opt.SSE == "aws:kms" || opt.SSE == "aws:kms:dsse" }

func mbps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / 1e6 / d.Seconds()
}

func (w *Worker) emitObject(bytes int64, d time.Duration, failed bool, props map[string]any) {
	if w.emf == nil {
		return
	}
	props["worker_id"] = w.cfg.WorkerID
	if err := w.emf.Object(metrics.Object{Bytes: bytes, Duration: d, Failed: failed, Properties: props}); err != nil {
		w.log.Warn("could not write metrics", "err", err)
	}
}

func (w *Worker) emitBytes(n int64, props map[string]any) {
	if w.emf == nil || n == 0 {
		return
	}
	props["worker_id"] = w.cfg.WorkerID
	if err := w.emf.Bytes(n, props); err != nil {
		w.log.Warn("could not write metrics", "err", err)
	}
}
