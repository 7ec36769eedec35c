package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/s3migrate/s3migrate/src/emulator"
	"github.com/s3migrate/s3migrate/src/internal/callcount"
	"github.com/s3migrate/s3migrate/src/statestore/dynamostore"
	"github.com/s3migrate/s3migrate/src/transfer"
)

// clock is a settable clock for lease expiry without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	store *dynamostore.Store
	api   *dynamodb.Client
	calls *callcount.Counter
	clock *clock
}

func newStore(t *testing.T, ddb *emulator.AWSService, table string) fixture {
	t.Helper()
	var c callcount.Counter
	api := dynamodb.NewFromConfig(c.Instrument(ddb.Config()))
	st := dynamostore.New(api, table)
	clk := &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 600, time.UTC)}
	st.Now = clk.Now
	err := st.CreateTable(ctx(t))
	if err != nil && !errors.Is(err, dynamostore.ErrTTLUnsupported) {
		t.Fatalf("CreateTable: %v", err)
	}
	c.Reset()
	return fixture{store: st, api: api, calls: &c, clock: clk}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func dynalite(t *testing.T) *emulator.AWSService {
	t.Helper()
	// Each test starts its own (no package-level state; ~0.5 s each).
	return emulator.StartDynamoDB(t)
}

var src1 = transfer.SourceVersion{Size: 100, ETag: "etag-1", VersionID: "v1"}

func claim(id, worker string, src transfer.SourceVersion) dynamostore.ClaimRequest {
	return dynamostore.ClaimRequest{ID: id, WorkerID: worker, Lease: time.Minute, Source: src, SourceKey: "k", DestKey: "k"}
}

// Every ObjectState field survives Save and Load, including fields added
// to the struct later (filled by reflection).
func TestSaveLoadRoundTripsEveryField(t *testing.T) {
	t.Parallel()
	f := newStore(t, dynalite(t), "roundtrip")
	var st transfer.ObjectState
	fill(reflect.ValueOf(&st).Elem(), 1)
	st.ID = "dst-bucket/dir//a b+c"
	st.Status = transfer.StatusRunning
	if err := f.store.Save(ctx(t), st); err != nil {
		t.Fatal(err)
	}
	got, ok, err := f.store.Load(ctx(t), st.ID)
	if err != nil || !ok {
		t.Fatalf("Load: %v %v", ok, err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, st)
	}
	// Saving zero values removes them (no stale upload id).
	st.UploadID, st.PartSize, st.Error = "", 0, ""
	if err := f.store.Save(ctx(t), st); err != nil {
		t.Fatal(err)
	}
	got, _, _ = f.store.Load(ctx(t), st.ID)
	if got.UploadID != "" || got.PartSize != 0 || got.Error != "" {
		t.Fatalf("cleared fields kept: %+v", got)
	}
	if _, ok, err := f.store.Load(ctx(t), "absent"); ok || err != nil {
		t.Fatalf("Load(absent) = %v, %v", ok, err)
	}
}

func fill(v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2024, 5, 6, 7, 8, 9, seed*1000, time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			fill(v.Field(i), seed+i)
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("value-%d", seed))
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(seed * 7))
	default:
		panic("fill: add a case for " + v.Kind().String())
	}
}

