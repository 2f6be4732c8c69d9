package console

// logRoutes registers the routes of this area of the console.
func (c *Console) logRoutes(a func(string, handler)) {}
