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

// class is what an SDK error means to the engine.
type class struct {
	kind   error // transfer sentinel, or nil for "transient"
	code   string
	status int
	hint   string
}

// classify finds the engine sentinel for an SDK error, and a hint.
func classify(err error) class {
	var c class
	var ae smithy.APIError
	if errors.As(err, &ae) {
		c.code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		c.status = re.HTTPStatusCode()
	}
	const denied = "the credentials of this side lack permission for this call"
	switch code := c.code; {
	case credentialCodes[code]:
		c.kind = errors.Join(transfer.ErrAccessDenied, ErrCredentialsRejected)
		c.hint = "the endpoint rejected this side's credentials: check the access key, secret, profile or role"
	case code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchVersion" || code == "NotFound":
		c.kind = transfer.ErrNotFound
	case code == "AccessDenied" || code == "AllAccessDisabled" || code == "AccountProblem" || code == "Forbidden":
		c.kind, c.hint = transfer.ErrAccessDenied, denied
	case code == "NoSuchUpload":
		c.kind = transfer.ErrNoSuchUpload
	case code == "BadDigest" || code == "InvalidDigest" || code == "XAmzContentChecksumMismatch" || code == "XAmzContentSHA256Mismatch":
		c.kind, c.hint = transfer.ErrIntegrity, "the body received differs from the checksum sent"
	case code == "PreconditionFailed":
		c.kind = transfer.ErrSourceChanged
	case code == "InvalidRange":
		// Only ranges inside the pinned size are asked for: the object shrank.
		c.kind = transfer.ErrSourceChanged
	default:
		switch c.status {
		case 404:
			c.kind = transfer.ErrNotFound
		case 403:
			c.kind, c.hint = transfer.ErrAccessDenied, denied
		case 412, 416:
			c.kind = transfer.ErrSourceChanged
		}
	}
	return c
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
	c := classify(err)
	return &Error{Op: op, Ref: b.keyRef(key), Code: c.code, Status: c.status, kind: c.kind, hint: c.hint, err: err}
}

// mapErr classifies an error outside a Bucket (region detection).
func mapErr(err error) error {
	c := classify(err)
	if c.kind == nil {
		return err
	}
	if c.hint != "" {
		return fmt.Errorf("%w: %w (%s)", c.kind, err, c.hint)
	}
	return fmt.Errorf("%w: %w", c.kind, err)
}

// changed builds an ErrSourceChanged error that has no SDK error behind it.
func (b *Bucket) changed(op, key, format string, args ...any) error {
	return &Error{Op: op, Ref: b.keyRef(key), kind: transfer.ErrSourceChanged, err: fmt.Errorf(format, args...)}
}

// integrity builds an ErrIntegrity error that has no SDK error behind it.
func (b *Bucket) integrity(op, key, format string, args ...any) error {
	return &Error{Op: op, Ref: b.keyRef(key), kind: transfer.ErrIntegrity, err: fmt.Errorf(format, args...)}
}