func TestClaimLifecycle(t *testing.T) {
	t.Parallel()
	f := newStore(t, dynalite(t), "claims")
	s, c := f.store, ctx(t)
	const id = "dst/obj"

	st, err := s.Claim(c, claim(id, "w1", src1))
	if err != nil || st.Status != transfer.StatusRunning || st.Attempts != 1 || st.WorkerID != "w1" || st.FirstStart.IsZero() {
		t.Fatalf("first claim: %+v %v", st, err)
	}
	first := st.FirstStart
	if _, err := s.Claim(c, claim(id, "w2", src1)); !errors.Is(err, dynamostore.ErrBusy) {
		t.Fatalf("claim of a live lease by another worker: %v, want ErrBusy", err)
	}
	// The engine records progress under the claim.
	st.Source, st.UploadID, st.PartSize, st.Bytes = src1, "up-1", 8, 40
	if err := s.Save(c, st); err != nil {
		t.Fatal(err)
	}
	// The lease runs out (w1 crashed): w2 takes over and keeps the progress.
	f.clock.Advance(2 * time.Minute)
	st, err = s.Claim(c, claim(id, "w2", src1))
	if err != nil || st.WorkerID != "w2" || st.Attempts != 2 || st.UploadID != "up-1" || st.Bytes != 40 || !st.FirstStart.Equal(first) {
		t.Fatalf("claim after expiry: %+v %v", st, err)
	}
	// w1 comes back: it owns nothing any more.
	old := st
	old.WorkerID, old.Status = "w1", transfer.StatusDone
	if err := s.Finish(c, old); !errors.Is(err, dynamostore.ErrNotClaimant) {
		t.Fatalf("finish by the old worker: %v, want ErrNotClaimant", err)
	}
	// Deadline hand-off: w2 releases, w3 resumes at once.
	if err := s.Release(c, st); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Load(c, id); got.Status != transfer.StatusQueued || got.UploadID != "up-1" {
		t.Fatalf("after release: %+v", got)
	}
	st, err = s.Claim(c, claim(id, "w3", src1))
	if err != nil || st.Attempts != 3 {
		t.Fatalf("claim after release: %+v %v", st, err)
	}
	f.clock.Advance(90 * time.Second)
	st.Status, st.DestETag, st.Bytes = transfer.StatusDone, "dest-etag", 100
	if err := s.Finish(c, st); err != nil {
		t.Fatal(err)
	}
	done, _, _ := s.Load(c, id)
	if done.Status != transfer.StatusDone || !done.End.Equal(f.clock.Now()) || done.Bytes != 100 {
		t.Fatalf("after finish: %+v", done)
	}
	raw := item(t, f, "claims", id)
	if d := raw["duration_ms"].(*types.AttributeValueMemberN).Value; d != "210000" {
		t.Errorf("duration_ms = %s, want 210000 (3.5 min from first start)", d)
	}
	if _, ok := raw["lease_until"]; ok {
		t.Errorf("a finished item keeps its lease")
	}
	// A duplicate message of the same version does not redo the object.
	for _, w := range []string{"w4", "w3"} {
		if got, err := s.Claim(c, claim(id, w, src1)); !errors.Is(err, dynamostore.ErrDone) || got.Status != transfer.StatusDone {
			t.Fatalf("claim of a DONE object by %s: %+v %v, want ErrDone", w, got, err)
		}
	}
	if got, err := s.Claim(c, claim(id, "w4", transfer.SourceVersion{Size: 100})); !errors.Is(err, dynamostore.ErrDone) {
		t.Fatalf("claim with an unknown source version of a DONE object: %+v %v, want ErrDone", got, err)
	}
	// A new source version is copied again, from scratch (attempts counts
	// successful claims: w1, w2, w3 and now w5).
	src2 := transfer.SourceVersion{Size: 200, ETag: "etag-2", VersionID: "v2"}
	st, err = s.Claim(c, claim(id, "w5", src2))
	if err != nil || st.Status != transfer.StatusRunning || st.UploadID != "" || st.Bytes != 0 || !st.End.IsZero() || st.Attempts != 4 || !st.Source.Same(src2) {
		t.Fatalf("claim of a new version: %+v %v", st, err)
	}
	// FAILED objects can be claimed again.
	st.Status, st.Error = transfer.StatusFailed, "AccessDenied on GetObject"
	if err := s.Finish(c, st); err != nil {
		t.Fatal(err)
	}
	if st, err = s.Claim(c, claim(id, "w6", src2)); err != nil || st.Error != "AccessDenied on GetObject" {
		t.Fatalf("claim of a FAILED object: %+v %v", st, err)
	}
}

