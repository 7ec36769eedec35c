package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3migrate/s3migrate/src/metrics"
	"github.com/s3migrate/s3migrate/src/queue"
	"github.com/s3migrate/s3migrate/src/statestore/dynamostore"
	"github.com/s3migrate/s3migrate/src/worker"
	"github.com/s3migrate/s3migrate/src/worker/lambdaapp"
)

// serviceFlags say where the queue and the table are.
type serviceFlags struct {
	queueURL, table, region string
}

func (s *serviceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.queueURL, "queue-url", "", "SQS queue URL (required)")
	fs.StringVar(&s.region, "queue-region", "", "region of the queue and the table (default: from the environment / instance)")
	fs.StringVar(&s.table, "table", "", "DynamoDB table of object states")
}

// awsConfig loads the worker's own AWS configuration for SQS and DynamoDB
// (AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_DYNAMODB point them elsewhere).
func (s *serviceFlags) awsConfig(ctx context.Context) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if s.region != "" {
		opts = append(opts, config.WithRegion(s.region))
	}
	return config.LoadDefaultConfig(ctx, opts...)
}

func runWorker(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	var (
		svc                       serviceFlags
		f                         copyFlags
		destBucket, destPrefix    string
		deleteOnRemove            bool
		visibility, grace, margin time.Duration
		lease, retryDelay         time.Duration
		fanOut                    int64
		estimatedMBps             int64
		rangeParts, failAfter     int
		requeueAfter              int
		metricsFile               string
		stateTTL                  time.Duration
	)
	svc.register(fs)
	f.register(fs)
	fs.StringVar(&destBucket, "dest-bucket", "", "destination bucket for S3 event notifications (jobs name their own)")
	fs.StringVar(&destPrefix, "dest-prefix", "", "prefix put before the source key for S3 events")
	fs.BoolVar(&deleteOnRemove, "delete-on-remove", false, "apply ObjectRemoved events and delete jobs at the destination")
	fs.DurationVar(&visibility, "visibility", 5*time.Minute, "how long a received message stays hidden; extended every third of it while worked on")
	fs.DurationVar(&lease, "lease", worker.DefaultLease, "how long a claim on an object holds without renewal (renewed every third)")
	fs.DurationVar(&grace, "shutdown-grace", 90*time.Second, "on SIGTERM, how long in-flight parts may take to finish before they are cancelled")
	fs.DurationVar(&margin, "deadline-margin", worker.DefaultDeadlineMargin, "with a deadline, stop starting parts this long before it")
	fs.DurationVar(&retryDelay, "retry-delay", 30*time.Second, "a failed message returns after this × its receive count")
	fs.Var(sizeFlag{&fanOut}, "fanout-threshold", "objects of this size or more fan out as part-range sub-jobs (0: when the estimate says 15 min are not enough)")
	fs.Int64Var(&estimatedMBps, "estimated-mbps", 50, "MB/s one worker is assumed to copy (fan-out decision and sub-job size)")
	fs.IntVar(&rangeParts, "range-parts", 0, "parts per sub-job (0: half a budget's worth at the estimate)")
	fs.IntVar(&failAfter, "fail-after-receives", worker.DefaultFailAfterReceives, "a sub-job failing this many receives fails its object")
	fs.IntVar(&requeueAfter, "requeue-after-receives", worker.DefaultRequeueAfterReceives, "hand-offs of a message received this often are re-sent as new messages")
	fs.StringVar(&metricsFile, "metrics-file", "", "append CloudWatch EMF metric lines to this file (the CloudWatch agent ships it); empty: none")
	fs.DurationVar(&stateTTL, "state-ttl", 0, "DynamoDB may delete DONE/SKIPPED items this long after they end; 0: keep")
	fromEnv := fs.Bool("from-env", false, "configure everything from the environment exactly as the Lambda is (S3MIGRATE_QUEUE_URL, S3MIGRATE_TABLE, far-side keys from SSM/Secrets Manager/KMS, …; see src/worker/README.md); only --shutdown-grace applies")
	if ok, code := parseFlags(fs, env, args, "worker --queue-url URL --table TABLE [flags]\n       s3migrate worker --from-env"); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return usageError(env, "worker takes no arguments, only flags (got %q)", fs.Arg(0))
	}
	if *fromEnv {
		return runWorkerFromEnv(ctx, env, grace)
	}
	if svc.queueURL == "" || svc.table == "" {
		fs.Usage()
		return usageError(env, "worker needs --queue-url and --table")
	}
	if err := f.validate(); err != nil {
		return usageError(env, "%v", err)
	}
	log, err := newLogger(env.Stderr, f.logLevel)
	if err != nil {
		return usageError(env, "%v", err)
	}
	if f.workerID == "" {
		host, _ := os.Hostname()
		f.workerID = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	cfg := worker.Config{
		WorkerID: f.workerID, DestBucket: destBucket, DestPrefix: destPrefix, DeleteOnRemove: deleteOnRemove,
		Engine: f.options(), ObjectsInFlight: f.objectsInFlight, Lease: lease, DeadlineMargin: margin,
		FanOutBytes: fanOut, EstimatedBytesPerSec: estimatedMBps * 1_000_000, RangeParts: rangeParts,
		FailAfterReceives: failAfter, RequeueAfterReceives: requeueAfter, Visibility: visibility, RetryDelay: retryDelay,
	}
	if err := cfg.Validate(); err != nil {
		return usageError(env, "%v", err)
	}
	httpClient, err := f.net.client(ctx, env.Getenv, f.partsInFlight, log)
	if err != nil {
		return usageError(env, "%v", err)
	}
	awsCfg, err := svc.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: AWS configuration for the queue and table: %v\n", err)
		return ExitFailed
	}
	q := queue.New(sqs.NewFromConfig(awsCfg), svc.queueURL)
	states := dynamostore.New(dynamodb.NewFromConfig(awsCfg), svc.table)
	states.TTL = stateTTL
	buckets := worker.S3Buckets{
		Src: worker.NewSide(f.src.config(env, httpClient, log), nil),
		Dst: worker.NewSide(f.dst.config(env, httpClient, log), nil),
	}
	var emf *metrics.EMF
	if metricsFile != "" {
		fh, err := os.OpenFile(metricsFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(env.Stderr, "s3migrate: --metrics-file: %v\n", err)
			return ExitFailed
		}
		defer fh.Close()
		emf = metrics.New(fh, metrics.DimWorker, f.workerID)
	}
	w, err := worker.New(cfg, states, q, buckets, emf, log)
	if err != nil {
		return usageError(env, "%v", err)
	}
	log.Info("worker started", "queue", svc.queueURL, "table", svc.table, "objects_in_flight", cfg.ObjectsInFlight,
		"parts_in_flight", f.partsInFlight)
	if err := w.Run(ctx, q, worker.RunOptions{ShutdownGrace: grace}); err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: worker: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

// runWorkerFromEnv runs the Lambda's configuration as a queue poller: the
// EC2 cluster module sets the same variables in the service's environment.
func runWorkerFromEnv(ctx context.Context, env Env, grace time.Duration) int {
	lookup := func(k string) (string, bool) {
		v := env.Getenv(k)
		return v, v != ""
	}
	app, err := lambdaapp.New(ctx, lookup, env.Stderr, env.Stdout)
	if err != nil {
		return usageError(env, "worker configuration from the environment: %v", err)
	}
	if err := app.Poll(ctx, worker.RunOptions{ShutdownGrace: grace}); err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: worker: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}
