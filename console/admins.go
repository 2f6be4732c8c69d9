package console

// adminRoutes registers the routes of this area of the console.
func (c *Console) adminRoutes(a func(string, handler)) {}
