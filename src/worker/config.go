package worker

import (
	"errors"
	"fmt"
	"time"

	"github.com/s3migrate/s3migrate/src/transfer"
)

// Config is how a Worker turns messages into transfers. The zero value is
// usable except for WorkerID, which New fills from the host when empty.
type Config struct {
	// WorkerID names this worker in the state records and logs: the Lambda
	// container (function name + a random id per container) or host/pid.
	WorkerID string

	// DestBucket and DestPrefix are the destination of S3 event
	// notifications (which name only the source); jobs carry their own.
	DestBucket string
	DestPrefix string
	// DeleteOnRemove lets ObjectRemoved events and delete jobs delete the
	// destination object. Off: they are acknowledged and dropped.
	DeleteOnRemove bool

	// Engine is the copy engine's options (part size, parts in flight,
	// storage class, encryption).
	Engine transfer.Options
	// ObjectsInFlight bounds the tasks (objects, sub-jobs) of one batch run
	// at once. Default 8.
	ObjectsInFlight int

	// Lease is how long a claim holds without renewal when the work has no
	// deadline (EC2). With a deadline (Lambda) the claim lasts until the
	// deadline plus a minute. Default 5 min; renewed every Lease/3.
	Lease time.Duration
	// DeadlineMargin is the least time before the deadline at which the
	// worker stops starting parts, so the parts in flight can finish and
	// the progress can be recorded. The worker grows it when the observed
	// throughput says the parts in flight need longer. Default 30 s.
	DeadlineMargin time.Duration

	// FanOutBytes: objects of at least this size fan out as part-range
	// sub-jobs. 0: an object fans out when EstimatedBytesPerSec says it
	// cannot finish before the deadline (or within NoDeadlineBudget).
	// Negative: never.
	FanOutBytes int64
	// EstimatedBytesPerSec is the copy speed one worker is assumed to
	// reach, for the fan-out decision and the size of sub-job ranges.
	// Default 50 MB/s.
	EstimatedBytesPerSec int64
	// NoDeadlineBudget is the time budget assumed when the context has no
	// deadline (EC2 workers). Default 15 min.
	NoDeadlineBudget time.Duration
	// RangeParts is the number of parts per sub-job. 0: as many as one
	// worker uploads in half a budget at EstimatedBytesPerSec.
	RangeParts int
	// FailAfterReceives: a sub-job that still fails when received this
	// many times marks its object FAILED and aborts the upload (it would
	// otherwise only reach the DLQ). Default 5; set below the queue's
	// maxReceiveCount.
	FailAfterReceives int

	// RequeueAfterReceives: a hand-off of a message received this many
	// times is sent again as a new message (receive count 1) and the old
	// one acknowledged, so a long chain of hand-offs never reaches the DLQ.
	// Earlier hand-offs make the message visible again at once. Default 3.
	RequeueAfterReceives int

	// RetryDelay is how long a failed message stays hidden before the
	// next attempt, multiplied by its receive count (at most 15 min).
	// Default 30 s.
	RetryDelay time.Duration

	// Visibility is the queue's visibility timeout for messages in work
	// (Lambda: the queue's setting; EC2: what it receives with). The
	// worker extends visibility when the work may outlast it. 0: never.
	Visibility time.Duration
}

// Defaults.
const (
	DefaultObjectsInFlight      = 8
	DefaultLease                = 5 * time.Minute
	DefaultDeadlineMargin       = 30 * time.Second
	DefaultEstimatedBytesPerSec = 50_000_000
	DefaultNoDeadlineBudget     = 15 * time.Minute
	DefaultFailAfterReceives    = 5
	DefaultRequeueAfterReceives = 3
)

func (c Config) withDefaults() Config {
	if c.ObjectsInFlight == 0 {
		c.ObjectsInFlight = DefaultObjectsInFlight
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.DeadlineMargin == 0 {
		c.DeadlineMargin = DefaultDeadlineMargin
	}
	if c.EstimatedBytesPerSec == 0 {
		c.EstimatedBytesPerSec = DefaultEstimatedBytesPerSec
	}
	if c.NoDeadlineBudget == 0 {
		c.NoDeadlineBudget = DefaultNoDeadlineBudget
	}
	if c.FailAfterReceives == 0 {
		c.FailAfterReceives = DefaultFailAfterReceives
	}
	if c.RequeueAfterReceives == 0 {
		c.RequeueAfterReceives = DefaultRequeueAfterReceives
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = 30 * time.Second
	}
	if c.Engine.PartSize == 0 {
		c.Engine.PartSize = transfer.DefaultPartSize
	}
	return c
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if err := c.Engine.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.ObjectsInFlight < 1 {
		errs = append(errs, fmt.Errorf("objects in flight %d: must be at least 1", c.ObjectsInFlight))
	}
	if c.Lease < 10*time.Second {
		errs = append(errs, fmt.Errorf("lease %s: must be at least 10s", c.Lease))
	}
	if c.DeadlineMargin < 0 {
		errs = append(errs, fmt.Errorf("deadline margin %s: must not be negative", c.DeadlineMargin))
	}
	if c.EstimatedBytesPerSec < 1 {
		errs = append(errs, fmt.Errorf("estimated throughput %d B/s: must be positive", c.EstimatedBytesPerSec))
	}
	if c.RangeParts < 0 || c.RangeParts > transfer.MaxParts {
		errs = append(errs, fmt.Errorf("parts per sub-job %d: must be in 0..%d", c.RangeParts, transfer.MaxParts))
	}
	return errors.Join(errs...)
}
