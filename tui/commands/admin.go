package commands

// adminCommand is the parent of every admin command. The gate is here,
// once: AdminOnly on the parent makes the handler check, for every
// sub-command listed below and any added later, that the account resolved
// from this session's key holds the admin role (and is not banned), and
// that the server host enrolled that key for admin use. The
// store checks it again inside each action's transaction and writes the
// audit row there.
func adminCommand() *Command {
	return &Command{
		Name:      "admin",
		Summary:   "administration",
		AdminOnly: true,
		Subs: []*Command{
			adminUsersCommand(),
			adminCreditCommand(),
			adminBanCommand(true),
			adminBanCommand(false),
			adminDeleteCommand(),
		},
	}
}
