package meibo

import (
	"errors"
	"sort"
	"strings"
)

// Code classifies an application error. Each code has one HTTP status (see the
// api package); any error that is not an *Error is internal.
type Code string

// The error codes of meibo.
const (
	CodeInvalid         Code = "invalid"          // a value breaks a rule; see Fields
	CodeBadRequest      Code = "bad_request"      // the request itself could not be read
	CodeUnauthorized    Code = "unauthorized"     // no or bad credentials
	CodeForbidden       Code = "forbidden"        // authenticated, but lacking authority
	CodeNotFound        Code = "not_found"        // no such object (or not visible to the actor)
	CodeConflict        Code = "conflict"         // unique name taken, object in use
	CodeTooLarge        Code = "too_large"        // upload over the size limit
	CodeLicenceExceeded Code = "licence_exceeded" // the change would pass the licence limit
	CodeRateLimited     Code = "rate_limited"     // too many attempts; try again later
	CodeInternal        Code = "internal"         // anything else: logged, never shown
)

// Error is the one application error type. Msg is for a person; Fields holds
// a message per field (form field or JSON field name) where the error is about
// particular values.
type Error struct {
	Code   Code
	Msg    Msg
	Fields map[string]Msg
}

// Error renders the message in English, with the field messages.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Msg.String()
	}
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(e.Msg.String())
	for _, n := range names {
		b.WriteString(" ")
		b.WriteString(n)
		b.WriteString(": ")
		b.WriteString(e.Fields[n].String())
	}
	return b.String()
}

// Errorf returns an error with code and a catalogue message.
func Errorf(code Code, key string, args ...any) *Error {
	return &Error{Code: code, Msg: M(key, args...)}
}

// FieldError returns an invalid-value error about one field; its message is
// the field's message.
func FieldError(field, key string, args ...any) *Error {
	m := M(key, args...)
	return &Error{Code: CodeInvalid, Msg: m, Fields: map[string]Msg{field: m}}
}

// ConflictField returns a conflict error about one field, such as a unique
// name that is taken; its message is the field's message, so that a form can
// show it next to the field.
func ConflictField(field, key string, args ...any) *Error {
	m := M(key, args...)
	return &Error{Code: CodeConflict, Msg: m, Fields: map[string]Msg{field: m}}
}

// NotFound returns a not-found error with a catalogue message.
func NotFound(key string, args ...any) *Error { return Errorf(CodeNotFound, key, args...) }

// Conflict returns a conflict error with a catalogue message.
func Conflict(key string, args ...any) *Error { return Errorf(CodeConflict, key, args...) }

// Forbidden returns a forbidden error with a catalogue message.
func Forbidden(key string, args ...any) *Error { return Errorf(CodeForbidden, key, args...) }

// ErrorCode returns the code of err, or CodeInternal when err is not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as an *Error, or an internal error (whose message never
// shows the cause) when it is not one.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Msg: M("internal")}
}

// Validation collects field errors and turns them into one *Error.
type Validation struct {
	fields map[string]Msg
	first  Msg
}

// Add records a message for field; the first message per field wins.
func (v *Validation) Add(field, key string, args ...any) {
	if v.fields == nil {
		v.fields = map[string]Msg{}
	}
	if _, ok := v.fields[field]; ok {
		return
	}
	m := M(key, args...)
	if len(v.fields) == 0 {
		v.first = m
	}
	v.fields[field] = m
}

// AddError records err under field when err is an invalid-value *Error (each
// of its fields, or its message); other errors are returned for the caller to
// pass on.
func (v *Validation) AddError(field string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalid {
		return err
	}
	if len(e.Fields) == 0 {
		v.Add(field, e.Msg.Key, e.Msg.Args...)
		return nil
	}
	for f, m := range e.Fields {
		name := f
		if field != "" && f != field {
			name = field + "." + f
		}
		if f == field {
			name = f
		}
		v.Add(name, m.Key, m.Args...)
	}
	return nil
}

// Err returns nil when nothing was added, else an invalid-value error holding
// every field. With one field, its message is the error's message.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := M("invalid")
	if len(v.fields) == 1 {
		msg = v.first
	}
	return &Error{Code: CodeInvalid, Msg: msg, Fields: v.fields}
}
