package console

// deviceRoutes registers the routes of this area of the console.
func (c *Console) deviceRoutes(a func(string, handler)) {}
