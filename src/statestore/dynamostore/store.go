// Package dynamostore keeps the per-object state of the serverless and EC2
// workers in DynamoDB: a transfer.StateStore plus the conditional writes the
// workers need (claim with a lease, finish by the claimant, hand back, and
// the counters of a giant object's fan-out).
//
// One item per destination object, written a constant number of times per
// object (claim, hand-off, finish; plus one per sub-job of a giant object),
// never per part. Hash key `id` (string) = transfer's state id of the
// destination bucket/key; TTL attribute `ttl` (matches the Terraform table
// module). Item schema:
//
//	| attribute         | type | meaning                                                        |
//	|-------------------|------|----------------------------------------------------------------|
//	| id                | S    | hash key: destination bucket/key                               |
//	| status            | S    | QUEUED, RUNNING, DONE, FAILED or SKIPPED                       |
//	| attempts          | N    | claims so far (incremented by every Claim)                     |
//	| source_key        | S    | source key                                                     |
//	| dest_key          | S    | destination key                                                |
//	| src_etag          | S    | pinned source ETag (no quotes)                                 |
//	| src_version       | S    | pinned source version id ("" = unversioned: not stored)        |
//	| src_size          | N    | pinned source size in bytes                                    |
//	| src_last_modified | S    | source Last-Modified, RFC 3339                                 |
//	| upload_id         | S    | multipart upload in progress or completed                      |
//	| part_size         | N    | part size of that upload                                       |
//	| upload_settings   | S    | encryption, storage class, ACL, checksum the upload was made with |
//	| bytes             | N    | bytes at the destination when last written                     |
//	| dest_etag         | S    | ETag of the finished destination object                        |
//	| first_start       | S    | first claim, RFC 3339 UTC                                      |
//	| last_start        | S    | latest claim                                                   |
//	| end               | S    | when it became DONE, FAILED or SKIPPED                         |
//	| duration_ms       | N    | end − first_start in milliseconds                              |
//	| worker_id         | S    | worker (Lambda request id or host/pid) that claimed it last    |
//	| lease_until       | N    | RUNNING only: Unix ms until which worker_id owns the object    |
//	| last_error        | S    | why it failed last (never credentials)                         |
//	| ttl               | N    | Unix seconds when DynamoDB may delete a DONE/SKIPPED item      |
//	| total_parts       | N    | giant objects: parts of the fanned-out upload                  |
//	| parts_remaining   | N    | giant objects: parts not yet reported done (atomic counter)    |
//	| done_ranges       | SS   | giant objects: sub-job ranges counted ("first-last")           |
package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/s3migrate/s3migrate/src/transfer"
)

