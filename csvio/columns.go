package csvio

import "strings"

// namedColumns maps the header of a header-driven file (users, devices) to
// fields: the columns may come in any order; a name that differs only in
// case or width ("Email", "ＥＭＡＩＬ") is taken with a warning that gives
// the expected spelling, and spaces around a name are dropped with a
// warning. Blank, unknown and repeated names refuse the file.
type namedColumns struct {
	idx   []int    // field of each known column, -1 when absent
	names []string // column name per field
}

func (n *namedColumns) width() int { return len(n.names) }

func (n *namedColumns) column(i int) string {
	if i < len(n.names) {
		return n.names[i]
	}
	return colNumber(i)
}

// read takes the header fields against the known column names.
func (n *namedColumns) read(r *Reader, h *headerErrors, known []string, fields []string) {
	n.idx = make([]int, len(known))
	for j := range n.idx {
		n.idx[j] = -1
	}
	n.names = make([]string, len(fields))
	for i, raw := range fields {
		name := strings.TrimSpace(raw)
		if name == "" {
			n.names[i] = colNumber(i)
			h.add(colNumber(i), "csv.header.blank", i+1)
			continue
		}
		j := indexOf(known, name)
		if j < 0 {
			j = foldIndex(known, name)
		}
		if j < 0 {
			n.names[i] = name
			h.add(name, "csv.header.unknown", name, strings.Join(known, ", "))
			continue
		}
		col := known[j]
		n.names[i] = col
		if n.idx[j] >= 0 {
			h.add(col, "csv.header.duplicate", col, n.idx[j]+1, i+1)
			continue
		}
		n.idx[j] = i
		switch {
		case name != col:
			r.headerWarn(col, "csv.header.case", raw, col)
		case name != raw:
			r.headerWarn(col, "csv.header.spaces", raw)
		}
	}
}
