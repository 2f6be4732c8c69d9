package service

import (
	"strings"

	"github.com/meibo/meibo"
)

// maxExportRefusals is how many of an export's refused values are named.
const maxExportRefusals = 20

// exportRefusals gathers the values an export cannot write (a character
// Shift_JIS lacks, a line break), so that the export names them all at
// once rather than one per try. A refused record is written not at all;
// the export fails at its end.
type exportRefusals struct {
	msgs  msgList
	count int
	first error
}

// writeOrGather wraps a writer's Write: a refusal of a value is gathered, any other
// error returned.
func writeOrGather[T any](r *exportRefusals, write func(T) error) func(T) error {
	return func(v T) error {
		err := write(v)
		if err == nil {
			return nil
		}
		if e := meibo.AsError(err); e != nil && e.Code == meibo.CodeInvalid && strings.HasPrefix(e.Msg.Key, "csv.encode.") {
			r.count++
			if r.first == nil {
				r.first = err
			}
			if len(r.msgs) < maxExportRefusals {
				r.msgs = append(r.msgs, e.Msg)
			}
			return nil
		}
		return err
	}
}

// err is the export's refusal: the one value's own, or every value's.
func (r *exportRefusals) err() error {
	switch {
	case r.count == 0:
		return nil
	case r.count == 1:
		return r.first
	case r.count > len(r.msgs):
		return meibo.Errorf(meibo.CodeInvalid, "export.refused.more", r.count, len(r.msgs), r.msgs)
	}
	return meibo.Errorf(meibo.CodeInvalid, "export.refused", r.count, r.msgs)
}

// msgList renders messages one per line, in the language asked for.
type msgList []meibo.Msg

func (l msgList) In(lang meibo.Lang) string {
	parts := make([]string, len(l))
	for i, m := range l {
		parts[i] = m.In(lang)
	}
	return strings.Join(parts, "\n")
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"export.refused": {"%d values cannot be written as the file asks:\n%s",
			"%d 件の値をこのファイルに書き出せません。\n%s"},
		"export.refused.more": {"%d values cannot be written as the file asks; the first %d:\n%s",
			"%d 件の値をこのファイルに書き出せません。最初の %d 件:\n%s"},
	})
}