// API is the part of the DynamoDB client the store uses (*dynamodb.Client).
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(context.Context, *dynamodb.UpdateTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// Errors of the conditional operations. Each is returned wrapped with the
// object id; test with errors.Is.
var (
	// ErrDone: the object is already DONE or SKIPPED from the same source
	// version; a duplicate message. Acknowledge it and do nothing.
	ErrDone = errors.New("object already done")
	// ErrBusy: another worker holds a live lease on the object. Hand the
	// message back for later.
	ErrBusy = errors.New("object is being copied by another worker")
	// ErrNotClaimant: the caller no longer owns the object (its lease
	// expired and another worker claimed it). Stop and write nothing.
	ErrNotClaimant = errors.New("not the claimant of the object")
	// ErrNotFound: there is no item for the id.
	ErrNotFound = errors.New("no state for the object")
	// ErrUploadMismatch: a sub-job names an upload that is not the
	// object's current fan-out upload (a stale message). Drop it.
	ErrUploadMismatch = errors.New("sub-job is for another upload")
	// ErrRangeDone: this sub-job range was already counted (duplicate
	// delivery). The returned remaining count is current.
	ErrRangeDone = errors.New("part range already counted")
	// ErrObjectFailed: the object was marked FAILED; sub-jobs stop.
	ErrObjectFailed = errors.New("object failed")
	// ErrTTLUnsupported: the endpoint has no UpdateTimeToLive (dynalite).
	ErrTTLUnsupported = errors.New("the DynamoDB endpoint does not support UpdateTimeToLive")
)

// Store is a transfer.StateStore on one DynamoDB table.
type Store struct {
	api   API
	table string
	// TTL, when > 0, lets DynamoDB delete DONE and SKIPPED items this long
	// after they ended. FAILED items are kept for inspection.
	TTL time.Duration
	// Now is the clock (default time.Now); leases compare against it.
	Now func() time.Time
}

var _ transfer.StateStore = (*Store)(nil)

// New returns a Store on table using api (a *dynamodb.Client).
func New(api API, table string) *Store { return &Store{api: api, table: table} }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrID: &types.AttributeValueMemberS{Value: id}}
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// Load returns the object's state (a consistent read).
func (s *Store) Load(ctx context.Context, id string) (transfer.ObjectState, bool, error) {
	item, err := s.get(ctx, id)
	if err != nil || item == nil {
		return transfer.ObjectState{}, false, err
	}
	st, err := fromItem(item)
	if err != nil {
		return transfer.ObjectState{}, false, fmt.Errorf("dynamodb state of %q in table %s: %w", id, s.table, err)
	}
	return st, true, nil
}

func (s *Store) get(ctx context.Context, id string) (map[string]types.AttributeValue, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: s.key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read state of %q from dynamodb table %s: %w", id, s.table, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// update runs one UpdateItem built from SET/REMOVE/ADD clauses.
type update struct {
	e      *expr
	set    []string
	remove []string
	add    []string
	cond   string
	ret    types.ReturnValue
}

func newUpdate() *update { return &update{e: newExpr()} }

func (u *update) Set(name string, v types.AttributeValue) {
	u.set = append(u.set, u.e.N(name)+" = "+u.e.V(v))
}
func (u *update) SetExpr(name, rhs string) { u.set = append(u.set, u.e.N(name)+" = "+rhs) }
func (u *update) Remove(name string)       { u.remove = append(u.remove, u.e.N(name)) }
func (u *update) Add(name string, v types.AttributeValue) {
	u.add = append(u.add, u.e.N(name)+" "+u.e.V(v))
}

// fields SETs and REMOVEs the ObjectState fields.
func (u *update) fields(st transfer.ObjectState, skip ...string) {
	set, remove := stateFields(st)
	skipped := map[string]bool{}
	for _, k := range skip {
		skipped[k] = true
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !skipped[k] {
			u.Set(k, set[k])
		}
	}
	for _, k := range remove {
		if !skipped[k] {
			u.Remove(k)
		}
	}
}

func (u *update) expression() string {
	var parts []string
	if len(u.set) > 0 {
		parts = append(parts, "SET "+strings.Join(u.set, ", "))
	}
	if len(u.remove) > 0 {
		parts = append(parts, "REMOVE "+strings.Join(u.remove, ", "))
	}
	if len(u.add) > 0 {
		parts = append(parts, "ADD "+strings.Join(u.add, ", "))
	}
	return strings.Join(parts, " ")
}

func (s *Store) run(ctx context.Context, id string, u *update) (*dynamodb.UpdateItemOutput, error) {
	in := &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       s.key(id),
		UpdateExpression:          aws.String(u.expression()),
		ExpressionAttributeNames:  u.e.names,
		ExpressionAttributeValues: u.e.valuesOrNil(),
		ReturnValues:              u.ret,
	}
	if u.cond != "" {
		in.ConditionExpression = aws.String(u.cond)
	}
	return s.api.UpdateItem(ctx, in)
}

