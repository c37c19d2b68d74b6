package tui

// newPanes lists the dashboard's panes in tab order for a signed-in
// session. The Admin pane comes last, only for a session whose key the
// server host enrolled for admin use on an admin account; hiding it is a
// courtesy: the store checks the role and the key on every admin action.
func newPanes(c *Common) []Component {
	panes := []Component{newNumbersPane(c), newInbox(c), newHistory(c), newWallet(c), newAccount(c), newSupport(c)}
	if c.Standing.Admin {
		panes = append(panes, newAdmin(c))
	}
	return panes
}
