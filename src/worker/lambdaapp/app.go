// Package lambdaapp wires the Lambda: environment → configuration → the
// worker (SQS events) or the jobsender (an EventBridge-scheduled
// {"jobsender": {...}} payload). src/cmd/lambda only calls New and
// lambda.Start(app.Handle).
package lambdaapp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3migrate/s3migrate/src/config/lambdaenv"
	"github.com/s3migrate/s3migrate/src/jobsender"
	"github.com/s3migrate/s3migrate/src/metrics"
	"github.com/s3migrate/s3migrate/src/netx"
	"github.com/s3migrate/s3migrate/src/queue"
	"github.com/s3migrate/s3migrate/src/s3side"
	"github.com/s3migrate/s3migrate/src/selection"
	"github.com/s3migrate/s3migrate/src/statestore/dynamostore"
	"github.com/s3migrate/s3migrate/src/transfer"
	"github.com/s3migrate/s3migrate/src/worker"
)

// App is one Lambda container: the configuration, the clients and the
// worker, built once at init and reused by every invocation.
type App struct {
	env     lambdaenv.Config
	tune    Tuning
	aws     aws.Config
	sqs     *sqs.Client
	states  *dynamostore.Store
	buckets worker.S3Buckets
	emf     *metrics.EMF
	log     *slog.Logger
	id      string

	mu sync.Mutex
	w  *worker.Worker
	q  *queue.Queue
}

// New reads the environment through lookup and prepares the clients. It
// makes no network call. Logs go to logs, EMF metric lines to metricsOut
// (both are the function's log stream in Lambda).
func New(ctx context.Context, lookup func(string) (string, bool), logs, metricsOut io.Writer) (*App, error) {
	env, err := lambdaenv.Parse(lookup)
	if err != nil {
		return nil, err
	}
	tune, err := ParseTuning(lookup)
	if err != nil {
		return nil, fmt.Errorf("worker tuning: %w", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(tune.LogLevel))); err != nil {
		return nil, fmt.Errorf("%s = %q: use debug, info, warn or error", EnvLogLevel, tune.LogLevel)
	}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
	fn, _ := lookup("AWS_LAMBDA_FUNCTION_NAME")
	id := containerID(fn)

	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the function's AWS configuration: %w", err)
	}
	app := &App{env: env, tune: tune, aws: awsCfg, log: log, id: id,
		sqs: sqs.NewFromConfig(awsCfg), emf: metrics.New(metricsOut, metrics.DimFunctionName, fn)}
	app.states = dynamostore.New(dynamodb.NewFromConfig(awsCfg), env.Table)
	app.states.TTL = tune.StateTTL

	conns := env.MaxConnections
	own, err := netx.NewHTTPClient(netx.Config{ConnsPerHost: conns, UploadBytesPerSec: tune.BandwidthLimit, Logger: log})
	if err != nil {
		return nil, err
	}
	far, err := netx.NewHTTPClient(netx.Config{ConnsPerHost: conns, ProxyURL: env.ProxyURL, UploadBytesPerSec: tune.BandwidthLimit, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lambdaenv.EnvProxyURL, err)
	}
	keys, err := env.FarCredentials.Provider(awsCfg)
	if err != nil {
		return nil, err
	}
	ownCfg := s3side.Config{HTTPClient: own, PathStyle: tune.PathStyle, Logger: log}
	farCfg := s3side.Config{HTTPClient: far, PathStyle: tune.PathStyle, Region: env.DestRegion, Logger: log}
	srcCfg, dstCfg := ownCfg, farCfg
	srcCfg.Region, srcCfg.Endpoint, dstCfg.Endpoint = tune.SrcRegion, tune.SrcEndpoint, tune.DstEndpoint
	srcKeys, dstKeys := keys, keys
	if env.JobType == "GET" {
		// The function's role writes the destination; the far side is the source.
		srcCfg, dstCfg = farCfg, ownCfg
		srcCfg.Endpoint, dstCfg.Endpoint = tune.SrcEndpoint, tune.DstEndpoint
		dstCfg.Region = tune.SrcRegion
		dstKeys = nil
	} else {
		srcKeys = nil
	}
	if keys == nil {
		srcKeys, dstKeys = nil, nil
	}
	app.buckets = worker.S3Buckets{Src: worker.NewSide(srcCfg, srcKeys), Dst: worker.NewSide(dstCfg, dstKeys)}
	log.Info("worker configured", "config", env, "job_type", env.JobType, "far_keys", env.FarCredentials.Kind())
	return app, nil
}

// containerID names this container: the function name and a random id.
func containerID(fn string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	if fn == "" {
		fn = "lambda"
	}
	return fn + "/" + hex.EncodeToString(b)
}

