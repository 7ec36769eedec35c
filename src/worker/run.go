package worker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/s3migrate/s3migrate/src/queue"
)

// Receiver is the queue a long-running worker polls (queue.Queue).
type Receiver interface {
	Receive(ctx context.Context, max int, wait, visibility time.Duration) ([]queue.Message, error)
	Delete(ctx context.Context, receiptHandle string) error
}

var _ Receiver = (*queue.Queue)(nil)

// RunOptions tune the polling loop of Run.
type RunOptions struct {
	// Wait is the long-poll wait per receive (default 20 s, the SQS maximum).
	Wait time.Duration
	// ShutdownGrace bounds how long in-flight work may take to finish its
	// parts after a stop; then it is cancelled (its messages return after
	// their visibility timeout and resume from the parts at the
	// destination). Default 90 s (a spot interruption gives 2 min).
	ShutdownGrace time.Duration
}

// Run long-polls rq and processes up to Config.ObjectsInFlight messages at
// once, each with the same code as the Lambda, deleting the done ones.
// When ctx is cancelled (SIGTERM: scale-in, spot interruption) it stops
// receiving, stops starting parts, lets in-flight parts finish, records
// progress, makes the unfinished messages visible again and returns nil;
// work still running after ShutdownGrace is cancelled. Messages are hidden
// for Config.Visibility and extended while worked on.
func (w *Worker) Run(ctx context.Context, rq Receiver, opts RunOptions) error {
	if opts.Wait == 0 {
		opts.Wait = queue.MaxWait
	}
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 90 * time.Second
	}
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	slots := make(chan struct{}, w.cfg.ObjectsInFlight)
	var wg sync.WaitGroup
	backoff := time.Second
	for ctx.Err() == nil {
		// Take one free slot (waiting), then any others free, up to a batch.
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		n := 1
		for n < queue.MaxBatch {
			select {
			case slots <- struct{}{}:
				n++
				continue
			default:
			}
			break
		}
		msgs, err := rq.Receive(ctx, n, opts.Wait, w.cfg.Visibility)
		for range n - len(msgs) {
			<-slots
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			w.log.Warn("receive failed; retrying", "err", err, "backoff_seconds", backoff.Seconds())
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = time.Second
		for _, m := range msgs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				msg := Message{ID: m.ID, ReceiptHandle: m.ReceiptHandle, Body: m.Body, ReceiveCount: m.ReceiveCount}
				res := w.Process(workCtx, []Message{msg}, ProcessOptions{Stop: ctx.Done()})
				if res[0].Outcome == Ack {
					if err := rq.Delete(workCtx, m.ReceiptHandle); err != nil {
						w.log.Warn("could not delete a done message; it comes again and is dropped as a duplicate", "message_id", m.ID, "err", err)
					}
				}
			}()
		}
	}
	w.log.Info("stopping: no new messages; in-flight parts finish, the rest is handed back",
		"grace_seconds", opts.ShutdownGrace.Seconds())
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(opts.ShutdownGrace):
		cancelWork()
		<-done
		return fmt.Errorf("in-flight work did not finish its parts within %s; it resumes from the destination's parts when its messages return", opts.ShutdownGrace)
	}
	w.log.Info("stopped cleanly")
	return nil
}
