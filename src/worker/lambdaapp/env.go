package lambdaapp

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/s3migrate/s3migrate/src/worker"
)

// Tuning variables the Lambda reads besides lambdaenv's (which holds the
// table, queue, destination, far-side keys and the original's aliases).
const (
	EnvPartSize          = "S3MIGRATE_PART_SIZE"
	EnvObjectsInFlight   = "S3MIGRATE_OBJECTS_IN_FLIGHT"
	EnvDeadlineMargin    = "S3MIGRATE_DEADLINE_MARGIN"
	EnvFanOutBytes       = "S3MIGRATE_FANOUT_BYTES"
	EnvEstimatedMBps     = "S3MIGRATE_ESTIMATED_MBPS"
	EnvRangeParts        = "S3MIGRATE_RANGE_PARTS"
	EnvVisibility        = "S3MIGRATE_VISIBILITY_TIMEOUT"
	EnvRetryDelay        = "S3MIGRATE_RETRY_DELAY"
	EnvRequeueAfter      = "S3MIGRATE_REQUEUE_AFTER_RECEIVES"
	EnvFailAfter         = "S3MIGRATE_FAIL_AFTER_RECEIVES"
	EnvSrcEndpoint       = "S3MIGRATE_SRC_ENDPOINT"
	EnvDstEndpoint       = "S3MIGRATE_DST_ENDPOINT"
	EnvSrcRegion         = "S3MIGRATE_SRC_REGION"
	EnvPathStyle         = "S3MIGRATE_PATH_STYLE"
	EnvLogLevel          = "S3MIGRATE_LOG_LEVEL"
	EnvStateTTL          = "S3MIGRATE_STATE_TTL"
	EnvDisableServerCopy = "S3MIGRATE_NO_SERVER_SIDE_COPY"
	EnvBandwidthLimit    = "S3MIGRATE_BANDWIDTH_LIMIT"
)

// TuningVar documents one tuning variable.
type TuningVar struct{ Name, Default, Doc string }

// TuningVariables lists the tuning variables with their defaults (the
// worker README's table).
func TuningVariables() []TuningVar {
	return []TuningVar{
		{EnvPartSize, "5MiB", "smallest part size (grown to stay within 10,000 parts); bytes or 8MiB"},
		{EnvObjectsInFlight, "8", "messages/objects worked on at once per invocation"},
		{EnvDeadlineMargin, "30s", "stop starting parts this long before the deadline (grown from the observed throughput)"},
		{EnvFanOutBytes, "0", "objects of at least this many bytes fan out; 0: when the estimate says one invocation cannot finish; -1: never"},
		{EnvEstimatedMBps, "50", "MB/s one invocation is assumed to copy (fan-out decision, sub-job range size)"},
		{EnvRangeParts, "0", "parts per sub-job; 0: half an invocation's worth at the estimate"},
		{EnvVisibility, "0", "queue visibility timeout to keep messages hidden with while working; 0: rely on the queue's (≥ 6 × function timeout)"},
		{EnvRetryDelay, "30s", "a failed message returns after this × its receive count (at most 15 min)"},
		{EnvRequeueAfter, "3", "a hand-off of a message received this often is re-sent as a new message, so hand-offs never reach the DLQ"},
		{EnvFailAfter, "5", "a sub-job failing this many receives fails its object and aborts the upload"},
		{EnvSrcEndpoint, "", "source endpoint: S3-compatible URL or preset (aliyun-oss:<region>, tencent-cos:<region>); empty: AWS"},
		{EnvDstEndpoint, "", "destination endpoint, as above"},
		{EnvSrcRegion, "", "source region; empty: detected from the bucket (GET: " + "S3MIGRATE_DEST_REGION applies to the far side)"},
		{EnvPathStyle, "false", "path-style addressing on both sides (self-hosted stores)"},
		{EnvLogLevel, "info", "debug, info, warn or error"},
		{EnvStateTTL, "0", "DynamoDB may delete DONE/SKIPPED items this long after they end (e.g. 720h); 0: keep"},
		{EnvDisableServerCopy, "false", "never use CopyObject/UploadPartCopy"},
		{EnvBandwidthLimit, "0", "upload bytes/s per function instance (e.g. 40MB); 0: unlimited"},
	}
}

