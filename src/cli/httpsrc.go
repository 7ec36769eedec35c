package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/s3migrate/s3migrate/src/httpsource"
	"github.com/s3migrate/s3migrate/src/s3side"
	"github.com/s3migrate/s3migrate/src/selection"
	"github.com/s3migrate/s3migrate/src/transfer"
)

// copyArgs is what a copy reads from and writes to: an S3 location, or a
// list of HTTP(S) URLs (entries non-nil), and the destination.
type copyArgs struct {
	src     selection.Location
	dst     selection.Location
	entries []httpsource.Entry
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// parseCopyArgs reads the positional arguments of copy:
//
//	copy s3://src/prefix/ s3://dst/prefix/
//	copy https://host/path/file.bin s3://dst/prefix/   (or s3://dst/exact-key)
//	copy --url-list FILE s3://dst/prefix/
func parseCopyArgs(args []string, urlList string) (copyArgs, error) {
	var a copyArgs
	want := 2
	if urlList != "" {
		want = 1
	}
	if len(args) != want {
		if urlList != "" {
			return a, errors.New("with --url-list, copy takes only the destination, e.g. s3migrate copy --url-list urls.txt s3://dst/prefix/")
		}
		return a, errors.New("copy needs a source and a destination, e.g. s3migrate copy s3://src/photos/ s3://dst/archive/photos/")
	}
	dst, err := selection.ParseS3URL(args[len(args)-1])
	if err != nil {
		return a, fmt.Errorf("destination: %w", err)
	}
	a.dst = dst
	switch {
	case urlList != "":
		fh, err := os.Open(urlList)
		if err != nil {
			return a, fmt.Errorf("--url-list: %w", err)
		}
		defer fh.Close()
		if a.entries, err = httpsource.ParseList(fh); err != nil {
			return a, fmt.Errorf("--url-list %s: %w", urlList, err)
		}
		if len(a.entries) == 0 {
			return a, fmt.Errorf("--url-list %s holds no URL", urlList)
		}
		if !dst.IsPrefix() {
			return a, errors.New("with --url-list the destination must be a prefix (end it with '/')")
		}
	case isHTTPURL(args[0]):
		key := ""
		if !dst.IsPrefix() {
			key, a.dst.Key = dst.Key, "" // the URL lands exactly at the given key
		}
		e, err := httpsource.NewEntry(args[0], key)
		if err != nil {
			return a, fmt.Errorf("source: %w", err)
		}
		a.entries = []httpsource.Entry{e}
	default:
		src, err := selection.ParseS3URL(args[0])
		if err != nil {
			return a, fmt.Errorf("source: %w", err)
		}
		if src.IsPrefix() && !dst.IsPrefix() {
			return a, fmt.Errorf("the source %s is a prefix, so the destination must be one too (end it with '/')", src)
		}
		a.src = src
	}
	return a, nil
}

// openSource returns the source (and its lister) and the destination.
func (f *copyFlags) openSource(ctx context.Context, env Env, a copyArgs, hc *http.Client, log *slog.Logger) (transfer.Source, transfer.Lister, *s3side.Destination, error) {
	if a.entries == nil {
		sb, db, err := openSides(ctx, env, &f.src, &f.dst, a.src.Bucket, a.dst.Bucket, f.copyTags, hc, log)
		if err != nil {
			return nil, nil, nil, err
		}
		return sb, sb, db, nil
	}
	hs, err := httpsource.New(a.entries, httpsource.Options{HTTPClient: hc, Logger: log})
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := openBucket(ctx, env, &f.dst, a.dst.Bucket, hc, log)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("destination: %w", err)
	}
	return hs, hs, db.Destination(), nil
}
