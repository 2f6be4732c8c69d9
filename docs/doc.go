// Package docs holds meibo's documents. It has no code: its test keeps
// CSV.md true to the code, failing when a column of a CSV format or a
// message that a file or an import can produce is not described there.
package docs
