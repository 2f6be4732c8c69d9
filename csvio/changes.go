package csvio

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/meibo/meibo"
)

// WriteChanges writes what an import job changed as CSV, UTF-8 with a BOM
// (for spreadsheets): row, kind, action, name, changes. Values a
// spreadsheet would run as formulas are neutralised.
func WriteChanges(w io.Writer, changes []meibo.ImportChange) error {
	out, err := newOutput(w, UTF8, true)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(out)
	cw.UseCRLF = true
	if err := cw.Write([]string{"row", "kind", "action", "name", "changes"}); err != nil {
		return writeError(err)
	}
	for _, c := range changes {
		if err := cw.Write([]string{strconv.Itoa(c.Row), c.Kind, c.Action, Neutralise(c.Name), Neutralise(c.Changes)}); err != nil {
			return writeError(err)
		}
	}
	cw.Flush()
	return writeError(cw.Error())
}
