// Package jobsender lists a source prefix and a destination prefix, compares
// the two sorted listings in one streaming pass (O(N+M) time, memory
// bounded by one batch) and queues a copy job for every source object that
// is missing at the destination or differs in size or ETag.
//
// It runs whatever the queue holds: a job queued twice is harmless, because
// the worker's state table drops a duplicate of a finished object.
package jobsender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/s3migrate/s3migrate/src/message"
	"github.com/s3migrate/s3migrate/src/queue"
	"github.com/s3migrate/s3migrate/src/selection"
	"github.com/s3migrate/s3migrate/src/transfer"
)

var errListed = errors.New("listed to the end")

// Sender queues message bodies (queue.Queue).
type Sender interface {
	SendBatch(ctx context.Context, bodies []string) error
}

var _ Sender = (*queue.Queue)(nil)

// Config is one bucket pair.
type Config struct {
	Source selection.Location // bucket and prefix ("" or ending in "/")
	Dest   selection.Location
	// Include and Exclude are globs on the key relative to the source
	// prefix ('*' any bytes, '?' one byte).
	Include, Exclude []string
	// FlushEvery is how many jobs are sent per SendBatch call (in SQS
	// batches of 10). Default 100.
	FlushEvery int
	// DryRun counts and logs what would be queued without sending.
	DryRun bool
}

// Report is what a run found and did.
type Report struct {
	Listed      int64 // source objects listed
	DestListed  int64 // destination objects listed
	Ignored     int64 // excluded by the globs
	Same        int64 // present with the same size and ETag
	Missing     int64 // not at the destination
	SizeDiffers int64
	ETagDiffers int64
	Queued      int64 // jobs sent
	QueuedBytes int64
	Failed      int64 // jobs SQS did not take after retries
}

// Run compares and queues. src and dst list in lexical (byte) order, as
// S3's ListObjectsV2 does.
func Run(ctx context.Context, src, dst transfer.Lister, q Sender, cfg Config, log *slog.Logger) (Report, error) {
	var rep Report
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if !cfg.Source.IsPrefix() || !cfg.Dest.IsPrefix() {
		return rep, fmt.Errorf("jobsender: source and destination must be prefixes (end them with '/'), got %s and %s", cfg.Source, cfg.Dest)
	}
	filter, err := selection.NewFilter(cfg.Include, cfg.Exclude)
	if err != nil {
		return rep, err
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = 100
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The destination listing streams through a channel; the source
	// listing's callback advances it as far as the current key.
	dstCh := make(chan transfer.ListedObject, 1000)
	dstErr := make(chan error, 1)
	go func() {
		defer close(dstCh)
		dstErr <- dst.List(ctx, cfg.Dest.Key, func(o transfer.ListedObject) error {
			select {
			case dstCh <- o:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var (
		cur     transfer.ListedObject
		curRel  string
		haveCur bool
		derr    error
	)
	// next advances the destination listing; its error (sent before the
	// channel closes) stops the run rather than queueing everything.
	next := func() error {
		o, ok := <-dstCh
		if !ok {
			haveCur = false
			if derr == nil {
				derr = <-dstErr
				if derr == nil {
					derr = errListed
				}
			}
			if derr != errListed {
				return fmt.Errorf("list destination %s: %w", cfg.Dest, derr)
			}
			return nil
		}
		rep.DestListed++
		cur, curRel, haveCur = o, strings.TrimPrefix(o.Key, cfg.Dest.Key), true
		return nil
	}

	var batch []string
	var batchBytes []int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if !cfg.DryRun {
			if err := q.SendBatch(ctx, batch); err != nil {
				var be *queue.BatchError
				if !errors.As(err, &be) {
					return err
				}
				failed := map[int]bool{}
				for _, i := range be.Failed() {
					failed[i] = true
				}
				for i := range batch {
					if failed[i] {
						rep.Failed++
					} else {
						rep.Queued++
						rep.QueuedBytes += batchBytes[i]
					}
				}
				log.Warn("some jobs were not queued", "failed", len(failed), "err", err)
				batch, batchBytes = batch[:0], batchBytes[:0]
				return nil
			}
		}
		for _, n := range batchBytes {
			rep.Queued++
			rep.QueuedBytes += n
		}
		batch, batchBytes = batch[:0], batchBytes[:0]
		return nil
	}

	err = next()
	if err == nil {
		err = src.List(ctx, cfg.Source.Key, func(o transfer.ListedObject) error {
			rep.Listed++
			rel := strings.TrimPrefix(o.Key, cfg.Source.Key)
			for haveCur && curRel < rel {
				if err := next(); err != nil {
					return err
				}
			}
			if !filter.Match(rel) {
				rep.Ignored++
				return nil
			}
			var why string
			switch {
			case !haveCur || curRel != rel:
				rep.Missing++
				why = "missing"
			case cur.Size != o.Size:
				rep.SizeDiffers++
				why = "size differs"
			case etagsDiffer(o.ETag, cur.ETag):
				rep.ETagDiffers++
				why = "etag differs"
			default:
				rep.Same++
				return nil
			}
			destKey := cfg.Dest.Key + rel
			body, err := message.EncodeCopy(message.Object{Bucket: cfg.Source.Bucket, Key: o.Key, ETag: o.ETag, Size: o.Size},
				message.Location{Bucket: cfg.Dest.Bucket, Key: destKey})
			if err != nil {
				log.Warn("key cannot be sent as a job; skipped", "reason", err.Error())
				rep.Failed++
				return nil
			}
			log.Debug("queue", "key", o.Key, "why", why)
			batch = append(batch, body)
			batchBytes = append(batchBytes, o.Size)
			if len(batch) >= cfg.FlushEvery {
				return flush()
			}
			return nil
		})
	}
	if err == nil {
		err = flush()
	}
	cancel()
	for range dstCh { // let the destination lister end
	}
	if err != nil {
		return rep, fmt.Errorf("jobsender: %s: %w", cfg.Source, err)
	}
	if rep.Failed > 0 {
		return rep, fmt.Errorf("jobsender: %d jobs could not be queued (run it again: queued jobs are not repeated once done)", rep.Failed)
	}
	return rep, nil
}

// etagsDiffer compares ETags only when both are plain MD5s: a multipart
// ETag depends on the part size, which the two sides need not share.
func etagsDiffer(a, b string) bool {
	a, b = strings.Trim(a, `"`), strings.Trim(b, `"`)
	if a == "" || b == "" || strings.Contains(a, "-") || strings.Contains(b, "-") {
		return false
	}
	return !strings.EqualFold(a, b)
}