// Save writes the record's fields (insert or replace). It leaves the lease
// and the fan-out counters alone, so the engine can record progress of a
// claimed object without taking them away.
func (s *Store) Save(ctx context.Context, st transfer.ObjectState) error {
	if st.ID == "" {
		return fmt.Errorf("save state: empty id")
	}
	u := newUpdate()
	u.fields(st)
	if _, err := s.run(ctx, st.ID, u); err != nil {
		return fmt.Errorf("save state of %q to dynamodb table %s: %w", st.ID, s.table, err)
	}
	return nil
}

// ClaimRequest asks to own an object for a while.
type ClaimRequest struct {
	ID       string
	WorkerID string
	Lease    time.Duration // how long the claim holds without renewal
	// Source is what the message says the source is. A DONE or SKIPPED
	// object is copied again only when this differs from the recorded
	// source (a new version); with neither ETag nor VersionID known, DONE
	// is final.
	Source    transfer.SourceVersion
	SourceKey string
	DestKey   string
}

// Claim moves the object to RUNNING owned by req.WorkerID until now+Lease
// and increments attempts, when it is new, QUEUED, FAILED, RUNNING with an
// expired lease (or a lease of the same worker), or DONE/SKIPPED from
// another source version. It returns the state after the claim. It refuses
// with ErrDone (same source already done) or ErrBusy (live lease of
// another worker), both returned together with the current state.
func (s *Store) Claim(ctx context.Context, req ClaimRequest) (transfer.ObjectState, error) {
	if req.ID == "" || req.WorkerID == "" || req.Lease <= 0 {
		return transfer.ObjectState{}, fmt.Errorf("claim: id, worker id and a positive lease are required")
	}
	now := s.now()
	u := newUpdate()
	e := u.e
	st, w, lease := e.N(attrStatus), e.N(attrWorkerID), e.N(attrLeaseUntil)
	u.cond = fmt.Sprintf("attribute_not_exists(%s) OR %s IN (%s, %s) OR (%s = %s AND (%s < %s OR %s = %s))",
		e.N(attrID), st, e.V(statusAV(transfer.StatusQueued)), e.V(statusAV(transfer.StatusFailed)),
		st, e.V(statusAV(transfer.StatusRunning)), lease, e.V(numAV(now.UnixMilli())), w, e.V(strAV(req.WorkerID)))
	s.claimSet(u, req, now, false)
	out, err := s.run(ctx, req.ID, u)
	if err == nil {
		return fromItemWrapped(out.Attributes, req.ID)
	}
	if !isConditionFailed(err) {
		return transfer.ObjectState{}, fmt.Errorf("claim %q in dynamodb table %s: %w", req.ID, s.table, err)
	}
	// Refused: find out why (one read, only on this path).
	cur, ok, lerr := s.Load(ctx, req.ID)
	if lerr != nil {
		return transfer.ObjectState{}, lerr
	}
	if !ok { // deleted in between: try once more from scratch
		return s.Claim(ctx, req)
	}
	switch cur.Status {
	case transfer.StatusDone, transfer.StatusSkipped:
		if !sourceChanged(cur.Source, req.Source) {
			return cur, fmt.Errorf("claim %q: %w (%s from the same source)", req.ID, ErrDone, cur.Status)
		}
		return s.reclaimChanged(ctx, req, cur, now)
	case transfer.StatusRunning:
		return cur, fmt.Errorf("claim %q: %w (worker %s)", req.ID, ErrBusy, cur.WorkerID)
	}
	// The item changed between the update and the read: let the caller retry.
	return cur, fmt.Errorf("claim %q: %w (state changed while claiming)", req.ID, ErrBusy)
}

func statusAV(st transfer.Status) types.AttributeValue { return strAV(string(st)) }

