package account

import (
	"errors"
	"fmt"
)

// Code classifies a domain error. internal/httpapi maps each code to an HTTP
// status and a Vonage error body in one table; nothing else in the server
// decides a status.
type Code string

// The codes the domain can return.
const (
	EINVALID        Code = "invalid"            // bad input; Field names what is wrong
	EUNAUTHORIZED   Code = "unauthorized"       // missing or wrong credentials
	ENOTFOUND       Code = "not_found"          // an account key that is unknown or not the caller's to see
	ESECRETNOTFOUND Code = "secret_not_found"   // a secret id that is unknown for that key
	ESECRETLIMIT    Code = "secret_limit"       // the account already holds the maximum number of secrets
	ELASTSECRET     Code = "last_secret"        // revoking would leave the account without a secret
	EAUTORELOADOFF  Code = "auto_reload_off"    // top-up on an account without auto-reload
	ECONFLICT       Code = "conflict"           // the thing already exists, or an idempotency key was reused
	EFUNDS          Code = "insufficient_funds" // a charge larger than what the account holds
	ERATELIMIT      Code = "rate_limited"       // too many calls or too many failed attempts
	EINTERNAL       Code = "internal"           // anything unexpected; details go to the log only
	ENOTSUPPORTED   Code = "not_supported"      // this store cannot do it (an online backup of PostgreSQL)
)

// The real service's words for the secret-management errors (contract
// section 3). SDKs show a problem's detail to their users, so these are
// kept to the letter.
const (
	// MsgBadCredentials is the detail of every 401 on E4–E7.
	MsgBadCredentials = "You did not provide correct credentials."
	// MsgValidation is the detail of a 400 validation problem; the field
	// and the specific reason go in its invalid_parameters.
	MsgValidation = "The request failed due to validation errors"
	// MsgLastSecret is the message of ELASTSECRET.
	MsgLastSecret = "Can not delete the last secret. The account must always have at least 1 secret active at any time"
)

// MsgSecretLimit is the message of ESECRETLIMIT.
var MsgSecretLimit = fmt.Sprintf("Account reached maximum number [%d] of allowed secrets", MaxSecrets)

// Error is the one error type of the domain. Message is safe to show to the
// caller: it never contains a secret.
type Error struct {
	Code    Code
	Field   string // the request field at fault, for EINVALID
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming the field at fault.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is or wraps an *Error, and EINTERNAL
// for any other non-nil error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// AsError returns the *Error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
