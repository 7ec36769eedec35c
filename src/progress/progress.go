// Package progress reports a copy run: a one-line progress bar on a
// terminal, JSON lines otherwise, and a final summary. It implements
// transfer.Observer.
package progress

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3migrate/s3migrate/src/transfer"
)

// Counters are the run's totals so far.
type Counters struct {
	ObjectsTotal   int64   `json:"objects_total"` // known so far (listing may still run)
	ObjectsDone    int64   `json:"objects_done"`
	ObjectsSkipped int64   `json:"objects_skipped"`
	ObjectsFailed  int64   `json:"objects_failed"`
	BytesTotal     int64   `json:"bytes_total"`
	BytesSent      int64   `json:"bytes_sent"`
	BytesSkipped   int64   `json:"bytes_skipped"`
	Seconds        float64 `json:"seconds"`
	MBps           float64 `json:"mb_per_s"` // bytes sent / 1e6 / seconds
}

// Failure is one failed object in the summary.
type Failure struct {
	Key   string `json:"key"`
	Error string `json:"error"`
}

// Reporter collects progress and writes it to out.
type Reporter struct {
	out      io.Writer
	terminal bool
	start    time.Time
	interval time.Duration

	objectsTotal, objectsDone, objectsSkipped, objectsFailed atomic.Int64
	bytesTotal, bytesSent, bytesSkipped                      atomic.Int64

	mu       sync.Mutex
	failures []Failure
	stop     chan struct{}
	stopped  chan struct{}
}

var _ transfer.Observer = (*Reporter)(nil)

// New returns a reporter writing to out: a bar redrawn in place when
// terminal is true, a JSON line per interval and per finished object
// otherwise. Start begins the periodic output.
func New(out io.Writer, terminal bool, interval time.Duration) *Reporter {
	if interval <= 0 {
		interval = time.Second
	}
	return &Reporter{out: out, terminal: terminal, start: time.Now(), interval: interval}
}

// Start begins periodic reporting until Finish.
func (r *Reporter) Start() {
	r.stop, r.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(r.stopped)
		t := time.NewTicker(r.interval)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				r.tick()
			}
		}
	}()
}

// AddPlanned counts an object (and its bytes) found by the listing.
func (r *Reporter) AddPlanned(size int64) {
	r.objectsTotal.Add(1)
	r.bytesTotal.Add(size)
}

func (r *Reporter) BytesSent(n int64)                 { r.bytesSent.Add(n) }
func (r *Reporter) BytesSkipped(n int64)              { r.bytesSkipped.Add(n) }
func (r *Reporter) ObjectStarted(transfer.Job, int64) {}

// ObjectDone counts the result and, in JSON mode, writes one line for it.
func (r *Reporter) ObjectDone(res transfer.Result) {
	switch res.Status {
	case transfer.StatusDone:
		r.objectsDone.Add(1)
	case transfer.StatusSkipped:
		r.objectsSkipped.Add(1)
	case transfer.StatusFailed:
		r.objectsFailed.Add(1)
		r.mu.Lock()
		r.failures = append(r.failures, Failure{Key: res.Job.SourceKey, Error: res.Err.Error()})
		r.mu.Unlock()
	}
	if r.terminal {
		if res.Status == transfer.StatusFailed {
			r.mu.Lock()
			fmt.Fprintf(r.out, "\r\033[KFAILED %q: %v\n", res.Job.SourceKey, res.Err)
			r.mu.Unlock()
		}
		return
	}
	line := map[string]any{
		"event": "object", "key": res.Job.SourceKey, "dest_key": res.Job.DestKey, "status": res.Status,
		"method": res.Method, "size": res.Source.Size, "sent": res.Sent, "skipped": res.Skipped,
		"parts": res.Parts, "seconds": res.Duration.Seconds(),
	}
	if res.Err != nil {
		line["error"] = res.Err.Error()
	}
	r.writeJSON(line)
}

// Counters returns the totals now.
func (r *Reporter) Counters() Counters {
	secs := time.Since(r.start).Seconds()
	c := Counters{
		ObjectsTotal: r.objectsTotal.Load(), ObjectsDone: r.objectsDone.Load(),
		ObjectsSkipped: r.objectsSkipped.Load(), ObjectsFailed: r.objectsFailed.Load(),
		BytesTotal: r.bytesTotal.Load(), BytesSent: r.bytesSent.Load(), BytesSkipped: r.bytesSkipped.Load(),
		Seconds: secs,
	}
	if secs > 0 {
		c.MBps = float64(c.BytesSent) / 1e6 / secs
	}
	return c
}

// Failures returns the failed objects so far.
func (r *Reporter) Failures() []Failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Failure(nil), r.failures...)
}

// Finish stops periodic output and writes the summary.
func (r *Reporter) Finish() Counters {
	if r.stop != nil {
		close(r.stop)
		<-r.stopped
	}
	c := r.Counters()
	if r.terminal {
		r.mu.Lock()
		fmt.Fprintf(r.out, "\r\033[K%s\n", bar(c))
		fmt.Fprintf(r.out, "done: %d copied, %d unchanged, %d failed; %s sent, %s already there, %.1f MB/s over %s\n",
			c.ObjectsDone, c.ObjectsSkipped, c.ObjectsFailed, human(c.BytesSent), human(c.BytesSkipped), c.MBps,
			time.Duration(c.Seconds*float64(time.Second)).Round(time.Millisecond))
		for _, f := range r.failures {
			fmt.Fprintf(r.out, "  FAILED %q: %s\n", f.Key, f.Error)
		}
		r.mu.Unlock()
		return c
	}
	r.writeJSON(map[string]any{"event": "summary", "counters": c, "failures": r.Failures()})
	return c
}

func (r *Reporter) tick() {
	c := r.Counters()
	if r.terminal {
		r.mu.Lock()
		fmt.Fprintf(r.out, "\r\033[K%s", bar(c))
		r.mu.Unlock()
		return
	}
	r.writeJSON(map[string]any{"event": "progress", "counters": c})
}

func (r *Reporter) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out.Write(append(b, '\n'))
}

// bar renders one line: [#####-----] 41% 1.2 GiB/3.0 GiB  12/40 objects  85.1 MB/s  ETA 21s
func bar(c Counters) string {
	done := c.BytesSent + c.BytesSkipped
	frac := 0.0
	if c.BytesTotal > 0 {
		frac = min(float64(done)/float64(c.BytesTotal), 1)
	}
	const width = 24
	filled := int(frac * width)
	b := make([]byte, width)
	for i := range b {
		if i < filled {
			b[i] = '#'
		} else {
			b[i] = '-'
		}
	}
	eta := "?"
	if c.MBps > 0 && c.BytesTotal >= done {
		eta = (time.Duration(float64(c.BytesTotal-done)/(c.MBps*1e6)) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s] %3.0f%% %s/%s  %d/%d objects  %.1f MB/s  ETA %s",
		b, frac*100, human(done), human(c.BytesTotal),
		c.ObjectsDone+c.ObjectsSkipped+c.ObjectsFailed, c.ObjectsTotal, c.MBps, eta)
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
