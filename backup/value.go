package backup

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// appendValue appends v, as scanned from a column of type t, to b in the
// file's form: JSON null, a number, true/false, or a string (text as it is,
// times in RFC 3339 UTC, blobs in base64).
func appendValue(b []byte, t string, v any) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	switch t {
	case typeInt:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(b, x, 10), nil
		case bool: // never, but harmless
			if x {
				return append(b, '1'), nil
			}
			return append(b, '0'), nil
		}
	case typeReal:
		switch x := v.(type) {
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%v cannot be written", x)
			}
			return strconv.AppendFloat(b, x, 'g', -1, 64), nil
		case int64:
			return strconv.AppendInt(b, x, 10), nil
		}
	case typeText:
		switch x := v.(type) {
		case string:
			return appendString(b, x)
		case []byte:
			return appendString(b, string(x))
		}
	case typeBool:
		switch x := v.(type) {
		case bool:
			return strconv.AppendBool(b, x), nil
		case int64:
			return strconv.AppendBool(b, x != 0), nil
		}
	case typeTime:
		switch x := v.(type) {
		case time.Time:
			b = append(b, '"')
			b = x.UTC().AppendFormat(b, time.RFC3339Nano)
			return append(b, '"'), nil
		case string:
			tm, err := parseStoredTime(x)
			if err != nil {
				return nil, err
			}
			return appendValue(b, t, tm)
		}
	case typeBlob:
		var raw []byte
		switch x := v.(type) {
		case []byte:
			raw = x
		case string:
			raw = []byte(x)
		default:
			return nil, fmt.Errorf("a %T is not a blob", v)
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, raw)
		return append(b, '"'), nil
	}
	return nil, fmt.Errorf("a %T cannot be written as %s", v, t)
}

// parseStoredTime reads a time that SQLite handed back as text.
func parseStoredTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}

// appendString appends s as a JSON string. Text that is not UTF-8 cannot be
// written faithfully and is refused rather than altered.
func appendString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("text that is not UTF-8: %q", s)
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"'), nil
}

// decodeValue turns a value read from the file (JSON decoded with numbers
// kept as text) into an argument for a column of type t.
func decodeValue(t string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case typeInt:
		if n, ok := v.(json.Number); ok {
			return strconv.ParseInt(string(n), 10, 64)
		}
	case typeReal:
		if n, ok := v.(json.Number); ok {
			return strconv.ParseFloat(string(n), 64)
		}
	case typeText:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case typeBool:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case typeTime:
		if s, ok := v.(string); ok {
			tm, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, err
			}
			return tm.UTC(), nil
		}
	case typeBlob:
		if s, ok := v.(string); ok {
			return base64.StdEncoding.DecodeString(s)
		}
	}
	return nil, fmt.Errorf("%s is not a value of type %s", strings.TrimSpace(fmt.Sprint(v)), t)
}