func item(t *testing.T, f fixture, table, id string) map[string]types.AttributeValue {
	t.Helper()
	out, err := f.api.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// Workers racing for one object: exactly one wins.
func TestConcurrentClaimsOneWins(t *testing.T) {
	t.Parallel()
	f := newStore(t, dynalite(t), "race")
	for round := 0; round < 5; round++ {
		id := fmt.Sprintf("dst/race-%d", round)
		const workers = 6
		var wg sync.WaitGroup
		errs := make([]error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				_, errs[w] = f.store.Claim(ctx(t), claim(id, fmt.Sprintf("w%d", w), src1))
			}(w)
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, dynamostore.ErrBusy):
				t.Fatalf("losing claim: %v, want ErrBusy", err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d claims won, want 1", round, wins)
		}
		if st, _, _ := f.store.Load(ctx(t), id); st.Attempts != 1 {
			t.Fatalf("attempts %d after one winning claim", st.Attempts)
		}
	}
}

// The giant-object fan-out: every range counted once however often it is
// delivered, and exactly one sub-job sees the count reach zero.
func TestPartsFanOut(t *testing.T) {
	t.Parallel()
	f := newStore(t, dynalite(t), "parts")
	s, c := f.store, ctx(t)
	const id = "dst/giant"
	st, err := s.Claim(c, claim(id, "coordinator", src1))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InitParts(c, "dst/unclaimed", "u", 3); !errors.Is(err, dynamostore.ErrNotFound) {
		t.Fatalf("InitParts of an unknown object: %v", err)
	}
	ranges := []struct {
		id    string
		parts int
	}{{"1-4", 4}, {"5-8", 4}, {"9-12", 4}, {"13-16", 4}, {"17-20", 4}, {"21-21", 1}}
	if err := s.InitParts(c, id, "upload-1", 21); err != nil {
		t.Fatal(err)
	}
	if rem, err := s.PartsDone(c, id, "upload-1", "1-4", 4); err != nil || rem != 17 {
		t.Fatalf("first range: %d %v", rem, err)
	}
	// A duplicate of the coordinating message does not reset the counter.
	if err := s.InitParts(c, id, "upload-1", 21); err != nil {
		t.Fatal(err)
	}
	if rem, err := s.PartsDone(c, id, "upload-1", "1-4", 4); !errors.Is(err, dynamostore.ErrRangeDone) || rem != 17 {
		t.Fatalf("duplicate range: %d %v, want 17 and ErrRangeDone", rem, err)
	}
	if _, err := s.PartsDone(c, id, "old-upload", "5-8", 4); !errors.Is(err, dynamostore.ErrUploadMismatch) {
		t.Fatalf("stale upload: %v", err)
	}
	// Every remaining range delivered three times, concurrently.
	type result struct {
		rem int64
		err error
	}
	results := make(chan result, 15)
	var wg sync.WaitGroup
	for copyN := 0; copyN < 3; copyN++ {
		for _, r := range ranges[1:] {
			wg.Add(1)
			go func(rid string, parts int) {
				defer wg.Done()
				rem, err := s.PartsDone(ctx(t), id, "upload-1", rid, parts)
				results <- result{rem, err}
			}(r.id, r.parts)
		}
	}
	wg.Wait()
	close(results)
	completers, dups := 0, 0
	for r := range results {
		switch {
		case r.err == nil && r.rem == 0:
			completers++
		case r.err == nil:
		case errors.Is(r.err, dynamostore.ErrRangeDone):
			dups++
		default:
			t.Fatalf("PartsDone: %v", r.err)
		}
	}
	if completers != 1 || dups != 10 {
		t.Fatalf("%d sub-jobs saw 0 remaining (want 1), %d duplicates (want 10)", completers, dups)
	}
	st.UploadID, st.Bytes, st.DestETag = "upload-1", 100, "x-21"
	st.WorkerID = "subjob-17-20"
	if err := s.CompleteParts(c, st); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Load(c, id); got.Status != transfer.StatusDone || got.DestETag != "x-21" {
		t.Fatalf("after CompleteParts: %+v", got)
	}
	if err := s.CompleteParts(c, st); !errors.Is(err, dynamostore.ErrDone) {
		t.Fatalf("second CompleteParts: %v, want ErrDone", err)
	}
	if err := s.FailObject(c, id, "late failure"); !errors.Is(err, dynamostore.ErrDone) {
		t.Fatalf("FailObject of a DONE object: %v, want ErrDone", err)
	}
}