// Tuning is the parsed tuning.
type Tuning struct {
	PartSize          int64
	ObjectsInFlight   int
	DeadlineMargin    time.Duration
	FanOutBytes       int64
	EstimatedMBps     int64
	RangeParts        int
	Visibility        time.Duration
	RetryDelay        time.Duration
	RequeueAfter      int
	FailAfter         int
	SrcEndpoint       string
	DstEndpoint       string
	SrcRegion         string
	PathStyle         bool
	LogLevel          string
	StateTTL          time.Duration
	DisableServerCopy bool
	BandwidthLimit    int64
}

// ParseTuning reads the tuning variables through lookup.
func ParseTuning(lookup func(string) (string, bool)) (Tuning, error) {
	var errs []error
	get := func(name string) (string, bool) {
		v, ok := lookup(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	integer := func(name string, def int64) int64 {
		v, ok := get(name)
		if !ok {
			return def
		}
		n, err := parseSize(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s = %q: %v", name, v, err))
			return def
		}
		return n
	}
	duration := func(name string, def time.Duration) time.Duration {
		v, ok := get(name)
		if !ok {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s = %q is not a duration like 30s or 2m", name, v))
			return def
		}
		return d
	}
	boolean := func(name string) bool {
		v, ok := get(name)
		if !ok {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s = %q is not true or false", name, v))
		}
		return b
	}
	t := Tuning{
		PartSize:          integer(EnvPartSize, 5<<20),
		ObjectsInFlight:   int(integer(EnvObjectsInFlight, worker.DefaultObjectsInFlight)),
		DeadlineMargin:    duration(EnvDeadlineMargin, worker.DefaultDeadlineMargin),
		FanOutBytes:       integer(EnvFanOutBytes, 0),
		EstimatedMBps:     integer(EnvEstimatedMBps, 50),
		RangeParts:        int(integer(EnvRangeParts, 0)),
		Visibility:        duration(EnvVisibility, 0),
		RetryDelay:        duration(EnvRetryDelay, 30*time.Second),
		RequeueAfter:      int(integer(EnvRequeueAfter, worker.DefaultRequeueAfterReceives)),
		FailAfter:         int(integer(EnvFailAfter, worker.DefaultFailAfterReceives)),
		SrcEndpoint:       func() string { v, _ := get(EnvSrcEndpoint); return v }(),
		DstEndpoint:       func() string { v, _ := get(EnvDstEndpoint); return v }(),
		SrcRegion:         func() string { v, _ := get(EnvSrcRegion); return v }(),
		PathStyle:         boolean(EnvPathStyle),
		LogLevel:          func() string { v, _ := get(EnvLogLevel); return v }(),
		StateTTL:          duration(EnvStateTTL, 0),
		DisableServerCopy: boolean(EnvDisableServerCopy),
		BandwidthLimit:    integer(EnvBandwidthLimit, 0),
	}
	if t.LogLevel == "" {
		t.LogLevel = "info"
	}
	if t.EstimatedMBps < 1 {
		errs = append(errs, fmt.Errorf("%s must be at least 1", EnvEstimatedMBps))
	}
	return t, errors.Join(errs...)
}

// parseSize reads an integer with an optional KiB/MiB/GiB/TiB or KB/MB/GB
// suffix; "-1" is allowed (FANOUT_BYTES).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("not an integer (a size may end in KiB, MiB, GiB)")
	}
	if n < -1 || n == -1 && mult != 1 {
		return 0, errors.New("negative")
	}
	if n > 0 && n > math.MaxInt64/mult {
		return 0, errors.New("too large")
	}
	return n * mult, nil
}
