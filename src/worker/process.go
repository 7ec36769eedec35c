package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/s3migrate/s3migrate/src/message"
	"github.com/s3migrate/s3migrate/src/queue"
)

// Run options of one Process call.
type ProcessOptions struct {
	// RequestID is the Lambda invocation's request id (logs, metrics).
	RequestID string
	// Stop, when closed, stops starting parts (SIGTERM on EC2); in-flight
	// parts finish and the rest is handed back.
	Stop <-chan struct{}
}

// invocation is the state of one Process call.
type invocation struct {
	w        *Worker
	opts     ProcessOptions
	log      *slog.Logger
	start    time.Time
	deadline time.Time // zero: none
	stop     chan struct{}
	sent0    int64

	mu     sync.Mutex
	claims map[string]bool // ids whose lease this call holds (renewed without a deadline)
}

// lease is how long a claim made now must hold.
func (inv *invocation) lease() time.Duration {
	if inv.deadline.IsZero() {
		return inv.w.cfg.Lease
	}
	return time.Until(inv.deadline) + time.Minute
}

// budget is the time left for copying before the stop.
func (inv *invocation) budget() time.Duration {
	if inv.deadline.IsZero() {
		return inv.w.cfg.NoDeadlineBudget
	}
	return time.Until(inv.deadline) - inv.w.cfg.DeadlineMargin
}

func (inv *invocation) stopped() bool {
	select {
	case <-inv.stop:
		return true
	default:
		return false
	}
}

func (inv *invocation) holdClaim(id string, held bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if held {
		inv.claims[id] = true
	} else {
		delete(inv.claims, id)
	}
}

// Process handles a batch of messages and returns one Result per message,
// in order. It never fails the batch for one message: a message that cannot
// be processed gets Retry with its reason. Visibility changes for HandBack
// and Retry are made here; the caller deletes Ack messages (the Lambda
// event source mapping does it for messages not reported as failures).
func (w *Worker) Process(ctx context.Context, msgs []Message, opts ProcessOptions) []Result {
	inv := &invocation{w: w, opts: opts, start: time.Now(), stop: make(chan struct{}), sent0: w.sent.Load(),
		claims: map[string]bool{}, log: w.log}
	if opts.RequestID != "" {
		inv.log = w.log.With("request_id", opts.RequestID)
	}
	if d, ok := ctx.Deadline(); ok {
		inv.deadline = d
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { defer bg.Done(); inv.watchStop(watchCtx) }()
	go func() { defer bg.Done(); inv.heartbeat(watchCtx, msgs) }()

	results := make([]Result, len(msgs))
	outs := make([][]taskResult, len(msgs))
	slots := make(chan struct{}, w.cfg.ObjectsInFlight)
	var wg sync.WaitGroup
	for i, m := range msgs {
		results[i] = Result{MessageID: m.ID}
		tasks, err := message.Decode(m.Body)
		if err != nil {
			// The reason names the format and field, never the body.
			inv.log.Warn("message cannot be processed; it reaches the DLQ after maxReceiveCount",
				"message_id", m.ID, "receive_count", m.ReceiveCount, "reason", err.Error())
			results[i].Outcome, results[i].Reason = Retry, err.Error()
			continue
		}
		outs[i] = make([]taskResult, len(tasks))
		for j, t := range tasks {
			wg.Add(1)
			slots <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				outs[i][j] = inv.runTask(ctx, m, t)
			}()
		}
	}
	wg.Wait()
	stopWatch()
	bg.Wait()
	for i := range results {
		results[i] = merge(results[i], outs[i])
	}
	return inv.settle(ctx, msgs, results)
}

// merge folds a message's task results into its Result: any Retry makes
// the message Retry (after the longest delay asked), else any HandBack
// makes it HandBack.
func merge(r Result, outs []taskResult) Result {
	for _, o := range outs {
		if o.outcome > r.Outcome {
			r.Outcome, r.Reason = o.outcome, o.reason
		}
		r.Delay = max(r.Delay, o.delay)
	}
	return r
}

// watchStop closes inv.stop when the caller's Stop closes or when the
// deadline is nearer than the margin.
func (inv *invocation) watchStop(ctx context.Context) {
	defer func() {
		if !inv.stopped() {
			close(inv.stop)
		}
	}()
	var ext <-chan struct{} = inv.opts.Stop
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if !inv.deadline.IsZero() && time.Until(inv.deadline) <= inv.margin() {
			inv.log.Info("deadline near: no new parts start", "seconds_left", time.Until(inv.deadline).Seconds(),
				"margin_seconds", inv.margin().Seconds())
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-ext:
			return
		case <-tick.C:
		}
	}
}

