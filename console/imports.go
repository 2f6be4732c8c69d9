package console

// importRoutes registers the routes of this area of the console.
func (c *Console) importRoutes(a func(string, handler)) {}
