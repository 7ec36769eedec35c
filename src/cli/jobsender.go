package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3migrate/s3migrate/src/jobsender"
	"github.com/s3migrate/s3migrate/src/queue"
	"github.com/s3migrate/s3migrate/src/selection"
)

func runJobsender(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("jobsender", flag.ContinueOnError)
	var (
		svc      serviceFlags
		src, dst sideFlags
		net      netFlags
		include  listFlag
		exclude  listFlag
		dryRun   bool
		logLevel string
	)
	svc.register(fs)
	src.register(fs, "src", "source")
	dst.register(fs, "dst", "destination")
	net.register(fs)
	fs.Var(&include, "include", "queue only keys (relative to the source prefix) matching this glob; * and ? wildcards; repeatable")
	fs.Var(&exclude, "exclude", "skip keys matching this glob (the original's ignore list); repeatable")
	fs.BoolVar(&dryRun, "dry-run", false, "compare and report, queue nothing")
	fs.StringVar(&logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	if ok, code := parseFlags(fs, env, args, "jobsender --queue-url URL [flags] s3://src-bucket/prefix/ s3://dst-bucket/prefix/"); !ok {
		return code
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return usageError(env, "jobsender needs a source and a destination prefix, e.g. s3migrate jobsender --queue-url URL s3://src/photos/ s3://dst/photos/")
	}
	if svc.queueURL == "" && !dryRun {
		return usageError(env, "jobsender needs --queue-url (or --dry-run)")
	}
	from, err := selection.ParseS3URL(fs.Arg(0))
	if err != nil {
		return usageError(env, "source: %v", err)
	}
	to, err := selection.ParseS3URL(fs.Arg(1))
	if err != nil {
		return usageError(env, "destination: %v", err)
	}
	if !from.IsPrefix() || !to.IsPrefix() {
		return usageError(env, "source and destination must be a bucket or a prefix ending in '/'")
	}
	log, err := newLogger(env.Stderr, logLevel)
	if err != nil {
		return usageError(env, "%v", err)
	}
	hc, err := net.client(ctx, env.Getenv, 16, log)
	if err != nil {
		return usageError(env, "%v", err)
	}
	sb, db, err := openSides(ctx, env, &src, &dst, from.Bucket, to.Bucket, false, hc, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: %v\n", err)
		return ExitFailed
	}
	var q jobsender.Sender = dryRunSender{}
	if !dryRun {
		awsCfg, err := svc.awsConfig(ctx)
		if err != nil {
			fmt.Fprintf(env.Stderr, "s3migrate: AWS configuration for the queue: %v\n", err)
			return ExitFailed
		}
		q = queue.New(sqs.NewFromConfig(awsCfg), svc.queueURL)
	}
	rep, err := jobsender.Run(ctx, sb, db, q, jobsender.Config{Source: from, Dest: to, Include: include, Exclude: exclude, DryRun: dryRun}, log)
	out, _ := json.Marshal(rep)
	fmt.Fprintln(env.Stdout, string(out))
	if err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

type dryRunSender struct{}

func (dryRunSender) SendBatch(context.Context, []string) error { return nil }
