package tui

// newPanes lists the dashboard's panes in tab order for a signed-in
// session.
func newPanes(c *Common) []Component {
	return []Component{newNumbersPane(c), newInbox(c), newHistory(c), newWallet(c), newAccount(c), newSupport(c)}
}
