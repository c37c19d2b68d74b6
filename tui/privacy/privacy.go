// Package privacy holds the privacy policy that ships with the product
// (privacy-policy.txt) and the retention schedule printed after it: the
// text the dashboard's policy screen and the `privacy` command both show.
//
// May import from this repository: store.
package privacy

import (
	_ "embed"
	"strings"

	"github.com/wantsms/wantsms/store"
)

// Policy is our published privacy policy, shown followed by
// RetentionSchedule. Its "Last updated" date is
// store.PrivacyPolicyVersion, the version sign-up records.
//
//go:embed privacy-policy.txt
var Policy string

// RetentionSchedule lists every retention period the service applies,
// from the constants its purge runs on: the policy's §9 names the two
// main ones; this is the whole list.
func RetentionSchedule() string {
	var b strings.Builder
	b.WriteString("Retention periods in detail (with §9, as this service applies them)\n")
	b.WriteString("A purge that runs every hour removes each record once its period is over.\n")
	for _, p := range store.RetentionPeriods() {
		b.WriteString("- " + p.String() + "\n")
	}
	return b.String()
}

// Document is what the policy screen and `privacy` show: the policy, then
// the retention schedule.
func Document() string { return Policy + "\n" + RetentionSchedule() }
