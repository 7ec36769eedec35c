// Package copytest runs the real s3migrate binary, as a user would, against
// two versitygw servers standing for the two sides of a migration (and moto
// where a key must be kept byte for byte), and checks what a user relies on:
// resume after kill -9, source pinning, odd keys, metadata, integrity under
// corruption, zero re-sent bytes on a re-run, exit codes and a memory bound.
//
// The binary is built once per `go test` run (TestMain). Every test starts
// its own servers, so tests run in parallel.
package copytest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// binPath is the s3migrate binary built by TestMain.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "s3migrate-copytest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "copytest: temp dir:", err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "s3migrate")
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "copytest:", err)
		os.Exit(1)
	}
	build := exec.Command("go", "build", "-o", binPath, "./src/cmd/s3migrate")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "copytest: go build ./src/cmd/s3migrate: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

// runTimeout bounds one run of the binary; a run that takes longer is a hang.
const runTimeout = 3 * time.Minute

// proc is one running s3migrate process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	waitErr        error
	peakKiB        atomic.Int64 // highest VmHWM seen in /proc/<pid>/status
}

// startCLI starts the binary with args and the environment env (on top of a
// minimal one: no AWS variables or profiles of the machine leak in).
func startCLI(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true",
	}, env...)
	cmd.Dir = home
	p := &proc{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start s3migrate: %v", err)
	}
	go p.pollPeakRSS()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// pollPeakRSS samples the process's VmHWM (its peak resident set so far,
// kept by the kernel) until the process is gone. The rusage Maxrss after
// Wait cannot be used: it also counts the test process's own memory at the
// fork that preceded exec.
func (p *proc) pollPeakRSS() {
	path := fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)
	for {
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				if err == nil && kib > p.peakKiB.Load() {
					p.peakKiB.Store(kib)
				}
			}
		}
		select {
		case <-p.done:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill9 sends SIGKILL (no chance to clean up, as with a crash or an OOM
// kill) and waits until the process is gone.
func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !p.exited() {
		t.Fatalf("kill -9 s3migrate: %v", err)
	}
	<-p.done
}

// result is what one finished run left behind.
type result struct {
	code           int
	stdout, stderr string
	events         []map[string]any
	peakRSSKiB     int64 // peak resident set size of the process (VmHWM, sampled)
}

// wait waits for the process (at most runTimeout) and parses its JSON lines.
func (p *proc) wait(t *testing.T) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(runTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("s3migrate %s did not end within %s\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), runTimeout, tail(p.stderr.String()))
	}
	r := result{code: p.cmd.ProcessState.ExitCode(), stdout: p.stdout.String(), stderr: p.stderr.String()}
	r.peakRSSKiB = p.peakKiB.Load()
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("stdout line is not JSON: %q: %v", line, err)
		}
		r.events = append(r.events, ev)
	}
	return r
}

// summary is the "summary" event's counters.
type summary struct {
	ObjectsTotal   int64 `json:"objects_total"`
	ObjectsDone    int64 `json:"objects_done"`
	ObjectsSkipped int64 `json:"objects_skipped"`
	ObjectsFailed  int64 `json:"objects_failed"`
	BytesTotal     int64 `json:"bytes_total"`
	BytesSent      int64 `json:"bytes_sent"`
	BytesSkipped   int64 `json:"bytes_skipped"`
	Seconds        float64
	MBps           float64 `json:"mb_per_s"`
}

func (r result) summary(t *testing.T) summary {
	t.Helper()
	for _, ev := range r.events {
		if ev["event"] != "summary" {
			continue
		}
		b, _ := json.Marshal(ev["counters"])
		var s summary
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("summary counters: %v", err)
		}
		return s
	}
	t.Fatalf("no summary event in the output (exit %d)\nstdout:\n%s\nstderr:\n%s", r.code, tail(r.stdout), tail(r.stderr))
	return summary{}
}

// objects returns the "object" events by source key.
func (r result) objects() map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, ev := range r.events {
		if ev["event"] == "object" {
			k, _ := ev["key"].(string)
			m[k] = ev
		}
	}
	return m
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, tail(r.stdout), tail(r.stderr))
}

// tail keeps the end of long output for failure messages.
func tail(s string) string {
	const max = 6000
	if len(s) > max {
		return "..." + s[len(s)-max:]
	}
	return s
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testCtx is a context for setup and check calls, ended with the test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