// claimSet writes the claim; fresh also clears what belonged to the
// previous, finished version of the object.
func (s *Store) claimSet(u *update, req ClaimRequest, now time.Time, fresh bool) {
	e := u.e
	u.Set(attrStatus, statusAV(transfer.StatusRunning))
	u.Set(attrWorkerID, strAV(req.WorkerID))
	u.Set(attrLeaseUntil, numAV(now.Add(req.Lease).UnixMilli()))
	u.Set(attrLastStart, timeAV(now))
	u.SetExpr(attrAttempts, fmt.Sprintf("if_not_exists(%s, %s) + %s", e.N(attrAttempts), e.V(numAV(0)), e.V(numAV(1))))
	if req.SourceKey != "" {
		u.Set(attrSourceKey, strAV(req.SourceKey))
	}
	if req.DestKey != "" {
		u.Set(attrDestKey, strAV(req.DestKey))
	}
	if fresh {
		u.Set(attrFirstStart, timeAV(now))
		// A new source version: forget the finished copy of the old one and
		// record what the message says about the new one (the engine saves
		// the exact pin when it starts).
		for _, a := range []string{attrEnd, attrDurationMS, attrTTL, attrLastError, attrUploadID, attrPartSize, attrSettings, attrDestETag,
			attrTotalParts, attrPartsRemaining, attrDoneRanges, attrSrcModified} {
			u.Remove(a)
		}
		for name, v := range map[string]string{attrSrcETag: req.Source.ETag, attrSrcVersion: req.Source.VersionID} {
			if v == "" {
				u.Remove(name)
			} else {
				u.Set(name, strAV(v))
			}
		}
		u.Set(attrSrcSize, numAV(req.Source.Size))
		u.Set(attrBytes, numAV(0))
	} else {
		u.SetExpr(attrFirstStart, fmt.Sprintf("if_not_exists(%s, %s)", e.N(attrFirstStart), e.V(timeAV(now))))
	}
	u.ret = types.ReturnValueAllNew
}

// reclaimChanged claims a DONE/SKIPPED object whose source has a new
// version, on condition that it is still the finished record just read.
func (s *Store) reclaimChanged(ctx context.Context, req ClaimRequest, cur transfer.ObjectState, now time.Time) (transfer.ObjectState, error) {
	u := newUpdate()
	e := u.e
	conds := []string{fmt.Sprintf("%s = %s", e.N(attrStatus), e.V(statusAV(cur.Status)))}
	if cur.End.IsZero() {
		conds = append(conds, fmt.Sprintf("attribute_not_exists(%s)", e.N(attrEnd)))
	} else {
		conds = append(conds, fmt.Sprintf("%s = %s", e.N(attrEnd), e.V(timeAV(cur.End))))
	}
	u.cond = strings.Join(conds, " AND ")
	s.claimSet(u, req, now, true)
	out, err := s.run(ctx, req.ID, u)
	if isConditionFailed(err) {
		return cur, fmt.Errorf("claim %q: %w (claimed by another worker for the new version)", req.ID, ErrBusy)
	}
	if err != nil {
		return transfer.ObjectState{}, fmt.Errorf("claim %q in dynamodb table %s: %w", req.ID, s.table, err)
	}
	return fromItemWrapped(out.Attributes, req.ID)
}

// sourceChanged reports whether a message's source is known to differ from
// the recorded one.
func sourceChanged(recorded, msg transfer.SourceVersion) bool {
	if msg.ETag == "" && msg.VersionID == "" {
		return false
	}
	return !recorded.Same(msg)
}

func fromItemWrapped(item map[string]types.AttributeValue, id string) (transfer.ObjectState, error) {
	st, err := fromItem(item)
	if err != nil {
		return st, fmt.Errorf("dynamodb state of %q: %w", id, err)
	}
	return st, nil
}

// claimant is the condition that the caller still owns the object.
func claimant(u *update, workerID string) {
	e := u.e
	u.cond = fmt.Sprintf("%s = %s AND %s = %s", e.N(attrStatus), e.V(statusAV(transfer.StatusRunning)), e.N(attrWorkerID), e.V(strAV(workerID)))
}

