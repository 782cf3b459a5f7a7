package orders

// SetAfterCreate installs the crash-injection hook that runs between PlacetoPay's answer to
// a create session and the database write that completes the attempt; an error from f
// stands for the process dying there. For tests only.
func SetAfterCreate(c *Checkouts, f func(CreatedSession) error) {
	c.afterCreate = f
}
