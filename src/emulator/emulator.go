// Package emulator starts the real local stand-ins for AWS services that the
// tests run against (versitygw for S3, local-aws-sqs, dynalite, moto_server,
// toxiproxy, aws-lambda-rie). scripts/tools.sh installs them into .tools/;
// a test that finds one missing fails with the command that installs it.
//
// Each Start function takes a testing.TB, picks free loopback ports, waits
// until the service answers and stops it in t.Cleanup.
package emulator

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// RepoRoot returns the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("emulator: getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("emulator: no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Tool returns the path of an installed tool under .tools/bin, failing the
// test with the install command when it is missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), ".tools", "bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("emulator: %s is not installed at %s: run `scripts/tools.sh` (or `make tools`) first", name, p)
	}
	return p
}

// NodeModule returns the path of an npm package installed by scripts/tools.sh.
func NodeModule(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), ".tools", "node_modules", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("emulator: npm package %s is not installed at %s: run `scripts/tools.sh npm` first", name, p)
	}
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("emulator: no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitTCP waits until addr accepts connections or the timeout passes.
func WaitTCP(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections within %s: %w", addr, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Process is a started emulator process whose output is kept for failure reports.
type Process struct {
	Name string
	Cmd  *exec.Cmd
	out  *lockedBuffer
}

// Output returns what the process printed so far.
func (p *Process) Output() string { return p.out.String() }

// StartProcess starts name with args and env (added to os.Environ), waits
// for addr to accept connections and registers a cleanup that kills it.
func StartProcess(t testing.TB, name, addr string, env []string, argv ...string) *Process {
	t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("emulator: start %s (%s): %v", name, argv[0], err)
	}
	p := &Process{Name: name, Cmd: cmd, out: out}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() && os.Getenv("EMULATOR_LOGS") != "" {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := WaitTCP(ctx, addr, 60*time.Second); err != nil {
		t.Fatalf("emulator: %s did not start: %v\noutput:\n%s", name, err, out.String())
	}
	return p
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
