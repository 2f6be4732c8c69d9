package csvio

// isFormulaStart reports whether a spreadsheet would run a cell that starts
// with c as a formula (or, for TAB and CR, shift or hide its content).
func isFormulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// quoteRun returns how many apostrophes s starts with.
func quoteRun(s string) int {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	return i
}

// Neutralise returns s as it must be written to a file: a value that starts
// with =, +, -, @, TAB or CR, or with one or more apostrophes followed by one
// of those, gets one more apostrophe in front. Any other value is returned as
// it is. Restore(Neutralise(s)) == s for every s.
func Neutralise(s string) string {
	i := quoteRun(s)
	if i < len(s) && isFormulaStart(s[i]) {
		return "'" + s
	}
	return s
}

// Restore undoes Neutralise on a value read from a file: a value that starts
// with an apostrophe, then zero or more apostrophes, then =, +, -, @, TAB or
// CR, loses exactly its first apostrophe. Any other value is returned as it
// is (an apostrophe before ordinary text is kept).
func Restore(s string) string {
	i := quoteRun(s)
	if i > 0 && i < len(s) && isFormulaStart(s[i]) {
		return s[1:]
	}
	return s
}
