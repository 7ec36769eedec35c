package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"

	"github.com/s3migrate/s3migrate/src/statestore/sqlitestore"
	"github.com/s3migrate/s3migrate/src/transfer"
)

func runStatus(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	statePath := fs.String("state", sqlitestore.DefaultPath, "state file written by s3migrate copy")
	asJSON := fs.Bool("json", false, "print one JSON object per record")
	all := fs.Bool("all", false, "list every object, not only failed and in-progress ones")
	if ok, code := parseFlags(fs, env, args, "status [--state FILE] [--json] [--all]"); !ok {
		return code
	}
	if _, err := os.Stat(*statePath); err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: no state file at %s (run s3migrate copy first, or pass --state)\n", *statePath)
		return ExitFailed
	}
	store, err := sqlitestore.Open(ctx, *statePath)
	if err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: %v\n", err)
		return ExitFailed
	}
	defer store.Close()
	counts := map[transfer.Status]int{}
	var bytesDone int64
	enc := json.NewEncoder(env.Stdout)
	err = store.List(ctx, func(st transfer.ObjectState) error {
		counts[st.Status]++
		if st.Status == transfer.StatusDone || st.Status == transfer.StatusSkipped {
			bytesDone += st.Source.Size
		}
		if *asJSON {
			return enc.Encode(st)
		}
		if *all || st.Status == transfer.StatusFailed || st.Status == transfer.StatusRunning {
			line := fmt.Sprintf("%-8s %q", st.Status, st.SourceKey)
			if st.Status == transfer.StatusRunning {
				line += fmt.Sprintf(" (%d bytes, resumable upload %s with %s parts, attempt %d)", st.Source.Size, short(st.UploadID), humanSize(st.PartSize), st.Attempts)
			}
			if st.Error != "" {
				line += ": " + st.Error
			}
			fmt.Fprintln(env.Stdout, line)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "s3migrate: %v\n", err)
		return ExitFailed
	}
	if *asJSON {
		return ExitOK
	}
	var names []string
	for s := range counts {
		names = append(names, string(s))
	}
	sort.Strings(names)
	fmt.Fprint(env.Stdout, "objects:")
	for _, n := range names {
		fmt.Fprintf(env.Stdout, " %s=%d", n, counts[transfer.Status(n)])
	}
	fmt.Fprintf(env.Stdout, "; %d bytes done\n", bytesDone)
	if counts[transfer.StatusFailed] > 0 {
		return ExitFailed
	}
	return ExitOK
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

func humanSize(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d B", n)
}
