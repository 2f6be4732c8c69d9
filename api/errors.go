package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/request"
)

// Status is the HTTP status of each error code.
func Status(code meibo.Code) int {
	switch code {
	case meibo.CodeInvalid:
		return http.StatusUnprocessableEntity
	case meibo.CodeBadRequest:
		return http.StatusBadRequest
	case meibo.CodeUnauthorized:
		return http.StatusUnauthorized
	case meibo.CodeForbidden:
		return http.StatusForbidden
	case meibo.CodeNotFound:
		return http.StatusNotFound
	case meibo.CodeConflict, meibo.CodeLicenceExceeded:
		return http.StatusConflict
	case meibo.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case meibo.CodeRateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    meibo.Code        `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// writeError answers with the error as JSON in the request's language. An
// error that is not a meibo error is logged with the request ID and shown
// only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := meibo.AsError(err)
	if e.Code == meibo.CodeInternal {
		s.log.Error("internal error", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", RequestID(r.Context()))
	}
	lang := Lang(r)
	body := errorBody{Error: errorDetail{Code: e.Code, Message: e.Msg.In(lang)}}
	if len(e.Fields) > 0 {
		body.Error.Fields = map[string]string{}
		for f, m := range e.Fields {
			body.Error.Fields[f] = m.In(lang)
		}
	}
	status := Status(e.Code)
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="meibo"`)
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(e)))
	}
	writeJSON(w, status, body)
}

// importRetryAfter is the Retry-After of a refusal for too many imports (or
// bulk actions) waiting or running: the bound frees when one of them ends,
// which cannot be known beforehand, so it is the time after which asking
// again is worth it (GET /api/v1/imports shows how far they are).
const importRetryAfter = 10

// retryAfter is the number of seconds a rate-limited request should wait:
// the wait a throttled sign-in names (until its counter lets the next
// attempt through), else importRetryAfter.
func retryAfter(e *meibo.Error) int {
	if secs, ok := firstInt(e.Msg.Args); ok && strings.HasPrefix(e.Msg.Key, "login.throttled") {
		return max(secs, 1)
	}
	return importRetryAfter
}

// firstInt returns the first argument of a message when it is an int.
func firstInt(args []any) (int, bool) {
	if len(args) == 0 {
		return 0, false
	}
	n, ok := args[0].(int)
	return n, ok
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // the client went away
}

// maxJSON is the largest JSON body the API reads.
const maxJSON = 1 << 20

// decode reads a JSON body into v, refusing unknown fields and trailing data,
// with a message that says what was wrong.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "multipart/") {
		return meibo.Errorf(meibo.CodeBadRequest, "bad_request", "the body must be JSON, not a form")
	}
	// The server bounds bodies before they get here (--json-max-bytes);
	// this is the bound of the API on its own.
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var me *meibo.Error
		if errors.As(err, &me) {
			return me
		}
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return meibo.Errorf(meibo.CodeTooLarge, "body.too_large", request.FormatBytes(maxJSON), "json-max-bytes")
		}
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return meibo.Errorf(meibo.CodeBadRequest, "bad_request", "the body is empty")
		case errors.Is(err, io.ErrUnexpectedEOF):
			// A truncated value is no *json.SyntaxError for a Decoder.
			return meibo.Errorf(meibo.CodeBadRequest, "bad_request", "malformed JSON: the body ends in the middle of a value")
		case errors.As(err, &syn) && syn.Offset <= 1 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
			// curl -d sends JSON as a form, which is read as JSON; a body
			// that is a form indeed (a=1&b=2) is told so.
			return meibo.Errorf(meibo.CodeBadRequest, "bad_request", "the body must be JSON, not a form (a=1&b=2): send a JSON object with Content-Type: application/json")
		case errors.As(err, &syn):
			return meibo.Errorf(meibo.CodeBadRequest, "bad_request", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
		case errors.As(err, &typ) && typ.Field == "":
			return meibo.Errorf(meibo.CodeBadRequest, "bad_request", fmt.Sprintf("the body must be %s, not %s", jsonKind(typ.Type), typ.Value))
		case errors.As(err, &typ):
			return meibo.Errorf(meibo.CodeBadRequest, "bad_request", fmt.Sprintf("field %q must be %s, not %s", jsonField(typ), jsonKind(typ.Type), typ.Value))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return meibo.Errorf(meibo.CodeBadRequest, "bad_request", strings.TrimPrefix(err.Error(), "json: "))
		default:
			return meibo.Errorf(meibo.CodeBadRequest, "bad_request", err.Error())
		}
	}
	if dec.More() {
		return meibo.Errorf(meibo.CodeBadRequest, "bad_request", "unexpected data after the JSON value")
	}
	return nil
}

// jsonField names the field of a type error by its JSON path ("admin",
// "filter.keyword"): the path the decoder gives holds the names of embedded
// Go types too ("UserUpdate.admin"), which the API's lower-case JSON names
// tell apart.
func jsonField(e *json.UnmarshalTypeError) string {
	var path []string
	for _, p := range strings.Split(e.Field, ".") {
		if r, _ := utf8.DecodeRuneInString(p); !unicode.IsUpper(r) {
			path = append(path, p)
		}
	}
	return strings.Join(path, ".")
}

// jsonKind says what JSON a Go type takes, for a person.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another value"
}

// pathID reads a numeric ID from the path.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, meibo.NotFound("not_found")
	}
	return id, nil
}

// queryBool reads an optional boolean query parameter.
func queryBool(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, meibo.Errorf(meibo.CodeBadRequest, "bad_request", fmt.Sprintf("%s must be true or false", name))
	}
	return &b, nil
}

// queryInt reads an optional integer query parameter.
func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, meibo.Errorf(meibo.CodeBadRequest, "bad_request", fmt.Sprintf("%s must be a whole number, 0 or more", name))
	}
	return n, nil
}
