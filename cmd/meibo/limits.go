package main

import "github.com/meibo/meibo/service"

// importLimits are the bounds of import jobs (see service/import_limits.go),
// as `meibo serve` and `meibo import` take them.
type importLimits struct {
	rows, messages, perGroup, perAdmin int
}

// importLimitFlags adds the flags of the import limits. defRows is the row
// limit when none is given: a million for files uploaded to the server,
// none for the command line.
func importLimitFlags(fs *flagSet, l *importLimits, defRows int) {
	fs.IntVar(&l.rows, "import-max-rows", defRows, "most data rows of an import file (0: no limit)")
	fs.IntVar(&l.messages, "import-max-messages", service.DefaultImportMaxMessages, "errors and warnings kept per import job (the counts stay true)")
	fs.IntVar(&l.perGroup, "import-max-per-group", service.DefaultImportMaxActive, "imports waiting or running at once per group (-1: no limit)")
	fs.IntVar(&l.perAdmin, "import-max-per-admin", service.DefaultImportMaxActive, "imports waiting or running at once per administrator (-1: no limit)")
}

// check refuses limits that would not bound anything by mistake.
func (l *importLimits) check() error {
	switch {
	case l.rows < 0:
		return usagef("--import-max-rows must be 0 (no limit) or more")
	case l.messages < 1:
		return usagef("--import-max-messages must be 1 or more")
	case l.perGroup == 0 || l.perGroup < -1:
		return usagef("--import-max-per-group must be 1 or more, or -1 (no limit)")
	case l.perAdmin == 0 || l.perAdmin < -1:
		return usagef("--import-max-per-admin must be 1 or more, or -1 (no limit)")
	}
	return nil
}

// apply sets the limits in cfg; a zero importLimits leaves the service's
// defaults.
func (l *importLimits) apply(cfg *service.Config) error {
	cfg.ImportMaxRows, cfg.ImportMaxMessages = l.rows, l.messages
	cfg.ImportMaxPerGroup, cfg.ImportMaxPerAdmin = l.perGroup, l.perAdmin
	return nil
}