// ExtendLease renews the caller's claim until now+lease (for work that
// outlives the first lease; the Lambda's lease covers its whole timeout).
func (s *Store) ExtendLease(ctx context.Context, id, workerID string, lease time.Duration) error {
	u := newUpdate()
	claimant(u, workerID)
	u.Set(attrLeaseUntil, numAV(s.now().Add(lease).UnixMilli()))
	if _, err := s.run(ctx, id, u); err != nil {
		if isConditionFailed(err) {
			return fmt.Errorf("extend lease of %q: %w", id, ErrNotClaimant)
		}
		return fmt.Errorf("extend lease of %q in dynamodb table %s: %w", id, s.table, err)
	}
	return nil
}

// Release hands a claimed object back (status QUEUED) with its progress,
// for the next worker to resume at once: the deadline hand-off.
func (s *Store) Release(ctx context.Context, st transfer.ObjectState) error {
	st.Status = transfer.StatusQueued
	u := newUpdate()
	claimant(u, st.WorkerID)
	u.fields(st, attrAttempts, attrFirstStart, attrLastStart, attrEnd)
	u.Remove(attrLeaseUntil)
	if _, err := s.run(ctx, st.ID, u); err != nil {
		if isConditionFailed(err) {
			return fmt.Errorf("release %q: %w", st.ID, ErrNotClaimant)
		}
		return fmt.Errorf("release %q in dynamodb table %s: %w", st.ID, s.table, err)
	}
	return nil
}

// Finish records the end of a claimed object: st.Status DONE, FAILED or
// SKIPPED, written only if st.WorkerID still owns it (ErrNotClaimant
// otherwise). It sets end (now when st.End is zero), duration_ms and, for
// DONE/SKIPPED with Store.TTL, ttl.
func (s *Store) Finish(ctx context.Context, st transfer.ObjectState) error {
	switch st.Status {
	case transfer.StatusDone, transfer.StatusFailed, transfer.StatusSkipped:
	default:
		return fmt.Errorf("finish %q: status %q is not DONE, FAILED or SKIPPED", st.ID, st.Status)
	}
	u := newUpdate()
	claimant(u, st.WorkerID)
	s.finishSet(u, st)
	if _, err := s.run(ctx, st.ID, u); err != nil {
		if isConditionFailed(err) {
			return fmt.Errorf("finish %q: %w", st.ID, ErrNotClaimant)
		}
		return fmt.Errorf("finish %q in dynamodb table %s: %w", st.ID, s.table, err)
	}
	return nil
}

func (s *Store) finishSet(u *update, st transfer.ObjectState) {
	if st.End.IsZero() {
		st.End = s.now()
	}
	u.fields(st, attrAttempts, attrFirstStart, attrLastStart, attrEnd)
	u.Set(attrEnd, timeAV(st.End))
	if !st.FirstStart.IsZero() {
		u.Set(attrDurationMS, numAV(st.End.Sub(st.FirstStart).Milliseconds()))
	} else {
		u.Set(attrDurationMS, numAV(0))
	}
	u.Remove(attrLeaseUntil)
	if s.TTL > 0 && st.Status != transfer.StatusFailed {
		u.Set(attrTTL, numAV(st.End.Add(s.TTL).Unix()))
	} else {
		u.Remove(attrTTL)
	}
}

