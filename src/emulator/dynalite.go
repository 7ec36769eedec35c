// dynalite 4.0.0 (npm, .tools/node_modules/dynalite) is DynamoDB on an
// in-memory LevelDB, speaking the DynamoDB JSON 1.0 protocol the
// aws-sdk-go-v2 dynamodb client uses. Findings (checked by dynalite_test.go
// and the dynamostore tests):
//   - CLI: `node cli.js --port N --host 127.0.0.1 [--createTableMs 0]`; no
//     --path means in memory. Tables are CREATING for createTableMs (default
//     500 ms), so we pass 0 and tables are ACTIVE at once.
//   - ConditionExpression (attribute_not_exists, contains on string sets,
//     comparisons, OR/AND), UpdateExpression SET/ADD/REMOVE, ReturnValues
//     ALL_NEW and ConditionalCheckFailedException behave like DynamoDB.
//   - It has DescribeTimeToLive but NOT UpdateTimeToLive (unknown operation)
//     and never expires items: TTL is tested against moto instead.
//   - It does not check credentials or signatures.

package emulator

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StartDynamoDB starts dynalite in memory on a free loopback port.
func StartDynamoDB(t testing.TB) *AWSService {
	t.Helper()
	mod := NodeModule(t, "dynalite")
	p, addr := startOnFreePort(t, "dynalite", "Dynalite listening at", func(port int) (env, argv []string) {
		return nil, []string{"node", filepath.Join(mod, "cli.js"),
			"--host", "127.0.0.1", "--port", strconv.Itoa(port),
			"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	})
	return &AWSService{Endpoint: "http://" + addr, Region: DummyRegion, Process: p}
}

// startOnFreePort starts an emulator on a free loopback port and waits for
// its ready line. If the process exits first (typically another test's
// server took the port between FreePort and bind), it retries on a new
// port, up to three times. The process is killed in t.Cleanup.
func startOnFreePort(t testing.TB, name, ready string, command func(port int) (env, argv []string)) (*Process, string) {
	t.Helper()
	var last string
	for attempt := 1; attempt <= 3; attempt++ {
		port := FreePort(t)
		env, argv := command(port)
		out := &lockedBuffer{}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("emulator: start %s (%s): %v", name, argv[0], err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		deadline := time.After(60 * time.Second)
		up, exited := false, false
		for !up && !exited {
			select {
			case <-done:
				exited = true
			case <-deadline:
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("emulator: %s printed no %q within 60 s; output:\n%s", name, ready, out.String())
			case <-time.After(20 * time.Millisecond):
				up = strings.Contains(out.String(), ready)
			}
		}
		if exited {
			last = out.String()
			continue
		}
		p := &Process{Name: name, Cmd: cmd, out: out}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-done
			if t.Failed() && os.Getenv("EMULATOR_LOGS") != "" {
				t.Logf("%s output:\n%s", name, out.String())
			}
		})
		return p, fmt.Sprintf("127.0.0.1:%d", port)
	}
	t.Fatalf("emulator: %s exited before it was ready, three times; last output:\n%s", name, last)
	return nil, ""
}
