package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/s3migrate/s3migrate/src/progress"
	"github.com/s3migrate/s3migrate/src/s3side"
	"github.com/s3migrate/s3migrate/src/selection"
	"github.com/s3migrate/s3migrate/src/statestore/sqlitestore"
	"github.com/s3migrate/s3migrate/src/transfer"
)

// Defaults chosen by measurement (see README "Choosing the defaults").
const (
	defaultPartsInFlight   = 32
	defaultObjectsInFlight = 16
)

type copyFlags struct {
	src, dst                                            sideFlags
	net                                                 netFlags
	partSize, threshold                                 int64
	partsInFlight, objectsInFlight                      int
	storageClass, sse, sseKMSKeyID, acl                 string
	copyTags, noServerCopy, dryRun                      bool
	keyList, urlList, statePath, progressMode, logLevel string
	include, exclude                                    listFlag
	workerID                                            string
}

func (f *copyFlags) register(fs *flag.FlagSet) {
	f.src.register(fs, "src", "source")
	f.dst.register(fs, "dst", "destination")
	f.net.register(fs)
	f.partSize = transfer.DefaultPartSize
	fs.Var(sizeFlag{&f.partSize}, "part-size", "smallest part size (grown per object to stay within 10,000 parts), e.g. 8MiB")
	fs.Var(sizeFlag{&f.threshold}, "multipart-threshold", "objects of this size or more are copied in parts (default: larger than one part)")
	fs.IntVar(&f.partsInFlight, "parts-in-flight", defaultPartsInFlight, "parts read/sent at once over all objects; memory ≈ this × part size")
	fs.IntVar(&f.objectsInFlight, "objects-in-flight", defaultObjectsInFlight, "objects copied at once")
	fs.StringVar(&f.storageClass, "storage-class", "", "destination storage class, e.g. STANDARD_IA, INTELLIGENT_TIERING, GLACIER, DEEP_ARCHIVE")
	fs.StringVar(&f.sse, "sse", "", "destination encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS)")
	fs.StringVar(&f.sseKMSKeyID, "sse-kms-key-id", "", "KMS key id or ARN for --sse aws:kms")
	fs.StringVar(&f.acl, "acl", "", "destination canned ACL: bucket-owner-full-control")
	fs.BoolVar(&f.copyTags, "copy-tags", false, "copy object tags (one more request per object)")
	fs.BoolVar(&f.noServerCopy, "no-server-side-copy", false, "never use CopyObject/UploadPartCopy, even when both sides share an endpoint and credentials")
	fs.BoolVar(&f.dryRun, "dry-run", false, "list what would be copied and stop")
	fs.StringVar(&f.urlList, "url-list", "", "file of HTTP(S) URLs to copy (one per line: URL [destination key]; presigned URLs welcome); then give only the destination")
	fs.StringVar(&f.keyList, "key-list", "", "file with one source key per line (instead of listing the source prefix); - for stdin")
	fs.Var(&f.include, "include", "copy only keys (relative to the source prefix) matching this glob; * and ? wildcards; repeatable")
	fs.Var(&f.exclude, "exclude", "skip keys matching this glob; repeatable")
	fs.StringVar(&f.statePath, "state", sqlitestore.DefaultPath, "state file (SQLite) that lets a later run resume")
	fs.StringVar(&f.progressMode, "progress", "auto", "auto (bar on a terminal, JSON lines otherwise), bar, json or none")
	fs.StringVar(&f.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	fs.StringVar(&f.workerID, "worker-id", "", "name written into the state records (default: host name)")
}

func (f *copyFlags) options() transfer.Options {
	return transfer.Options{
		PartSize: f.partSize, MultipartThreshold: f.threshold, PartsInFlight: f.partsInFlight,
		Put:                   transfer.PutOptions{StorageClass: f.storageClass, SSE: f.sse, SSEKMSKeyID: f.sseKMSKeyID, ACL: f.acl},
		DisableServerSideCopy: f.noServerCopy, WorkerID: f.workerID,
	}
}

func (f *copyFlags) validate() error {
	var errs []error
	if err := f.options().Validate(); err != nil {
		errs = append(errs, err)
	}
	if f.partsInFlight < 1 {
		errs = append(errs, fmt.Errorf("--parts-in-flight %d: must be at least 1", f.partsInFlight))
	}
	if f.objectsInFlight < 1 {
		errs = append(errs, fmt.Errorf("--objects-in-flight %d: must be at least 1", f.objectsInFlight))
	}
	switch f.sse {
	case "", "AES256", "aws:kms", "aws:kms:dsse":
	default:
		errs = append(errs, fmt.Errorf("--sse %q: use AES256 or aws:kms", f.sse))
	}
	if f.sseKMSKeyID != "" && !strings.HasPrefix(f.sse, "aws:kms") {
		errs = append(errs, errors.New("--sse-kms-key-id needs --sse aws:kms"))
	}
	switch f.acl {
	case "", "bucket-owner-full-control", "private", "bucket-owner-read":
	default:
		errs = append(errs, fmt.Errorf("--acl %q: use bucket-owner-full-control", f.acl))
	}
	switch f.progressMode {
	case "auto", "bar", "json", "none":
	default:
		errs = append(errs, fmt.Errorf("--progress %q: use auto, bar, json or none", f.progressMode))
	}
	return errors.Join(errs...)
}

func runCopy(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("copy", flag.ContinueOnError)
	var f copyFlags
	f.register(fs)
	if ok, code := parseFlags(fs, env, args, "copy [flags] s3://src-bucket/prefix/ s3://dst-bucket/prefix/\n       s3migrate copy [flags] https://host/file s3://dst-bucket/prefix/\n       s3migrate copy [flags] --url-list urls.txt s3://dst-bucket/prefix/"); !ok {
		return code
	}
	a, err := parseCopyArgs(fs.Args(), f.urlList)
	if err != nil {
		return usageError(env, "%v", err)
	}
	src, dst := a.src, a.dst
	if err := f.validate(); err != nil {
		return usageError(env, "%v", err)
	}
	filter, err := selection.NewFilter(f.include, f.exclude)
	if err != nil {
		return usageError(env, "%v", err)
	}
	log, err := newLogger(env.Stderr, f.logLevel)
	if err != nil {
		return usageError(env, "%v", err)
	}
	if f.workerID == "" {
		f.workerID, _ = os.Hostname()
	}

	httpClient, err := f.net.client(ctx, env.Getenv, f.partsInFlight, log)
	if err != nil {
		return usageError(env, "%v", err)
	}
	source, lister, dstBucket, err := f.openSource(ctx, env, a, httpClient, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: %v\n", err)
		return ExitFailed
	}

	store, err := sqlitestore.Open(ctx, f.statePath)
	if err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: %v\n", err)
		return ExitFailed
	}
	defer store.Close()

	mode := f.progressMode
	if mode == "auto" {
		mode = "json"
		if env.IsTerminal {
			mode = "bar"
		}
	}
	out := env.Stdout
	if mode == "none" {
		out = discard{}
	}
	rep := progress.New(out, mode == "bar", time.Second)

	eng, err := transfer.New(source, dstBucket, store, f.options(), rep, log)
	if err != nil {
		return usageError(env, "%v", err)
	}

	jobs := make(chan transfer.Job, f.objectsInFlight*4)
	listErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		listErr <- enumerate(ctx, env, src, dst, lister, f.keyList, filter, func(job transfer.Job, size int64) error {
			rep.AddPlanned(size)
			select {
			case jobs <- job:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()

	if f.dryRun {
		n := 0
		for job := range jobs {
			n++
			fmt.Fprintf(env.Stdout, "would copy %q -> s3://%s/%s\n", job.SourceKey, dst.Bucket, job.DestKey)
		}
		if err := <-listErr; err != nil {
			fmt.Fprintf(env.Stderr, "s3migrate: %v\n", err)
			return ExitFailed
		}
		fmt.Fprintf(env.Stdout, "dry run: %d objects, %d bytes\n", n, rep.Counters().BytesTotal)
		return ExitOK
	}

	rep.Start()
	var wg sync.WaitGroup
	for range f.objectsInFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if ctx.Err() != nil {
					continue // drain: the run is stopping
				}
				eng.Copy(ctx, job)
			}
		}()
	}
	wg.Wait()
	lerr := <-listErr
	c := rep.Finish()
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(env.Stderr, "s3migrate: interrupted; run the same command again to resume")
		return ExitStopped
	case lerr != nil:
		fmt.Fprintf(env.Stderr, "s3migrate: listing the source stopped early: %v\n", lerr)
		return ExitFailed
	case c.ObjectsFailed > 0:
		fmt.Fprintf(env.Stderr, "s3migrate: %d objects failed; `s3migrate status --state %s` lists them, and running the same command again retries them\n", c.ObjectsFailed, f.statePath)
		return ExitFailed
	}
	return ExitOK
}