// margin is how long before the deadline to stop starting parts: the
// configured margin, or longer when the observed throughput says the parts
// that may be in flight need more (plus time to record progress); never
// more than half the invocation.
func (inv *invocation) margin() time.Duration {
	c := inv.w.cfg
	m := c.DeadlineMargin
	elapsed := time.Since(inv.start)
	if sent := inv.w.sent.Load() - inv.sent0; elapsed > 2*time.Second && sent > 0 {
		rate := float64(sent) / elapsed.Seconds()
		inFlight := float64(int64(c.Engine.PartsInFlight) * c.Engine.PartSize)
		if c.Engine.PartsInFlight == 0 {
			inFlight = float64(64 * c.Engine.PartSize)
		}
		need := time.Duration(1.5*inFlight/rate*float64(time.Second)) + 2*time.Second
		m = max(m, need)
	}
	if !inv.deadline.IsZero() {
		m = min(m, inv.deadline.Sub(inv.start)/2)
	}
	return m
}

// heartbeat keeps the batch's messages hidden and the claims leased while
// the work may outlast them: never for a Lambda whose deadline comes
// before the queue's visibility timeout ends.
func (inv *invocation) heartbeat(ctx context.Context, msgs []Message) {
	c := inv.w.cfg
	needVis := c.Visibility > 0 && inv.w.queue != nil && (inv.deadline.IsZero() || inv.deadline.After(inv.start.Add(c.Visibility*2/3)))
	needLease := inv.deadline.IsZero()
	if !needVis && !needLease {
		return
	}
	every := c.Lease / 3
	if needVis {
		every = min(every, c.Visibility/3)
	}
	every = max(every, time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if needVis {
			var ch []queue.VisibilityChange
			for _, m := range msgs {
				if m.ReceiptHandle != "" {
					ch = append(ch, queue.VisibilityChange{ReceiptHandle: m.ReceiptHandle, Timeout: c.Visibility})
				}
			}
			if len(ch) > 0 {
				if err := inv.w.queue.ChangeVisibilityBatch(ctx, ch); err != nil && ctx.Err() == nil {
					inv.log.Warn("heartbeat: could not extend message visibility", "err", err)
				}
			}
		}
		if needLease {
			inv.mu.Lock()
			ids := make([]string, 0, len(inv.claims))
			for id := range inv.claims {
				ids = append(ids, id)
			}
			inv.mu.Unlock()
			for _, id := range ids {
				if err := inv.w.states.ExtendLease(ctx, id, c.WorkerID, c.Lease); err != nil && ctx.Err() == nil {
					inv.log.Warn("heartbeat: could not extend the claim", "object_id", id, "err", err)
				}
			}
		}
	}
}

// settle makes the visibility changes the results ask for: HandBack
// messages become visible at once (or, after RequeueAfterReceives
// receives, continue as a new message so hand-offs never reach the DLQ),
// Retry messages come back after a backoff.
func (inv *invocation) settle(ctx context.Context, msgs []Message, results []Result) []Result {
	w := inv.w
	ctx = context.WithoutCancel(ctx)
	var changes []queue.VisibilityChange
	for i, m := range msgs {
		r := &results[i]
		switch r.Outcome {
		case HandBack:
			if w.queue != nil && m.ReceiveCount >= w.cfg.RequeueAfterReceives {
				if err := w.queue.SendBatch(ctx, []string{m.Body}); err == nil {
					inv.log.Info("hand-off continues as a new message", "message_id", m.ID, "receive_count", m.ReceiveCount)
					r.Outcome = Ack
					continue
				} else {
					inv.log.Warn("hand-off: could not send the continuation; handing the message back", "err", err)
				}
			}
			if m.ReceiptHandle != "" {
				changes = append(changes, queue.VisibilityChange{ReceiptHandle: m.ReceiptHandle, Timeout: 0})
			}
		case Retry:
			if m.ReceiptHandle != "" {
				d := min(w.cfg.RetryDelay*time.Duration(max(1, m.ReceiveCount)), 15*time.Minute)
				changes = append(changes, queue.VisibilityChange{ReceiptHandle: m.ReceiptHandle, Timeout: min(max(d, r.Delay), queue.MaxVisibility)})
			}
		}
	}
	if len(changes) > 0 && w.queue != nil {
		if err := w.queue.ChangeVisibilityBatch(ctx, changes); err != nil {
			inv.log.Warn("could not change the visibility of handed-back or failed messages; they return after the visibility timeout", "err", err)
		}
	}
	for i, m := range msgs {
		if results[i].Outcome != Ack {
			inv.log.Info("message not done", "message_id", m.ID, "outcome", results[i].Outcome.String(), "reason", results[i].Reason)
		}
	}
	return results
}