// worker builds the worker once the queue is known (from the
// configuration, or from the first event's queue ARN).
func (a *App) worker(ctx context.Context, eventSourceARN string) (*worker.Worker, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.w != nil {
		return a.w, nil
	}
	url, err := a.queueURL(ctx, eventSourceARN)
	if err != nil {
		return nil, err
	}
	a.q = queue.New(a.sqs, url)
	cfg := worker.Config{
		WorkerID: a.id, DestBucket: a.env.DestBucket, DestPrefix: a.env.DestPrefix, DeleteOnRemove: a.env.DeleteOnRemove,
		Engine: transfer.Options{PartSize: a.tune.PartSize, PartsInFlight: a.env.PartsInFlight,
			Put: transfer.PutOptions{StorageClass: a.env.StorageClass}, DisableServerSideCopy: a.tune.DisableServerCopy},
		ObjectsInFlight: a.tune.ObjectsInFlight, DeadlineMargin: a.tune.DeadlineMargin, FanOutBytes: a.tune.FanOutBytes,
		EstimatedBytesPerSec: a.tune.EstimatedMBps * 1_000_000, RangeParts: a.tune.RangeParts,
		FailAfterReceives: a.tune.FailAfter, RequeueAfterReceives: a.tune.RequeueAfter, Visibility: a.tune.Visibility,
		RetryDelay: a.tune.RetryDelay,
	}
	w, err := worker.New(cfg, a.states, a.q, a.buckets, a.emf, a.log)
	if err != nil {
		return nil, err
	}
	a.w = w
	return w, nil
}

// queueURL is the configured URL, the URL of the configured queue name,
// or the URL of the queue the event came from.
func (a *App) queueURL(ctx context.Context, arn string) (string, error) {
	if a.env.QueueURL != "" {
		return a.env.QueueURL, nil
	}
	in := &sqs.GetQueueUrlInput{QueueName: aws.String(a.env.QueueName)}
	if a.env.QueueName == "" {
		// arn:aws:sqs:region:account:name
		p := strings.Split(arn, ":")
		if len(p) != 6 || p[2] != "sqs" {
			return "", fmt.Errorf("no queue configured (%s) and the event names no SQS queue", lambdaenv.EnvQueueURL)
		}
		in.QueueName, in.QueueOwnerAWSAccountId = aws.String(p[5]), aws.String(p[4])
	}
	out, err := a.sqs.GetQueueUrl(ctx, in)
	if err != nil {
		return "", fmt.Errorf("find the queue URL of %s (set %s): %w", aws.ToString(in.QueueName), lambdaenv.EnvQueueURL, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// JobsenderRequest is the scheduled jobsender payload, one pair:
// {"jobsender": {"source": "s3://src/prefix/", "destination": "s3://dst/prefix/", "include": [...], "exclude": [...]}}
// or the bucket pairs the Terraform jobsender module sends:
// {"jobsender": {"version": 1, "pairs": [{"source_bucket": ..., "source_prefix": ..., "destination_bucket": ..., "destination_prefix": ...}], "ignore": [...]}}.
// The destination defaults to S3MIGRATE_DEST_BUCKET/S3MIGRATE_DEST_PREFIX.
type JobsenderRequest struct {
	Source      string          `json:"source,omitempty"`
	Destination string          `json:"destination,omitempty"`
	Include     []string        `json:"include,omitempty"`
	Exclude     []string        `json:"exclude,omitempty"`
	DryRun      bool            `json:"dry_run,omitempty"`
	Version     int             `json:"version,omitempty"`
	Pairs       []JobsenderPair `json:"pairs,omitempty"`
	Ignore      []string        `json:"ignore,omitempty"` // excluded in every pair
}

// JobsenderPair is one bucket pair of the Terraform jobsender module's event.
type JobsenderPair struct {
	SourceBucket      string `json:"source_bucket"`
	SourcePrefix      string `json:"source_prefix"`
	DestinationBucket string `json:"destination_bucket"`
	DestinationPrefix string `json:"destination_prefix"`
}

type payload struct {
	Jobsender *JobsenderRequest `json:"jobsender"`
	Records   []struct {
		EventSource    string `json:"eventSource"`
		EventSourceARN string `json:"eventSourceARN"`
	} `json:"Records"`
}

// Handle is the Lambda handler: an SQS batch (returns batchItemFailures)
// or a jobsender request (returns its report).
func (a *App) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("event is not a JSON object: %w", err)
	}
	switch {
	case p.Jobsender != nil && len(p.Jobsender.Pairs) > 0:
		return a.jobsenderPairs(ctx, *p.Jobsender)
	case p.Jobsender != nil:
		return a.jobsender(ctx, *p.Jobsender)
	case len(p.Records) > 0 && p.Records[0].EventSource == "aws:sqs":
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("SQS event: %w", err)
		}
		w, err := a.worker(ctx, p.Records[0].EventSourceARN)
		if err != nil {
			// Failing the invocation returns the whole batch: nothing was done.
			return nil, err
		}
		return w.HandleSQS(ctx, ev)
	case len(p.Records) > 0:
		return nil, errors.New("event records are not from SQS: connect the function to the queue (S3 notifications go to the queue, not to the function)")
	}
	return nil, errors.New(`unknown event: expected an SQS batch or {"jobsender": {...}}`)
}

