package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/s3migrate/s3migrate/src/selection"
)

func runGC(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("gc", flag.ContinueOnError)
	var dst sideFlags
	var net netFlags
	dst.register(fs, "dst", "destination")
	net.register(fs)
	olderThan := fs.Duration("older-than", 24*time.Hour, "abort uploads started longer ago than this")
	dryRun := fs.Bool("dry-run", false, "list the uploads without aborting them")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	if ok, code := parseFlags(fs, env, args, "gc [flags] s3://dst-bucket/prefix/"); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError(env, "gc needs the destination, e.g. s3migrate gc s3://dst-bucket/prefix/")
	}
	loc, err := selection.ParseS3URL(fs.Arg(0))
	if err != nil {
		return usageError(env, "%v", err)
	}
	log, err := newLogger(env.Stderr, *logLevel)
	if err != nil {
		return usageError(env, "%v", err)
	}
	hc, err := net.client(ctx, env.Getenv, 8, log)
	if err != nil {
		return usageError(env, "%v", err)
	}
	bucket, err := openBucket(ctx, env, &dst, loc.Bucket, hc, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: %v\n", err)
		return ExitFailed
	}
	b := bucket.Destination()
	ups, err := b.ListAllUploads(ctx, loc.Key)
	if err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: list multipart uploads of %s: %v\n", loc, err)
		return ExitFailed
	}
	cutoff := time.Now().Add(-*olderThan)
	aborted, kept, failed := 0, 0, 0
	for _, u := range ups {
		if u.Initiated.After(cutoff) {
			kept++
			continue
		}
		if *dryRun {
			fmt.Fprintf(env.Stdout, "would abort %q upload %s (started %s)\n", u.Key, u.UploadID, u.Initiated.Format(time.RFC3339))
			continue
		}
		if err := b.Abort(ctx, u.Key, u.UploadID); err != nil {
			failed++
			fmt.Fprintf(env.Stderr, "s3migrate: abort %q upload %s: %v\n", u.Key, u.UploadID, err)
			continue
		}
		aborted++
		fmt.Fprintf(env.Stdout, "aborted %q upload %s (started %s)\n", u.Key, u.UploadID, u.Initiated.Format(time.RFC3339))
	}
	fmt.Fprintf(env.Stdout, "gc: %d aborted, %d newer than %s kept, %d failed\n", aborted, kept, *olderThan, failed)
	if failed > 0 {
		return ExitFailed
	}
	return ExitOK
}
