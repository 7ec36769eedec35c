package s3side

import (
	"context"
	"errors"
	"fmt"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/s3migrate/s3migrate/src/transfer"
)

// ErrCredentialsRejected is wrapped (together with transfer.ErrAccessDenied)
// when the endpoint does not accept the credentials at all: unknown access
// key, wrong secret, expired token.
var ErrCredentialsRejected = errors.New("credentials rejected")

// Error is an S3 call that failed. It wraps the engine's sentinel for the
// failure class and the SDK error.
type Error struct {
	Op     string // "HeadObject", "GetObject bytes=0-99", ...
	Ref    string // s3://bucket/key
	Code   string // S3 error code, "" for transport errors
	Status int    // HTTP status, 0 when there was no response
	kind   error  // transfer.ErrNotFound etc., or nil
	hint   string
	err    error
}

func (e *Error) Error() string {
	msg := e.Op + " " + e.Ref + ": "
	if e.kind != nil {
		msg += e.kind.Error() + ": "
	}
	msg += e.err.Error()
	if e.hint != "" {
		msg += " (" + e.hint + ")"
	}
	return msg
}

// Unwrap exposes both the class and the SDK error to errors.Is/As.
func (e *Error) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

// credentialCodes are the answers to credentials the endpoint does not know
// or cannot verify; retrying with them is pointless.
var credentialCodes = map[string]bool{
	"InvalidAccessKeyId":           true,
	"SignatureDoesNotMatch":        true,
	"XAdminUserNotFound":           true, // versitygw: unknown access key
	"ExpiredToken":                 true,
	"InvalidToken":                 true,
	"TokenRefreshRequired":         true,
	"InvalidSecurity":              true,
	"AuthorizationHeaderMalformed": true,
}

// classify returns the engine sentinel for an SDK error, and a hint.
func classify(err error) (kind error, code string, status int, hint string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case credentialCodes[code]:
		return errors.Join(transfer.ErrAccessDenied, ErrCredentialsRejected), code, status,
			"the endpoint rejected this side's credentials: check the access key, secret, profile or role"
	case code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchVersion" || code == "NotFound":
		return transfer.ErrNotFound, code, status, ""
	case code == "AccessDenied" || code == "AllAccessDisabled" || code == "AccountProblem" || code == "Forbidden":
		return transfer.ErrAccessDenied, code, status, "the credentials of this side lack permission for this call"
	case code == "NoSuchUpload":
		return transfer.ErrNoSuchUpload, code, status, ""
	case code == "BadDigest" || code == "InvalidDigest" || code == "XAmzContentChecksumMismatch" || code == "XAmzContentSHA256Mismatch":
		return transfer.ErrIntegrity, code, status, "the body received differs from the checksum sent"
	case code == "PreconditionFailed":
		return transfer.ErrSourceChanged, code, status, ""
	}
	switch status {
	case 404:
		return transfer.ErrNotFound, code, status, ""
	case 403:
		return transfer.ErrAccessDenied, code, status, "the credentials of this side lack permission for this call"
	case 412:
		return transfer.ErrSourceChanged, code, status, ""
	}
	return nil, code, status, ""
}

// wrap turns an SDK error into an *Error naming the call and object.
// Context cancellation passes through unchanged.
func (b *Bucket) wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	kind, code, status, hint := classify(err)
	return &Error{Op: op, Ref: b.keyRef(key), Code: code, Status: status, kind: kind, hint: hint, err: err}
}

// mapErr classifies an error outside a Bucket (region detection).
func mapErr(err error) error {
	kind, _, _, hint := classify(err)
	if kind == nil {
		return err
	}
	if hint != "" {
		return fmt.Errorf("%w: %w (%s)", kind, err, hint)
	}
	return fmt.Errorf("%w: %w", kind, err)
}

// changed builds an ErrSourceChanged error that has no SDK error behind it.
func (b *Bucket) changed(op, key, format string, args ...any) error {
	return &Error{Op: op, Ref: b.keyRef(key), kind: transfer.ErrSourceChanged, err: fmt.Errorf(format, args...)}
}

// integrity builds an ErrIntegrity error that has no SDK error behind it.
func (b *Bucket) integrity(op, key, format string, args ...any) error {
	return &Error{Op: op, Ref: b.keyRef(key), kind: transfer.ErrIntegrity, err: fmt.Errorf(format, args...)}
}
