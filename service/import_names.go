package service

import (
	"context"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// Rows read from a CP932 (Shift_JIS) file name users as an export to CP932
// wrote them: a user named 高橋〜健 (U+301C) reads back as 高橋～健 (U+FF5E),
// since CP932 has one code for both (see csvio.CP932ReadBack). The importers
// look such a name up by every spelling that reads back as it, the name as
// read first, and keep a stored value that reads back as what the row says:
// an export imported again changes nothing.

// usersNamed looks up the users of group that the records' names (name(rec);
// "" for none) stand for, by the name as read (composed: csvio reads names
// as meibo.NormalizeName keeps them). A name with no user of its own stands
// for the one user with another spelling of it: for a record read as CP932,
// one that reads back as it; for any record, the name decomposed, as names
// were stored before they were kept composed. Several such users are an
// error of the row (ambiguous lists them), for a record read as CP932 even
// when one of them has the very name read: an export of either wrote the
// same row. Both maps are keyed by the name as read.
func usersNamed(ctx context.Context, tx meibo.Tx, group string, recs []*csvio.Record, name func(*csvio.Record) string) (
	users map[string]*meibo.User, ambiguous map[string][]string, err error) {
	names := make([]string, 0, len(recs))
	var spellings map[string][]string
	cp932 := map[string]bool{}
	for _, rec := range recs {
		n := name(rec)
		if n == "" {
			continue
		}
		names = append(names, n)
		var sp []string
		if rec.CP932 {
			sp = csvio.CP932Spellings(n)
			cp932[n] = true
		} else if d := norm.NFD.String(n); d != n {
			// A name stored decomposed, before names were kept composed.
			sp = []string{d}
		}
		if len(sp) > 0 {
			if spellings == nil {
				spellings = map[string][]string{}
			}
			spellings[n] = sp
			names = append(names, sp...)
		}
	}
	users, err = tx.UsersByName(ctx, group, names)
	if err != nil {
		return nil, nil, err
	}
	for n, sp := range spellings {
		var hits []string
		if users[n] != nil {
			if !cp932[n] {
				continue
			}
			// A user of the very name read from Shift_JIS, and another
			// whose name reads back as it: the row, as an export of
			// either wrote it, stands for both.
			hits = append(hits, n)
		}
		for _, s := range sp {
			if users[s] != nil {
				hits = append(hits, s)
			}
		}
		if len(hits) == 1 && hits[0] == n {
			continue
		}
		switch {
		case len(hits) == 1:
			users[n] = users[hits[0]]
		case len(hits) > 1:
			if ambiguous == nil {
				ambiguous = map[string][]string{}
			}
			ambiguous[n] = hits
		}
	}
	return users, ambiguous, nil
}

// cp932Ambiguous records, for a row whose name stands for several users,
// why it stands for none of them.
func (r *jobRun) cp932Ambiguous(rec *csvio.Record, col, name string, names []string) {
	r.problemAt(rec, col, meibo.M("import.cp932.ambiguous", name, strings.Join(names, ", ")))
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"import.cp932.ambiguous": {"%[1]q, read from Shift_JIS, stands for several users (%[2]s): Shift_JIS writes their names alike. Give this row in a UTF-8 file, or rename one of them first.",
			"Shift_JISで読んだ「%[1]s」は複数のユーザー(%[2]s)に当たります。Shift_JISではこれらの名前が同じ文字になります。この行はUTF-8のファイルで指定するか、先にどちらかの名前を変更してください。"},
		"import.cp932.ambiguous.profile": {"The profile %[1]q, read from Shift_JIS, stands for several profiles (%[2]s): Shift_JIS writes their names alike. Give this row in a UTF-8 file, or rename one of them first.",
			"Shift_JISで読んだプロファイル「%[1]s」は複数のプロファイル(%[2]s)に当たります。Shift_JISではこれらの名前が同じ文字になります。この行はUTF-8のファイルで指定するか、先にどちらかの名前を変更してください。"},
	})
}