// InitParts starts the fan-out of a giant object's upload: totalParts parts
// remain. Calling it again for the same upload changes nothing (a
// duplicate of the coordinating message); a new upload id starts over.
func (s *Store) InitParts(ctx context.Context, id, uploadID string, totalParts int) error {
	if totalParts <= 0 || uploadID == "" {
		return fmt.Errorf("init parts of %q: an upload id and a positive part count are required", id)
	}
	u := newUpdate()
	e := u.e
	u.cond = fmt.Sprintf("attribute_exists(%s) AND (attribute_not_exists(%s) OR %s <> %s)",
		e.N(attrID), e.N(attrPartsRemaining), e.N(attrUploadID), e.V(strAV(uploadID)))
	u.Set(attrUploadID, strAV(uploadID))
	u.Set(attrTotalParts, numAV(int64(totalParts)))
	u.Set(attrPartsRemaining, numAV(int64(totalParts)))
	u.Remove(attrDoneRanges)
	_, err := s.run(ctx, id, u)
	if err == nil {
		return nil
	}
	if !isConditionFailed(err) {
		return fmt.Errorf("init parts of %q in dynamodb table %s: %w", id, s.table, err)
	}
	item, gerr := s.get(ctx, id)
	if gerr != nil {
		return gerr
	}
	if item == nil {
		return fmt.Errorf("init parts of %q: %w (claim it first)", id, ErrNotFound)
	}
	return nil // already initialised for this upload
}

// PartsDone counts the parts of one finished sub-job range (rangeID, e.g.
// message.PartRange.ID()) and returns how many parts remain. The caller
// that sees 0 completes the upload. A range counted before returns the
// current remaining count with ErrRangeDone (a duplicate delivery; if
// remaining is 0 and the object is not DONE, the duplicate may be the
// retry of a completer that crashed and should complete). A stale upload
// id gives ErrUploadMismatch, a FAILED object ErrObjectFailed.
func (s *Store) PartsDone(ctx context.Context, id, uploadID, rangeID string, parts int) (remaining int64, err error) {
	if parts <= 0 || rangeID == "" {
		return 0, fmt.Errorf("parts done for %q: a range id and a positive part count are required", id)
	}
	u := newUpdate()
	e := u.e
	dr := e.N(attrDoneRanges)
	rv := e.V(strAV(rangeID))
	u.cond = fmt.Sprintf("%s = %s AND %s <> %s AND attribute_exists(%s) AND (attribute_not_exists(%s) OR NOT contains(%s, %s))",
		e.N(attrUploadID), e.V(strAV(uploadID)), e.N(attrStatus), e.V(statusAV(transfer.StatusFailed)), e.N(attrPartsRemaining), dr, dr, rv)
	u.add = append(u.add, e.N(attrPartsRemaining)+" "+e.V(numAV(-int64(parts))), dr+" "+e.V(&types.AttributeValueMemberSS{Value: []string{rangeID}}))
	u.ret = types.ReturnValueUpdatedNew
	out, err := s.run(ctx, id, u)
	if err == nil {
		v, ok := out.Attributes[attrPartsRemaining].(*types.AttributeValueMemberN)
		if !ok {
			return 0, fmt.Errorf("parts done for %q: dynamodb returned no %s", id, attrPartsRemaining)
		}
		return strconv.ParseInt(v.Value, 10, 64)
	}
	if !isConditionFailed(err) {
		return 0, fmt.Errorf("parts done for %q in dynamodb table %s: %w", id, s.table, err)
	}
	item, gerr := s.get(ctx, id)
	if gerr != nil {
		return 0, gerr
	}
	if item == nil {
		return 0, fmt.Errorf("parts done for %q: %w", id, ErrNotFound)
	}
	cur, _ := fromItem(item)
	rem := int64(0)
	if v, ok := item[attrPartsRemaining].(*types.AttributeValueMemberN); ok {
		rem, _ = strconv.ParseInt(v.Value, 10, 64)
	}
	switch {
	case cur.UploadID != uploadID || item[attrPartsRemaining] == nil:
		return 0, fmt.Errorf("parts done for %q: %w", id, ErrUploadMismatch)
	case cur.Status == transfer.StatusFailed:
		return rem, fmt.Errorf("parts done for %q: %w: %s", id, ErrObjectFailed, cur.Error)
	}
	if ss, ok := item[attrDoneRanges].(*types.AttributeValueMemberSS); ok {
		for _, r := range ss.Value {
			if r == rangeID {
				return rem, fmt.Errorf("parts done for %q range %s: %w", id, rangeID, ErrRangeDone)
			}
		}
	}
	return 0, fmt.Errorf("parts done for %q: condition failed for an unknown reason (state %s)", id, cur.Status)
}

