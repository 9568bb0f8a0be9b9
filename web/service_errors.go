package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/state"
)

// errorKind is what kind of refusal a service error is; the API answers
// each with its status (statusOf), the pages show the same status.
type errorKind int

const (
	kindInternal   errorKind = iota // 500: something broke (logged)
	kindNotFound                    // 404: no such device, group, override; the journal is off
	kindConflict                    // 409: hearth.yaml wins, or the name is taken
	kindInvalid                     // 422: a field is wrong (fields say which)
	kindUpstream                    // 502: a list source failed
	kindBadRequest                  // 400: the body is not what was asked for
	kindForbidden                   // 403: turned off (web.edit_config: false)
)

// serviceError is a refusal from the service layer: its kind, the message
// (as the API's "error" says it) and, for kindInvalid, what is wrong with
// each field.
type serviceError struct {
	kind   errorKind
	msg    string
	fields map[string]string
	err    error // what it wraps, if anything
}

func (e *serviceError) Error() string { return e.msg }
func (e *serviceError) Unwrap() error { return e.err }

func notFound(format string, args ...any) error {
	return &serviceError{kind: kindNotFound, msg: fmt.Sprintf(format, args...)}
}

// invalid is a problem with one field: msg is the whole message, fieldMsg
// what the field's entry says.
func invalid(field, msg, fieldMsg string) error {
	return &serviceError{kind: kindInvalid, msg: msg, fields: map[string]string{field: fieldMsg}}
}

// failed wraps err with a message and a kind.
func failed(kind errorKind, err error, format string, args ...any) error {
	return &serviceError{kind: kind, msg: fmt.Sprintf(format, args...), err: err}
}

// cause is what a service error wraps (the audit trail records it), or err.
func cause(err error) error {
	if se, ok := err.(*serviceError); ok && se.err != nil {
		return se.err
	}
	return err
}

// classify gives any error from the service, the policy or a form its kind
// and fields: policy's sentinels and *fielderr.Error become not found,
// conflict or invalid; anything else is internal.
func classify(err error) *serviceError {
	var se *serviceError
	if errors.As(err, &se) {
		return se
	}
	e := &serviceError{kind: kindInternal, msg: err.Error(), err: err}
	var fe *fielderr.Error
	switch {
	case errors.Is(err, state.ErrNotFound), errors.Is(err, state.ErrNoOverride), errors.Is(err, state.ErrNoAssignment):
		e.kind = kindNotFound
	case errors.Is(err, policy.ErrConfigured), errors.Is(err, policy.ErrNameTaken):
		e.kind = kindConflict
	case errors.Is(err, policy.ErrUnknownGroup):
		e.kind, e.fields = kindInvalid, map[string]string{"group": err.Error()}
	case errors.As(err, &fe):
		e.kind, e.fields = kindInvalid, map[string]string{}
		for _, x := range unjoin(err) {
			if errors.As(x, &fe) {
				e.fields[fe.Key] = fe.Msg
			}
		}
	}
	return e
}

// statusOf is the HTTP status for an error's kind.
func statusOf(err error) int {
	switch classify(err).kind {
	case kindNotFound:
		return http.StatusNotFound
	case kindConflict:
		return http.StatusConflict
	case kindInvalid:
		return http.StatusUnprocessableEntity
	case kindUpstream:
		return http.StatusBadGateway
	case kindBadRequest:
		return http.StatusBadRequest
	case kindForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// unjoin returns the errors joined in err, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
