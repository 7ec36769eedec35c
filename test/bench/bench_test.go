// Package bench compares s3migrate with rclone on the same data in the same
// run: MB/s and peak RSS, on loopback and across a modelled long-haul link
// (toxiproxy: 80 ms each way, a few MiB/s per TCP connection). Run with
// `make bench`; `go test ./...` runs no benchmark.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3migrate/s3migrate/src/emulator"
)

type scenario struct {
	name       string
	objects    []int64 // sizes
	latencyMs  int     // each way, destination link
	perConnKBs int     // upstream bandwidth per connection, 0 = unlimited
}

func scenarios() []scenario {
	small := make([]int64, 100)
	for i := range small {
		small[i] = 64 << 10
	}
	return []scenario{
		{name: "loopback", objects: append([]int64{512 << 20}, small...)},
		{name: "longhaul-80ms-4MiBps-per-conn", objects: []int64{96 << 20}, latencyMs: 80, perConnKBs: 4096},
	}
}

type measurement struct {
	seconds float64
	rssMiB  float64
	bytes   int64
}

// buildS3migrate builds the CLI once per benchmark.
func buildS3migrate(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "s3migrate")
	cmd := exec.Command("go", "build", "-o", bin, "./src/cmd/s3migrate")
	cmd.Dir = emulator.RepoRoot(b)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build s3migrate: %v\n%s", err, out)
	}
	return bin
}

// s3migrateArgs is the command line and environment of one s3migrate copy.
func s3migrateArgs(b *testing.B, bin string, src, dst *emulator.S3Server, dstEndpoint, bucket, prefix string, extra ...string) ([]string, []string) {
	argv := append([]string{bin, "copy", "--progress", "none", "--state", filepath.Join(b.TempDir(), "state.db"),
		"--src-endpoint", src.Endpoint, "--src-path-style", "--src-region", src.Region,
		"--dst-endpoint", dstEndpoint, "--dst-path-style", "--dst-region", dst.Region}, extra...)
	argv = append(argv, "s3://"+bucket+"/data/", "s3://"+bucket+"/"+prefix)
	env := append(os.Environ(), "S3MIGRATE_SRC_ACCESS_KEY_ID="+src.AccessKey, "S3MIGRATE_SRC_SECRET_ACCESS_KEY="+src.SecretKey,
		"S3MIGRATE_DST_ACCESS_KEY_ID="+dst.AccessKey, "S3MIGRATE_DST_SECRET_ACCESS_KEY="+dst.SecretKey)
	return argv, env
}

// longHaul puts a toxiproxy link with sc's latency and per-connection
// bandwidth in front of dst and returns its endpoint.
func longHaul(b *testing.B, tox *emulator.Toxiproxy, dst *emulator.S3Server, sc scenario) string {
	link := tox.Proxy(b, sc.name, strings.TrimPrefix(dst.Endpoint, "http://"))
	if sc.latencyMs > 0 {
		link.Latency(b, "upstream", sc.latencyMs, 0)
		link.Latency(b, "downstream", sc.latencyMs, 0)
	}
	if sc.perConnKBs > 0 {
		link.Bandwidth(b, "upstream", sc.perConnKBs)
	}
	return "http://" + link.Addr()
}

// BenchmarkPartsInFlight measures s3migrate's speed and memory on the
// long-haul link for several --parts-in-flight values: how the default
// was chosen.
func BenchmarkPartsInFlight(b *testing.B) {
	bin := buildS3migrate(b)
	src, dst := emulator.StartS3(b), emulator.StartS3(b)
	tox := emulator.StartToxiproxy(b)
	sc := scenarios()[1]
	src.CreateBucket(b, "sweep")
	dst.CreateBucket(b, "sweep")
	total := fillSource(b, src, "sweep", sc.objects)
	ep := longHaul(b, tox, dst, sc)
	for _, n := range []int{4, 16, 32, 64, 128} {
		b.Run(fmt.Sprintf("%s/parts-in-flight-%d", sc.name, n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				argv, env := s3migrateArgs(b, bin, src, dst, ep, "sweep", fmt.Sprintf("p%d-%d/", n, i), "--parts-in-flight", strconv.Itoa(n))
				m := timed(b, argv, env)
				b.ReportMetric(float64(total)/1e6/m.seconds, "MB/s")
				b.ReportMetric(m.rssMiB, "peakRSS_MiB")
				fmt.Printf("SUMMARY %s parts-in-flight %3d: %6.1f MB/s, %5.0f MiB peak RSS\n", sc.name, n, float64(total)/1e6/m.seconds, m.rssMiB)
			}
		})
	}
}