// CompleteParts records a fanned-out object as DONE once all its parts are
// counted, on condition that parts_remaining is 0 for st.UploadID; whoever
// completes the upload calls it (no lease involved). A second call after
// DONE returns ErrDone.
func (s *Store) CompleteParts(ctx context.Context, st transfer.ObjectState) error {
	st.Status = transfer.StatusDone
	u := newUpdate()
	e := u.e
	u.cond = fmt.Sprintf("%s = %s AND %s = %s AND %s IN (%s, %s)",
		e.N(attrUploadID), e.V(strAV(st.UploadID)), e.N(attrPartsRemaining), e.V(numAV(0)),
		e.N(attrStatus), e.V(statusAV(transfer.StatusRunning)), e.V(statusAV(transfer.StatusQueued)))
	s.finishSet(u, st)
	if _, err := s.run(ctx, st.ID, u); err != nil {
		if isConditionFailed(err) {
			cur, ok, lerr := s.Load(ctx, st.ID)
			if lerr == nil && ok && cur.Status == transfer.StatusDone {
				return fmt.Errorf("complete parts of %q: %w", st.ID, ErrDone)
			}
			return fmt.Errorf("complete parts of %q: parts remain, the upload changed or the object failed: %w", st.ID, ErrNotClaimant)
		}
		return fmt.Errorf("complete parts of %q in dynamodb table %s: %w", st.ID, s.table, err)
	}
	return nil
}

// FailObject marks the object FAILED with reason, unless it is DONE; the
// fan-out's sub-jobs then stop (ErrObjectFailed). Whoever calls it aborts
// the upload.
func (s *Store) FailObject(ctx context.Context, id, reason string) error {
	u := newUpdate()
	e := u.e
	u.cond = fmt.Sprintf("attribute_exists(%s) AND %s <> %s", e.N(attrID), e.N(attrStatus), e.V(statusAV(transfer.StatusDone)))
	now := s.now()
	u.Set(attrStatus, statusAV(transfer.StatusFailed))
	u.Set(attrLastError, strAV(reason))
	u.Set(attrEnd, timeAV(now))
	u.Remove(attrLeaseUntil)
	if _, err := s.run(ctx, id, u); err != nil {
		if isConditionFailed(err) {
			_, ok, lerr := s.Load(ctx, id)
			if lerr != nil {
				return lerr
			}
			if !ok {
				return fmt.Errorf("fail %q: %w", id, ErrNotFound)
			}
			return fmt.Errorf("fail %q: %w", id, ErrDone)
		}
		return fmt.Errorf("fail %q in dynamodb table %s: %w", id, s.table, err)
	}
	return nil
}

// CreateTable creates the table as the Terraform module does (hash key id,
// on-demand), waits until it is ACTIVE and enables TTL on ttl. On an
// endpoint without UpdateTimeToLive (dynalite) the table is created and the
// error wraps ErrTTLUnsupported.
func (s *Store) CreateTable(ctx context.Context) error {
	_, err := s.api.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            &s.table,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(attrID), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(attrID), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("create dynamodb table %s: %w", s.table, err)
	}
	w := dynamodb.NewTableExistsWaiter(s.api, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &s.table}, 2*time.Minute); err != nil {
		return fmt.Errorf("wait for dynamodb table %s: %w", s.table, err)
	}
	_, err = s.api.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               &s.table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true)},
	})
	if err != nil {
		var uo interface{ ErrorCode() string }
		if errors.As(err, &uo) && strings.Contains(uo.ErrorCode(), "UnknownOperation") {
			return fmt.Errorf("enable ttl on %s: %w", s.table, ErrTTLUnsupported)
		}
		return fmt.Errorf("enable ttl on dynamodb table %s: %w", s.table, err)
	}
	return nil
}
