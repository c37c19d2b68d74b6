package tui

// newPanes lists the dashboard's panes in tab order for a signed-in
// session. The Admin pane comes last, only for an admin account resolved
// from its linked key at the start of the session; hiding it is a
// courtesy: the store checks the role and the key on every admin action.
func newPanes(c *Common) []Component {
	panes := []Component{newNumbersPane(c), newInbox(c), newHistory(c), newWallet(c), newAccount(c), newSupport(c)}
	if c.ViaKey && c.User.IsAdmin() && !c.User.Banned() {
		panes = append(panes, newAdmin(c))
	}
	return panes
}