func BenchmarkCopy(b *testing.B) {
	bin := buildS3migrate(b)
	rclone := emulator.Tool(b, "rclone")
	src := emulator.StartS3(b)
	dst := emulator.StartS3(b)
	tox := emulator.StartToxiproxy(b)
	var summary []string
	for _, sc := range scenarios() {
		bucket := "bench-" + strings.SplitN(sc.name, "-", 2)[0]
		src.CreateBucket(b, bucket)
		dst.CreateBucket(b, bucket)
		total := fillSource(b, src, bucket, sc.objects)
		dstEndpoint := longHaul(b, tox, dst, sc)
		results := map[string]measurement{}
		for _, tool := range []string{"s3migrate", "rclone"} {
			b.Run(sc.name+"/"+tool, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					prefix := fmt.Sprintf("%s-%d-%d/", tool, i, time.Now().UnixNano())
					var argv []string
					env := os.Environ()
					switch tool {
					case "s3migrate":
						argv, env = s3migrateArgs(b, bin, src, dst, dstEndpoint, bucket, prefix)
					case "rclone":
						argv = []string{rclone, "copy", "--config", "/dev/null", "src:" + bucket + "/data/", "dst:" + bucket + "/" + prefix}
						for side, s := range map[string]*emulator.S3Server{"SRC": src, "DST": dst} {
							ep := s.Endpoint
							if side == "DST" {
								ep = dstEndpoint
							}
							env = append(env, "RCLONE_CONFIG_"+side+"_TYPE=s3", "RCLONE_CONFIG_"+side+"_PROVIDER=Other",
								"RCLONE_CONFIG_"+side+"_ENDPOINT="+ep, "RCLONE_CONFIG_"+side+"_REGION=us-east-1",
								"RCLONE_CONFIG_"+side+"_FORCE_PATH_STYLE=true",
								"RCLONE_CONFIG_"+side+"_ACCESS_KEY_ID="+s.AccessKey, "RCLONE_CONFIG_"+side+"_SECRET_ACCESS_KEY="+s.SecretKey)
						}
					}
					m := timed(b, argv, env)
					m.bytes = total
					results[tool] = m
					b.ReportMetric(float64(total)/1e6/m.seconds, "MB/s")
					b.ReportMetric(m.rssMiB, "peakRSS_MiB")
				}
			})
		}
		s, r := results["s3migrate"], results["rclone"]
		if s.seconds > 0 && r.seconds > 0 {
			summary = append(summary, fmt.Sprintf("%-32s s3migrate %7.1f MB/s %6.0f MiB RSS | rclone %7.1f MB/s %6.0f MiB RSS | speed ratio %.2fx",
				sc.name, float64(total)/1e6/s.seconds, s.rssMiB, float64(total)/1e6/r.seconds, r.rssMiB, r.seconds/s.seconds))
		}
	}
	for _, l := range summary {
		b.Log(l)
		fmt.Println("SUMMARY", l)
	}
}

// timed runs argv under /usr/bin/time and returns wall seconds and peak RSS.
func timed(b *testing.B, argv, env []string) measurement {
	b.Helper()
	tf := filepath.Join(b.TempDir(), "time")
	cmd := exec.Command("/usr/bin/time", append([]string{"-o", tf, "-f", "%e %M"}, argv...)...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	b.ResetTimer()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", filepath.Base(argv[0]), err, out.String())
	}
	b.StopTimer()
	raw, err := os.ReadFile(tf)
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw))
	secs, _ := strconv.ParseFloat(f[len(f)-2], 64)
	kb, _ := strconv.ParseFloat(f[len(f)-1], 64)
	return measurement{seconds: secs, rssMiB: kb / 1024}
}

func fillSource(b *testing.B, s *emulator.S3Server, bucket string, sizes []int64) int64 {
	b.Helper()
	c := s.Client()
	var (
		total int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, 8)
	for i, n := range sizes {
		total += n
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			body := make([]byte, n)
			_, _ = rand.Read(body)
			_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket,
				Key: aws.String(fmt.Sprintf("data/%05d.bin", i)), Body: bytes.NewReader(body)})
			if err != nil {
				mu.Lock()
				first = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		b.Fatalf("fill source: %v", first)
	}
	return total
}
