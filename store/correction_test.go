package store

import (
	"context"
	"strings"
	"testing"
)

// Correction (privacy policy §10): changing the password is recorded, with
// where it came from, like a change of email (TestChangeEmail); sign-up
// records that the policy was accepted and the age confirmed.
func TestPasswordChangeAndSignupAreRecorded(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "fix@example.com")
	if _, err := s.ChangePassword(ctx, u.ID, "correct horse", "a better secret", origin); err != nil {
		t.Fatal(err)
	}
	evs, err := s.SecurityEvents(ctx, u.ID, 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("events %+v %v", evs, err)
	}
	if evs[0].Kind != SecurityPasswordChanged || evs[0].RemoteAddr != origin.RemoteAddr ||
		evs[0].ClientVersion != origin.ClientVersion {
		t.Fatalf("password change recorded as %+v", evs[0])
	}
	if evs[1].Kind != SecuritySignup || !strings.Contains(evs[1].Detail, "accepted the privacy policy") ||
		!strings.Contains(evs[1].Detail, "13 or older") {
		t.Fatalf("sign-up recorded as %+v", evs[1])
	}
}
