// Package callcount counts AWS API calls per service and operation through
// an SDK middleware, so tests can assert that the number of DynamoDB and SQS
// calls per object does not grow with the object's size.
//
//	var c callcount.Counter
//	cfg := c.Instrument(cfg) // every client built from cfg is counted
//	...
//	c.Get("DynamoDB", "UpdateItem")
package callcount

import (
	"context"
	"sort"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts operations (one per API call, however many HTTP attempts
// the retryer makes) and attempts (each HTTP request sent). The zero value
// is ready to use; it is safe for concurrent use.
type Counter struct {
	mu       sync.Mutex
	calls    map[string]int64
	attempts map[string]int64
}

// Name is how counts are keyed: "<ServiceID>.<Operation>", e.g. "SQS.SendMessageBatch".
func Name(service, operation string) string { return service + "." + operation }

// Instrument returns a copy of cfg whose clients report to c.
func (c *Counter) Instrument(cfg aws.Config) aws.Config {
	cfg = cfg.Copy()
	cfg.APIOptions = append(append([]func(*middleware.Stack) error{}, cfg.APIOptions...), c.APIOption)
	return cfg
}

// APIOption adds the counting middleware to one client's stack; use it
// directly in a client's Options.APIOptions.
func (c *Counter) APIOption(stack *middleware.Stack) error {
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("callcount.Calls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.add(&c.calls, ctx)
			return next.HandleInitialize(ctx, in)
		}), middleware.Before); err != nil {
		return err
	}
	// After the retry middleware in Finalize: runs once per attempt.
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("callcount.Attempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			c.add(&c.attempts, ctx)
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

func (c *Counter) add(m *map[string]int64, ctx context.Context) {
	name := Name(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
	c.mu.Lock()
	defer c.mu.Unlock()
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[name]++
}

// Get returns how many calls of service.operation were made.
func (c *Counter) Get(service, operation string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[Name(service, operation)]
}

// Attempts returns how many HTTP requests service.operation sent (retries included).
func (c *Counter) Attempts(service, operation string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attempts[Name(service, operation)]
}

// Service returns the total number of calls made to one service ("SQS", "DynamoDB", "S3").
func (c *Counter) Service(service string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for k, v := range c.calls {
		if len(k) > len(service) && k[:len(service)] == service && k[len(service)] == '.' {
			n += v
		}
	}
	return n
}

// Snapshot returns a copy of all call counts, keyed by Name.
func (c *Counter) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// Reset sets every count to zero.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.attempts = nil, nil
}

// String lists the counts in name order, for test failure messages.
func (c *Counter) String() string {
	snap := c.Snapshot()
	names := make([]string, 0, len(snap))
	for k := range snap {
		names = append(names, k)
	}
	sort.Strings(names)
	s := ""
	for _, k := range names {
		if s != "" {
			s += " "
		}
		s += k + "=" + strconv.FormatInt(snap[k], 10)
	}
	return s
}