func TestFailObjectStopsSubJobs(t *testing.T) {
	t.Parallel()
	f := newStore(t, dynalite(t), "fail")
	s, c := f.store, ctx(t)
	const id = "dst/giant"
	st, err := s.Claim(c, claim(id, "coordinator", src1))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InitParts(c, id, "u", 4); err != nil {
		t.Fatal(err)
	}
	st.UploadID = "u"
	if err := s.CompleteParts(c, st); err == nil {
		t.Fatalf("CompleteParts with parts remaining succeeded")
	}
	if err := s.FailObject(c, id, "part 3: source changed"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PartsDone(c, id, "u", "1-2", 2); !errors.Is(err, dynamostore.ErrObjectFailed) {
		t.Fatalf("PartsDone after FailObject: %v", err)
	}
	got, _, _ := s.Load(c, id)
	if got.Status != transfer.StatusFailed || got.Error != "part 3: source changed" || got.End.IsZero() {
		t.Fatalf("after FailObject: %+v", got)
	}
	if err := s.FailObject(c, "dst/none", "x"); !errors.Is(err, dynamostore.ErrNotFound) {
		t.Fatalf("FailObject of an unknown object: %v", err)
	}
}

// The writes per object are a constant: claim, save, finish.
func TestCallsPerObjectAreConstant(t *testing.T) {
	t.Parallel()
	f := newStore(t, dynalite(t), "calls")
	c := ctx(t)
	for i, size := range []int64{1 << 20, 1 << 30} {
		f.calls.Reset()
		id := fmt.Sprintf("dst/obj-%d", i)
		st, err := f.store.Claim(c, claim(id, "w", transfer.SourceVersion{Size: size, ETag: "e"}))
		if err != nil {
			t.Fatal(err)
		}
		st.Bytes = size
		if err := f.store.Save(c, st); err != nil {
			t.Fatal(err)
		}
		st.Status = transfer.StatusDone
		if err := f.store.Finish(c, st); err != nil {
			t.Fatal(err)
		}
		if got := f.calls.Service("DynamoDB"); got != 3 {
			t.Fatalf("size %d: %d DynamoDB calls (%s), want 3", size, got, f.calls)
		}
	}
}

// moto has UpdateTimeToLive: CreateTable enables TTL on "ttl", and a
// finished item carries end+TTL there.
func TestCreateTableWithTTL(t *testing.T) {
	t.Parallel()
	m := emulator.StartMoto(t)
	api := dynamodb.NewFromConfig(m.Config())
	s := dynamostore.New(api, "s3migrate-state")
	s.TTL = 24 * time.Hour
	c := ctx(t)
	if err := s.CreateTable(c); err != nil {
		t.Fatalf("CreateTable on moto: %v", err)
	}
	d, err := api.DescribeTimeToLive(c, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("s3migrate-state")})
	if err != nil {
		t.Fatal(err)
	}
	if d.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.TimeToLiveDescription.AttributeName) != "ttl" {
		t.Fatalf("ttl: %+v", d.TimeToLiveDescription)
	}
	st, err := s.Claim(c, claim("b/k", "w", src1))
	if err != nil {
		t.Fatal(err)
	}
	st.Status = transfer.StatusDone
	st.End = time.Unix(1700000000, 0)
	if err := s.Finish(c, st); err != nil {
		t.Fatal(err)
	}
	out, err := api.GetItem(c, &dynamodb.GetItemInput{TableName: aws.String("s3migrate-state"), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "b/k"}}})
	if err != nil {
		t.Fatal(err)
	}
	if ttl := out.Item["ttl"].(*types.AttributeValueMemberN).Value; ttl != "1700086400" {
		t.Fatalf("ttl = %s, want end + 24h = 1700086400", ttl)
	}
	// dynalite has no UpdateTimeToLive: the table is made, the error says so.
	dl := dynamostore.New(dynamodb.NewFromConfig(dynalite(t).Config()), "t-dynalite")
	if err := dl.CreateTable(c); !errors.Is(err, dynamostore.ErrTTLUnsupported) {
		t.Fatalf("CreateTable on dynalite: %v, want ErrTTLUnsupported", err)
	}
	if _, _, err := dl.Load(c, "x"); err != nil {
		t.Fatalf("table unusable after CreateTable on dynalite: %v", err)
	}
}
