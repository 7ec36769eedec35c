// Package cli is the s3migrate command line: each command turns flags into
// typed configuration and hands it to the engine, the worker or the proxy.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailed  = 1 // some objects failed, or the command failed
	ExitUsage   = 2 // bad flags or arguments
	ExitStopped = 3 // interrupted (SIGINT/SIGTERM) before the end; run again to resume
)

// Env is what a command reads and writes besides its flags.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// IsTerminal reports whether Stdout is a terminal (progress bar vs JSON lines).
	IsTerminal bool
}

type command struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) int
}

func commands() []command {
	return []command{
		{"copy", "copy objects from a source to a destination, resumably", runCopy},
		{"status", "show done / failed / in-progress objects from the state file", runStatus},
		{"worker", "copy what an SQS queue asks for (EC2 / any host), with the Lambda's state and semantics", runWorker},
		{"jobsender", "compare a source and a destination prefix and queue a job for every object that differs", runJobsender},
		{"gc", "abort stale multipart uploads left at a destination", runGC},
		{"egress-proxy", "run the TCP-terminating HTTP CONNECT egress proxy (NAT instance)", runEgressProxy},
		{"version", "print the version", func(_ context.Context, env Env, _ []string) int {
			fmt.Fprintln(env.Stdout, "s3migrate", Version)
			return ExitOK
		}},
	}
}

// Version is set at build time with -ldflags "-X .../src/cli.Version=...".
var Version = "dev"

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, env Env, args []string) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "s3migrate: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "s3migrate moves S3 objects between regions, accounts, partitions and S3-compatible stores,\nresumably and verified.\n\nUsage: s3migrate <command> [flags] [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 's3migrate <command> -h' for a command's flags.")
}

// parseFlags parses args, printing errors and usage to stderr. It returns
// ok=false and the exit code when the command should stop.
func parseFlags(fs *flag.FlagSet, env Env, args []string, synopsis string) (bool, int) {
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: s3migrate %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	// Flags may come before, between or after the arguments, as in
	// `s3migrate copy s3://a/ s3://b/ --dst-region cn-northwest-1`.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return false, ExitOK
			}
			return false, ExitUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...) // after "--" everything is an argument
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	_ = fs.Parse(append([]string{"--"}, positional...))
	return true, 0
}

// newLogger returns a JSON slog logger on stderr at the given level.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

func usageError(env Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "s3migrate: "+format+"\n", args...)
	return ExitUsage
}
