// Command s3migrate moves S3 objects between regions, accounts, partitions
// and S3-compatible stores, resumably and verified.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/s3migrate/s3migrate/src/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		IsTerminal: term.IsTerminal(int(os.Stdout.Fd()))}
	os.Exit(cli.Main(ctx, env, os.Args[1:]))
}
