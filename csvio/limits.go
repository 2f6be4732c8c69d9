package csvio

import (
	"errors"

	"github.com/meibo/meibo"
)

// The bounds of what one record may hold. encoding/csv keeps a whole record
// in memory, so the bytes of a record are counted below it (in tail) and a
// record that grows past its bound refuses the file before it is held whole:
// a file of a single 100 MB line, or of a header with a million columns,
// costs no more memory than a record at its bound.
const (
	// MaxColumns is the most columns a header may have, whatever its
	// format; a format allows its own columns plus columnMargin, up to this.
	MaxColumns = 64
	// columnMargin is how many columns beyond its own a format's header may
	// have (so that an extra or misspelt column still gets its own message).
	columnMargin = 8
	// MaxCellBytes is the most bytes (of UTF-8 text) one value may hold.
	MaxCellBytes = 4 << 10
	// headerCellBytes bounds each column of a header (names and titles are
	// short) in the bound of the header's bytes.
	headerCellBytes = 1 << 10
)

// ownColumns is how many columns a format has.
func ownColumns(format string) int {
	switch format {
	case meibo.FormatPersonal:
		return len(personalColumns)
	case meibo.FormatUsers:
		return len(userColumns)
	case meibo.FormatDevices:
		return len(deviceColumns)
	case meibo.FormatAdmins:
		return AdminColumns
	}
	return MaxColumns
}

// maxColumns is how many columns a header of format may have.
func maxColumns(format string) int { return min(MaxColumns, ownColumns(format)+columnMargin) }

// headerBytes bounds the bytes of a header (or title line) of format.
func headerBytes(format string) int64 { return int64(maxColumns(format)) * headerCellBytes }

// recordBytes bounds the bytes of a data row of format: every column at the
// cell limit, each cell quoted with every character a doubled quote, and a
// margin for line breaks, rounded up to KiB.
func recordBytes(format string) int64 {
	n := int64(maxColumns(format))*(2*MaxCellBytes+3) + 1024
	return (n + 1023) &^ 1023
}

// errRecordTooLong is what tail answers the CSV parser when a record has
// grown past its bound; Reader turns it into a refusal of the file.
var errRecordTooLong = errors.New("csvio: record over its bound")

// tooWide refuses a header with too many columns or bytes.
func (r *Reader) tooWide() *meibo.Error {
	return meibo.Errorf(meibo.CodeInvalid, "csv.header.too_wide", maxColumns(r.format), formatSize(headerBytes(r.format)),
		r.format, ownColumns(r.format))
}

// tooLong refuses a file with a data row past its bound.
func (r *Reader) tooLong() *meibo.Error {
	return meibo.Errorf(meibo.CodeInvalid, "csv.row.too_long", r.row+1, formatSize(recordBytes(r.format)),
		maxColumns(r.format), formatSize(MaxCellBytes))
}

// longCells reports each value of the record over MaxCellBytes (but one
// already reported for its bad bytes); the record is then not read further.
func (r *Reader) longCells(rec *Record, fields []string) bool {
	long := false
	for i, f := range fields {
		if len(f) > MaxCellBytes {
			if r.isBad(i) {
				long = true
				continue
			}
			long = true
			rec.problem(r.f.column(i), "csv.cell.too_long", formatSize(int64(len(f))), formatSize(MaxCellBytes))
		}
	}
	return long
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"csv.header.too_wide": {"The header (row 1) is over the limit of %d columns or %s: a %s file has %d columns. Check that this is the right file and format, and upload it again.",
			"見出し行(1行目)が上限(%d列または%s)を超えています。%s 形式のファイルは%d列です。ファイルと形式が正しいか確認して、もう一度アップロードしてください。"},
		"csv.row.too_long": {"Row %d is longer than the limit of %s (at most %d columns of %s each); the file was not read further. Check the file (look for a quote that is never closed) and upload it again.",
			"%d行目が上限の%s(最大%d列、各%s)を超えているため、ファイルをそれ以上読み込みませんでした。ファイルを確認して(閉じられていないダブルクォートがないか等)、もう一度アップロードしてください。"},
		"csv.cell.too_long": {"The value is %s long, over the limit of %s per value; shorten it.",
			"値の長さが%sで、1つの値の上限%sを超えています。短くしてください。"},
	})
}