// openSides builds the two S3 sides. With copyTags the source reads each
// object's tags (Stat), which the engine then writes at the destination.
func openSides(ctx context.Context, env Env, sf, df *sideFlags, srcName, dstName string, copyTags bool, hc *http.Client, log *slog.Logger) (*s3side.Bucket, *s3side.Destination, error) {
	sb, err := openBucket(ctx, env, sf, srcName, hc, log, func(c *s3side.Config) { c.CopyTags = copyTags })
	if err != nil {
		return nil, nil, fmt.Errorf("source: %w", err)
	}
	db, err := openBucket(ctx, env, df, dstName, hc, log)
	if err != nil {
		return nil, nil, fmt.Errorf("destination: %w", err)
	}
	return sb, db.Destination(), nil
}

// openBucket builds one side's client and bucket; edits adjust the
// configuration made from the flags.
func openBucket(ctx context.Context, env Env, f *sideFlags, name string, hc *http.Client, log *slog.Logger, edits ...func(*s3side.Config)) (*s3side.Bucket, error) {
	cfg := f.config(env, hc, log)
	for _, edit := range edits {
		edit(&cfg)
	}
	c, err := s3side.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b, err := c.Bucket(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("bucket %q: %w", name, err)
	}
	return b, nil
}

// enumerate produces the jobs of a run: the keys of a key list, or the
// listing of the source prefix, or the one key; filtered and mapped.
func enumerate(ctx context.Context, env Env, src, dst selection.Location, lister transfer.Lister, keyList string,
	filter *selection.Filter, emit func(transfer.Job, int64) error) error {
	seen := map[string]bool{} // a key list may name a key twice: copy it once
	add := func(key string, size int64) error {
		rel := strings.TrimPrefix(key, src.Key)
		if !src.IsPrefix() {
			rel = key
		}
		if !filter.Match(rel) {
			return nil
		}
		if keyList != "" {
			if seen[key] {
				return nil
			}
			seen[key] = true
		}
		return emit(transfer.Job{SourceKey: key, DestKey: selection.DestKey(src, dst, key),
			StateID: dst.Bucket + "/" + selection.DestKey(src, dst, key)}, size)
	}
	switch {
	case keyList != "":
		r := env.Stdin
		if keyList != "-" {
			fh, err := os.Open(keyList)
			if err != nil {
				return fmt.Errorf("key list: %w", err)
			}
			defer fh.Close()
			r = fh
		}
		return selection.ReadKeyList(r, func(k string) error { return add(k, 0) })
	case src.IsPrefix() && hasKeys(lister):
		// A URL list: every URL becomes a job, so one bad URL fails only
		// its own object instead of the listing.
		for _, k := range lister.(interface{ Keys() []string }).Keys() {
			if err := add(k, 0); err != nil {
				return err
			}
		}
		return nil
	case src.IsPrefix():
		return lister.List(ctx, src.Key, func(o transfer.ListedObject) error { return add(o.Key, o.Size) })
	default:
		return add(src.Key, 0)
	}
}

func hasKeys(l transfer.Lister) bool {
	_, ok := l.(interface{ Keys() []string })
	return ok
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
