package console

// groupRoutes registers the routes of this area of the console.
func (c *Console) groupRoutes(a func(string, handler)) {}
