// Package metrics writes CloudWatch Embedded Metric Format (EMF) lines: one
// JSON object per event on an io.Writer (a Lambda's stdout, or a log file
// the CloudWatch agent ships). CloudWatch extracts the metrics from the log
// lines, so dashboards and alarms need no metric filters.
//
// Namespace s3migrate; metrics BytesCopied (Bytes), ObjectsDone and
// ObjectsFailed (Count), ThroughputMBps (Megabytes/Second); one dimension,
// FunctionName (Lambda) or Worker (EC2 / any host).
package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "s3migrate"

// Dimension names.
const (
	DimFunctionName = "FunctionName"
	DimWorker       = "Worker"
)

// Metric names.
const (
	BytesCopied    = "BytesCopied"
	ObjectsDone    = "ObjectsDone"
	ObjectsFailed  = "ObjectsFailed"
	ThroughputMBps = "ThroughputMBps"
)

// EMF writes EMF lines. Safe for concurrent use: each line is written
// with one Write call.
type EMF struct {
	mu       sync.Mutex
	w        io.Writer
	dimName  string
	dimValue string
	// Now is the clock for the _aws.Timestamp (default time.Now).
	Now func() time.Time
}

// New returns an EMF writer with one dimension, e.g.
// New(os.Stdout, DimFunctionName, os.Getenv("AWS_LAMBDA_FUNCTION_NAME")).
func New(w io.Writer, dimension, value string) *EMF {
	return &EMF{w: w, dimName: dimension, dimValue: value}
}

// Object is the outcome of one object.
type Object struct {
	Bytes    int64         // bytes copied by this worker for it
	Duration time.Duration // wall time of the copy (0: no throughput)
	Failed   bool
	// Properties are extra, non-metric fields for log searches (e.g. key,
	// parts); they are not dimensions, so they cost nothing in CloudWatch.
	Properties map[string]any
}

type metricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type awsBlock struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// Object writes one line for one object's outcome.
func (e *EMF) Object(o Object) error {
	done, failed := 1, 0
	if o.Failed {
		done, failed = 0, 1
	}
	values := map[string]any{BytesCopied: o.Bytes, ObjectsDone: done, ObjectsFailed: failed}
	defs := []metricDef{{BytesCopied, "Bytes"}, {ObjectsDone, "Count"}, {ObjectsFailed, "Count"}}
	if o.Duration > 0 && o.Bytes > 0 {
		values[ThroughputMBps] = float64(o.Bytes) / (1 << 20) / o.Duration.Seconds()
		defs = append(defs, metricDef{ThroughputMBps, "Megabytes/Second"})
	}
	return e.write(defs, values, o.Properties)
}

// Bytes writes a BytesCopied line for progress of a long object (so a
// dashboard shows bytes per minute while a giant object is still running).
func (e *EMF) Bytes(n int64, properties map[string]any) error {
	return e.write([]metricDef{{BytesCopied, "Bytes"}}, map[string]any{BytesCopied: n}, properties)
}

func (e *EMF) write(defs []metricDef, values, props map[string]any) error {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	line := make(map[string]any, len(values)+len(props)+2)
	for k, v := range props {
		line[k] = v
	}
	for k, v := range values { // metric values win over same-named properties
		line[k] = v
	}
	dims := [][]string{{}}
	if e.dimName != "" {
		line[e.dimName] = e.dimValue
		dims = [][]string{{e.dimName}}
	}
	line["_aws"] = awsBlock{
		Timestamp:         now().UnixMilli(),
		CloudWatchMetrics: []directive{{Namespace: Namespace, Dimensions: dims, Metrics: defs}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("emf: encode metrics line: %w", err)
	}
	b = append(b, '\n')
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.w.Write(b); err != nil {
		return fmt.Errorf("emf: write metrics line: %w", err)
	}
	return nil
}
