package cells

// Reported returns the reason of the fault reported at the cell as the controller holds it, ""
// when none: for the tests of package cells_test.
func (c *Cell) Reported() string { return c.reportedFault() }
