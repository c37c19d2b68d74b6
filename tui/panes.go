package tui

// newPanes lists the dashboard's panes in tab order for a signed-in
// session.
func newPanes(c *Common) []Component {
	return []Component{newAccount(c), newWallet(c), newSupport(c)}
}
