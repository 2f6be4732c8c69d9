package console

// jobChangesData is the list of what a job changed.
type jobChangesData struct{}

func (c *Console) importChanges(q *req, d *importJobData) error { return nil }
