package httpsource

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxListErrors bounds how many bad lines one error reports.
const maxListErrors = 10

// ParseList reads a URL list: one URL per line, optionally followed by
// whitespace and the destination key (the rest of the line, trimmed). Blank
// lines and lines starting with '#' are skipped. Without a key the key is
// derived from the URL (KeyFromURL). Every bad line is reported with its
// number; URLs in errors are redacted.
func ParseList(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20) // presigned URLs run to a few KiB
	var entries []Entry
	var errs []error
	bad := 0
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rawURL, key := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			rawURL, key = line[:i], strings.TrimSpace(line[i:])
		}
		e, err := NewEntry(rawURL, key)
		if err != nil {
			bad++
			if bad <= maxListErrors {
				errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			}
			continue
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read URL list: %w (lines are limited to 1 MiB)", err)
	}
	if bad > maxListErrors {
		errs = append(errs, fmt.Errorf("... and %d more bad lines", bad-maxListErrors))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("URL list has %d bad lines: %w", bad, errors.Join(errs...))
	}
	return entries, nil
}
