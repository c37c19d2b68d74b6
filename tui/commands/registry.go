package commands

// all lists the top-level commands in the order help shows them (the
// built-in help comes last). A new command is one file that defines it and
// one line here; a new admin sub-command is one line in adminCommand,
// which puts it behind the admin gate.
func all() []*Command {
	return []*Command{
		balanceCommand(),
		servicesCommand(),
		countriesCommand(),
		pricesCommand(),
		operatorsCommand(),
		favouriteCommand(),
		reserveCommand(),
		statusCommand(),
		waitCommand(),
		cancelCommand(),
		reportCommand(),
		finishCommand(),
		againCommand(),
		rentCommand(),
		rentalsCommand(),
		extendCommand(),
		historyCommand(),
		topupCommand(),
		ordersCommand(),
		whoamiCommand(),
		keysCommand(),
		apiKeyCommand(),
		webhookCommand(),
		privacyCommand(),
		exportCommand(),
		adminCommand(),
	}
}