// jobsenderPairs runs the jobsender for each pair in order; a pair that
// fails does not stop the others, and the error names every failed pair.
func (a *App) jobsenderPairs(ctx context.Context, req JobsenderRequest) ([]jobsender.Report, error) {
	if req.Version > 1 {
		return nil, fmt.Errorf("jobsender event version %d is newer than this worker understands (1)", req.Version)
	}
	var (
		reps []jobsender.Report
		errs []error
	)
	for i, p := range req.Pairs {
		src := selection.Location{Bucket: p.SourceBucket, Key: asPrefix(p.SourcePrefix)}
		dst := selection.Location{Bucket: p.DestinationBucket, Key: asPrefix(p.DestinationPrefix)}
		if src.Bucket == "" || dst.Bucket == "" {
			errs = append(errs, fmt.Errorf("jobsender pair %d: source_bucket and destination_bucket are required", i))
			continue
		}
		rep, err := a.runJobsender(ctx, src, dst, req.Include, append(append([]string(nil), req.Exclude...), req.Ignore...), req.DryRun)
		reps = append(reps, rep)
		if err != nil {
			errs = append(errs, fmt.Errorf("jobsender pair %d (%s -> %s): %w", i, src, dst, err))
		}
	}
	return reps, errors.Join(errs...)
}

func (a *App) jobsender(ctx context.Context, req JobsenderRequest) (jobsender.Report, error) {
	src, err := selection.ParseS3URL(req.Source)
	if err != nil {
		return jobsender.Report{}, fmt.Errorf("jobsender source: %w", err)
	}
	dst := selection.Location{Bucket: a.env.DestBucket, Key: a.env.DestPrefix}
	if req.Destination != "" {
		if dst, err = selection.ParseS3URL(req.Destination); err != nil {
			return jobsender.Report{}, fmt.Errorf("jobsender destination: %w", err)
		}
	} else if dst.Key != "" && !strings.HasSuffix(dst.Key, "/") {
		dst.Key += "/"
	}
	return a.runJobsender(ctx, src, dst, req.Include, append(append([]string(nil), req.Exclude...), req.Ignore...), req.DryRun)
}

func (a *App) runJobsender(ctx context.Context, src, dst selection.Location, include, exclude []string, dryRun bool) (jobsender.Report, error) {
	if _, err := a.worker(ctx, ""); err != nil {
		return jobsender.Report{}, err
	}
	sb, err := a.buckets.Src.Bucket(ctx, src.Bucket)
	if err != nil {
		return jobsender.Report{}, err
	}
	db, err := a.buckets.Dst.Bucket(ctx, dst.Bucket)
	if err != nil {
		return jobsender.Report{}, err
	}
	start := time.Now()
	rep, err := jobsender.Run(ctx, sb, db.Destination(), a.q, jobsender.Config{Source: src, Dest: dst,
		Include: include, Exclude: exclude, DryRun: dryRun}, a.log)
	a.log.Info("jobsender finished", "source", src.String(), "destination", dst.String(), "report", rep,
		"seconds", time.Since(start).Seconds(), "err", err)
	return rep, err
}

// Poll runs the worker as a long-running poller of the configured queue
// (EC2 or any host) with exactly the Lambda's environment configuration,
// until ctx ends (SIGTERM): `s3migrate worker --from-env`.
func (a *App) Poll(ctx context.Context, opts worker.RunOptions) error {
	if a.env.QueueURL == "" && a.env.QueueName == "" {
		return fmt.Errorf("set %s (or the queue name) to poll a queue", lambdaenv.EnvQueueURL)
	}
	w, err := a.worker(ctx, "")
	if err != nil {
		return err
	}
	return w.Run(ctx, a.q, opts)
}

// asPrefix makes a non-empty prefix end in "/": a pair's prefix names a folder.
func asPrefix(p string) string {
	if p != "" && !strings.HasSuffix(p, "/") {
		return p + "/"
	}
	return p
}
