// Package worker turns queue messages into transfers: it decodes each
// message, claims the object in the state table, copies it with the
// transfer engine until done or until the invocation's deadline nears,
// records progress and hands the rest on, and fans giant objects out as
// part-range sub-jobs that several workers upload at once.
//
// The same code serves the Lambda (HandleSQS, one batch per invocation)
// and the long-running worker on EC2 or any host (Run, long-polling). See
// README.md in this directory for the message formats, the state item,
// the deadline hand-off and the fan-out protocol.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3migrate/s3migrate/src/message"
	"github.com/s3migrate/s3migrate/src/metrics"
	"github.com/s3migrate/s3migrate/src/queue"
	"github.com/s3migrate/s3migrate/src/statestore/dynamostore"
	"github.com/s3migrate/s3migrate/src/transfer"
)

// States is the per-object state the worker keeps (dynamostore.Store).
type States interface {
	transfer.StateStore
	Claim(ctx context.Context, req dynamostore.ClaimRequest) (transfer.ObjectState, error)
	ExtendLease(ctx context.Context, id, workerID string, lease time.Duration) error
	Release(ctx context.Context, st transfer.ObjectState) error
	Finish(ctx context.Context, st transfer.ObjectState) error
	InitParts(ctx context.Context, id, uploadID string, totalParts int) error
	PartsDone(ctx context.Context, id, uploadID, rangeID string, parts int) (int64, error)
	CompleteParts(ctx context.Context, st transfer.ObjectState) error
	FailObject(ctx context.Context, id, reason string) error
}

var _ States = (*dynamostore.Store)(nil)

// Queue is what the worker does on its queue (queue.Queue): send sub-jobs
// and continuations, change visibility.
type Queue interface {
	SendBatch(ctx context.Context, bodies []string) error
	ChangeVisibility(ctx context.Context, receiptHandle string, d time.Duration) error
	ChangeVisibilityBatch(ctx context.Context, changes []queue.VisibilityChange) error
}

var _ Queue = (*queue.Queue)(nil)

// Buckets opens the buckets that messages name, each with the credentials
// of its side.
type Buckets interface {
	Source(ctx context.Context, bucket string) (transfer.Source, error)
	Destination(ctx context.Context, bucket string) (transfer.Destination, error)
}

// KeyInvalidator is implemented by Buckets whose credentials can be read
// again (the far side's keys): the worker calls it when a side rejected them.
type KeyInvalidator interface {
	InvalidateKeys(err error) bool
}

// Message is one queue message, from a Lambda event or a receive.
type Message struct {
	ID            string
	ReceiptHandle string
	Body          string
	ReceiveCount  int // 1 on first delivery; 0 when unknown
}

// Outcome is what should happen to a message after processing.
type Outcome int

const (
	// Ack: done (or nothing to do); delete the message.
	Ack Outcome = iota
	// HandBack: progress recorded, the rest continues in the next
	// receive; the message was made visible again at once. Report it as a
	// batch item failure (Lambda) and do not delete it.
	HandBack
	// Retry: failed for now; the message reappears after a backoff (its
	// visibility was set) and reaches the DLQ after maxReceiveCount.
	// Report it as a batch item failure and do not delete it.
	Retry
)

