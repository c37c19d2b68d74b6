package commands

import (
	"io"

	"github.com/wantsms/wantsms/tui/privacy"
)

type privacyResult struct {
	Policy string `json:"policy"`
}

func (r privacyResult) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, r.Policy)
	return err
}

// privacyCommand prints the privacy policy that ships with the product and
// the retention periods the service applies; anybody may read them, with
// or without an account.
func privacyCommand() *Command {
	return &Command{
		Name:    "privacy",
		Summary: "print our privacy policy and retention periods (no account needed)",
		Public:  true,
		Example: privacyResult{Policy: "Privacy Policy — WantSMS\n…"},
		Run: func(c *Call) error {
			return c.Print(privacyResult{Policy: privacy.Document()})
		},
	}
}
