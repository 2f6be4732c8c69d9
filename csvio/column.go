package csvio

// AdminColumn names column n (1-based) of an administrator file as problems
// name it, e.g. "15 (Name)", so that checks made elsewhere (against the
// database) name columns the same way.
func AdminColumn(n int) string { return adminColumn(n) }