func (o Outcome) String() string {
	switch o {
	case Ack:
		return "ack"
	case HandBack:
		return "hand-back"
	case Retry:
		return "retry"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Result is the outcome of one message.
type Result struct {
	MessageID string
	Outcome   Outcome
	Reason    string // why, for Retry and HandBack
	// Delay: Retry only; the message was hidden for at least this long
	// (another worker's lease).
	Delay time.Duration
}

// Worker processes messages. Safe for concurrent use.
type Worker struct {
	cfg     Config
	states  States
	queue   Queue
	buckets Buckets
	emf     *metrics.EMF
	log     *slog.Logger
	store   *claimStore

	sent atomic.Int64 // bytes uploaded, for the observed throughput

	mu      sync.Mutex
	engines map[string]*transfer.Engine
}

// New returns a worker. q may be nil only if no message ever needs it
// (no giant objects, no hand-offs): tests of decoding. emf may be nil.
func New(cfg Config, states States, q Queue, buckets Buckets, emf *metrics.EMF, log *slog.Logger) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("worker configuration: %w", err)
	}
	cfg = cfg.withDefaults()
	if cfg.WorkerID == "" {
		host, _ := os.Hostname()
		cfg.WorkerID = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	cfg.Engine.WorkerID = cfg.WorkerID
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if states == nil || buckets == nil {
		return nil, errors.New("worker: a state store and buckets are required")
	}
	w := &Worker{cfg: cfg, states: states, queue: q, buckets: buckets, emf: emf, log: log.With("worker_id", cfg.WorkerID),
		engines: map[string]*transfer.Engine{}}
	w.store = &claimStore{States: states}
	return w, nil
}

// Config returns the effective configuration.
func (w *Worker) Config() Config { return w.cfg }

// engine returns the engine for a bucket pair, built once.
func (w *Worker) engine(ctx context.Context, srcBucket, dstBucket string) (*transfer.Engine, error) {
	k := srcBucket + "\n" + dstBucket
	w.mu.Lock()
	e, ok := w.engines[k]
	w.mu.Unlock()
	if ok {
		return e, nil
	}
	src, err := w.buckets.Source(ctx, srcBucket)
	if err != nil {
		return nil, fmt.Errorf("open source bucket %q: %w", srcBucket, err)
	}
	dst, err := w.buckets.Destination(ctx, dstBucket)
	if err != nil {
		return nil, fmt.Errorf("open destination bucket %q: %w", dstBucket, err)
	}
	e, err = transfer.New(src, dst, w.store, w.cfg.Engine, observer{w}, w.log)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if prev, ok := w.engines[k]; ok {
		return prev, nil
	}
	w.engines[k] = e
	return e, nil
}

// dropEngines forgets the engines, so the next message opens the buckets
// again (with credentials read again).
func (w *Worker) dropEngines() {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.engines)
}

// credentialsRejected tells the far side's key source that its keys were
// refused, so they are read again.
func (w *Worker) credentialsRejected(err error) {
	if ki, ok := w.buckets.(KeyInvalidator); ok && ki.InvalidateKeys(err) {
		w.log.Warn("a side rejected its credentials; reading them again for the next message")
		w.dropEngines()
	}
}

type observer struct{ w *Worker }

func (o observer) BytesSent(n int64)                 { o.w.sent.Add(n) }
func (o observer) BytesSkipped(int64)                {}
func (o observer) ObjectStarted(transfer.Job, int64) {}
func (o observer) ObjectDone(transfer.Result)        {}

// claimStore is the engine's StateStore: Load returns the state the claim
// just returned (no second read), a final Save is the claimant's
// conditional Finish, and progress saves leave the lease alone.
type claimStore struct {
	States
	claims sync.Map // id -> transfer.ObjectState
}

func (s *claimStore) hold(st transfer.ObjectState) { s.claims.Store(st.ID, st) }
func (s *claimStore) drop(id string)               { s.claims.Delete(id) }

func (s *claimStore) Load(ctx context.Context, id string) (transfer.ObjectState, bool, error) {
	if v, ok := s.claims.Load(id); ok {
		st := v.(transfer.ObjectState)
		// The claim counted this attempt already; the engine counts it again.
		st.Attempts--
		return st, true, nil
	}
	return s.States.Load(ctx, id)
}

func (s *claimStore) Save(ctx context.Context, st transfer.ObjectState) error {
	if _, claimed := s.claims.Load(st.ID); claimed {
		switch st.Status {
		case transfer.StatusDone, transfer.StatusFailed, transfer.StatusSkipped:
			return s.States.Finish(ctx, st)
		}
		s.claims.Store(st.ID, st)
	}
	return s.States.Save(ctx, st)
}

// StateID is the state record id of a destination object: bucket/key, as
// the CLI's copy uses.
func StateID(dst message.Location) string { return dst.Bucket + "/" + dst.Key }
