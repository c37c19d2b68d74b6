package privacy

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/store"
)

// policyDigests is the SHA-256 of what the policy screen and `privacy`
// show (Document), for each version sign-up may record. A new text
// under an old "Last updated" date would let sign-up record a version
// that does not say what the person accepted.
var policyDigests = map[string]string{
	"2026-12-07": "683421e2c8baf29b7de67c67ef233907db448f672ab279cf686b7f635291630f",
}

// The policy shown carries the version sign-up records, and its text
// changes only with a new version.
func TestPolicyTextChangesOnlyWithItsVersion(t *testing.T) {
	if !strings.Contains(Policy, "\nLast updated: "+store.PrivacyPolicyVersion+"\n") {
		t.Fatalf("the policy's \"Last updated\" is not %s (store.PrivacyPolicyVersion)", store.PrivacyPolicyVersion)
	}
	got := fmt.Sprintf("%x", sha256.Sum256([]byte(Document())))
	if want := policyDigests[store.PrivacyPolicyVersion]; got != want {
		t.Fatalf("the privacy policy or a retention period changed (digest %s) but its version is still %s:\n"+
			"give it a new \"Last updated\" date (the text and store.PrivacyPolicyVersion) and add the digest here",
			got, store.PrivacyPolicyVersion)
	}
}
