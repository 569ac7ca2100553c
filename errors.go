package syndicate

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. The HTTP layer maps them to statuses, the CLI to exit codes.
const (
	EINVALID  = "invalid" // the input is wrong; retrying will not help
	ENOTFOUND = "not_found"
	ECONFLICT = "conflict"
	EINTERNAL = "internal"
)

// Error is an error whose message is fit to show a user as it is.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: an *Error's own
// message, or err's text.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Outcome classifies how a delivery attempt failed, so the job layer can
// decide between retrying, giving up and asking an editor.
type Outcome int

// The outcomes of a failed send.
const (
	// Temporary: nothing was delivered; try again later.
	Temporary Outcome = iota
	// Permanent: nothing was delivered and retrying will not help.
	Permanent
	// Unknown: the request may have been delivered (a timeout or a server
	// error after the request was sent).
	Unknown
	// Duplicate: the remote side refused it as already delivered.
	Duplicate
	// Bounced: the address does not exist; suppress the subscriber.
	Bounced
	// AuthFailed: the credentials were refused; the channel needs new ones.
	AuthFailed
)

func (o Outcome) String() string {
	switch o {
	case Temporary:
		return "temporary"
	case Permanent:
		return "permanent"
	case Unknown:
		return "unknown"
	case Duplicate:
		return "duplicate"
	case Bounced:
		return "bounced"
	case AuthFailed:
		return "auth_failed"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// SendError is returned by channel adapters when a delivery did not succeed.
type SendError struct {
	Outcome Outcome
	Code    int    // the remote status: HTTP status or SMTP reply code; 0 if none
	Message string // the remote side's reason, or what went wrong
	Err     error  // the underlying error, if any
}

func (e *SendError) Error() string {
	switch {
	case e.Code != 0:
		return fmt.Sprintf("%s failure (%d): %s", e.Outcome, e.Code, e.Message)
	default:
		return fmt.Sprintf("%s failure: %s", e.Outcome, e.Message)
	}
}

func (e *SendError) Unwrap() error { return e.Err }

// OutcomeOf returns the outcome of err: that of a *SendError in its chain,
// Temporary for a *RateLimitError, and Temporary for anything else.
func OutcomeOf(err error) Outcome {
	var se *SendError
	if errors.As(err, &se) {
		return se.Outcome
	}
	return Temporary
}

// RateLimitError says the remote side asked us to wait. It is not a failure:
// the job waits RetryAfter and keeps its retry budget.
type RateLimitError struct {
	RetryAfter time.Duration
	Message    string
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited for %s: %s", e.RetryAfter.Round(time.Second), e.Message)
}
