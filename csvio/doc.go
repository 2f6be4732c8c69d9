// Package csvio reads and writes meibo's CSV files: the personal, users,
// administrator and devices formats that docs/CSV.md describes column by
// column, with every message. It turns a file into typed records,
// each with the problems the file alone shows (file-level refusals, CSV
// syntax, bad bytes, values that break a rule of the domain), and domain
// objects back into files.
//
// csvio knows no database and no HTTP: checks that need stored data (an
// unknown user or profile, a name that exists already, password policy) are
// the service's. It imports only the standard library, golang.org/x/text and
// the domain package github.com/meibo/meibo. The services and commands that
// import and export files use it; storage and the web adapters need not.
//
// # Reading
//
// NewReader streams one file: the bytes go through a transform.Reader that
// decodes them, then encoding/csv (RFC 4180: quoted values with commas,
// quotes and line breaks, CRLF or LF), then the format. Only the current
// record is held, plus the names or IDs seen so far to find duplicates.
//
// Encodings: UTF8, CP932 or Auto. A UTF-8 byte order mark is dropped in
// every mode (with a warning in CP932 mode). Auto reads a file with a BOM,
// or one that is valid UTF-8 throughout, as UTF-8 and anything else as
// CP932; when the reader cannot seek, it decides from the text after the
// first non-ASCII byte. CP932 is golang.org/x/text's Shift_JIS, which is
// Windows-31J with the NEC and IBM extensions. Bytes that are not valid in
// the encoding never reach a record silently: each cell that holds some
// gets an error naming its row, column and the bytes with their offset in
// the file (counted from 0, as a hex editor shows them). In CP932 a lone
// 0x80 is such a byte; in UTF-8 so is a U+FFFD found as such, which means
// the text was damaged before it was saved.
//
// A file is refused as a whole, with one *meibo.Error, when it is empty
// (also only a BOM or white space), a ZIP or .xlsx, an old .xls, UTF-16,
// binary (a NUL byte), over the size limit (meibo.CodeTooLarge), when it
// is separated by tabs or semicolons or has CR-only line breaks, when its
// header is not in row 1, or when the header itself is wrong: unknown,
// missing, blank or duplicate columns (one message per column; see
// Problems).
//
// Records are bounded (limits.go) before encoding/csv holds them: a header
// over its format's columns plus a margin (at most MaxColumns) or over
// 1 KiB a column, and a data row over its bound (every column at
// MaxCellBytes, quoted), refuse the file with one message naming the limit;
// a value over MaxCellBytes within that bound is an error of its row.
//
// Rows are numbered as a spreadsheet shows them: the header is row 1, a
// value with line breaks is still one row, and an empty line, which
// encoding/csv skips, still counts as a row. A data row that is blank (every
// value empty or white space) is skipped with a warning. A row with a CSV
// syntax error (a bare quote, text after a closing quote, a quote never
// closed) or the wrong number of values gets an error and no typed record;
// reading goes on with the next line, so every such row is reported (after
// an unclosed quote nothing is left to read).
//
// Headers: personal files need exactly UserName, Password and Passcode
// (case-sensitive, any order); spaces around an item are dropped with a
// warning. Users files need name, password and email and may have admin,
// apiAccess, disabled and profile, in any order; a name that differs in case
// or width only ("Email") is taken with a warning that gives the expected
// spelling, and spaces around it are dropped with a warning. Values are
// never trimmed. Administrator files have 44 positional columns after a
// title line whose text is not checked (it must have 44 columns and must not
// look like a data row); a single half-width space is a blank value.
// Devices files have the columns name, serial and user in any order (read as
// users files' are): user is required, and serial or name; a row whose
// serial and name are both blank is an error (see DeviceRecord for how a
// row finds its device).
//
// In problems, columns are named by their header name (as expected, not as
// typed) in personal and users files, by number and title in administrator
// files ("15 (Name)"), and by position ("#3") where there is no usable name.
//
// Each file's duplicates are errors on the second occurrence, naming the
// row of the first: user names (case-sensitive) in users and personal files,
// user IDs in administrator files, serial numbers in devices files, and the
// names of devices files' rows that find their device by name. A row flagged
// D (delete) is checked only for its user ID.
//
// # Formula neutralisation
//
// A spreadsheet runs a cell that starts with =, +, -, @, TAB or CR as a
// formula. Every writer writes such a value with an apostrophe in front
// (Neutralise), and so also a value that starts with apostrophes followed
// by one of those characters; every reader removes exactly one leading
// apostrophe from a value that starts with one or more apostrophes followed
// by one of those characters (Restore), in every column of every format,
// passwords included. So export → import gives back every value as it was,
// and a value such as "'=1" typed in a file reads as "=1".
//
// # Writing
//
// UsersWriter writes users.csv (encoding/csv, CRLF), AdminsWriter the
// 44-column administrator file (every field quoted, CRLF, a line break at
// the end), DevicesWriter devices.csv (name,serial,user; CRLF),
// ErrorsWriter an import job's problems (UTF-8 with BOM), WriteTemplate a
// format's header and one example row that imports as it is. Files
// are written in UTF-8 (optionally with a BOM) or CP932. A value that the
// file cannot hold as it is makes Write fail with a *meibo.Error naming the
// record, the field and the character; nothing is ever replaced.
//
// CP932 is written from a table built from golang.org/x/text's encoder.
// Its IBM extension characters are written as Windows writes them
// (0xFA40–0xFC4B, not x/text's NEC-selected duplicates 0xED40–0xEEFC). A
// value that CP932 cannot hold is first brought to Unicode NFC (macOS keeps
// some text decomposed: カ + U+3099 is ガ). These characters, which CP932
// lacks, are written as the CP932 character that looks the same:
//
//	JIS X 0208 as JIS-based Shift_JIS (macOS, Java "SJIS", EUC-JP) maps it:
//	U+2014 — → U+2015 ― (0x815C)     U+00A2 ¢ → U+FFE0 ￠ (0x8191)
//	U+2016 ‖ → U+2225 ∥ (0x8161)     U+00A3 £ → U+FFE1 ￡ (0x8192)
//	U+2212 − → U+FF0D － (0x817C)     U+00AC ¬ → U+FFE2 ￢ (0x81CA)
//	U+301C 〜 → U+FF5E ～ (0x8160)
//	JIS X 0201 Roman:
//	U+00A5 ¥ → U+FFE5 ￥ (0x818F)     U+203E ‾ → U+FFE3 ￣ (0x8150)
//	narrow forms of full-width CP932 characters (width.Widen):
//	U+00A6 ¦ → U+FFE4 ￤ (0xFA55)     U+FFEA ￪ → U+2191 ↑ (0x81AA)
//	U+00AF ¯ → U+FFE3 ￣ (0x8150)     U+FFEB ￫ → U+2192 → (0x81A8)
//	U+FFE8 ￨ → U+2502 │ (0x849F)     U+FFEC ￬ → U+2193 ↓ (0x81AB)
//	U+FFE9 ￩ → U+2190 ← (0x81A9)     U+FFED ￭ → U+25A0 ■ (0x81A1)
//	                                U+FFEE ￮ → U+25CB ○ (0x819B)
//
// Reading such a file back gives the CP932 characters; CP932ReadBack and
// CP932Spellings let an import match them with the stored values they
// stand for (Record.CP932 marks the records they apply to). Every other
// character outside CP932 (emoji, ©, ™, a no-break space, …) is an error;
// in particular ¥ is not written as 0x5C, which reads back as a backslash.
package csvio
