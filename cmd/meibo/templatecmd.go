package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/meibo/meibo/csvio"
)

// writeTemplate writes the template of format (its header and one example
// row, see csvio.WriteTemplate) to out, or to standard output when out is
// blank. It needs no database.
func writeTemplate(env *cliEnv, format string, enc csvio.Encoding, bom bool, out string) error {
	if !slices.Contains(csvio.TemplateFormats, format) {
		return usagef("--template needs --format %s", strings.Join(csvio.TemplateFormats, ", "))
	}
	if enc == "" {
		enc = csvio.UTF8
	}
	var b bytes.Buffer
	if err := csvio.WriteTemplate(&b, format, enc, bom); err != nil {
		return err
	}
	if out == "" {
		_, err := env.stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "wrote the %s template to %s\n", format, out)
	return nil
}
