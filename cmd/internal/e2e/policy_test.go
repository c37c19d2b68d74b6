package e2e

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/privacy"
)

// statedPeriod is a period the policy's own text states ("up to 6
// months"), the constant the purge keeps it with, and how to recognise
// it: by what the text says it is about, earlier on the same line.
type statedPeriod struct {
	about *regexp.Regexp
	keep  time.Duration
}

var statedPeriods = []statedPeriod{
	{regexp.MustCompile(`(?i)reservation details`), store.ReservationDetailRetention},
	{regexp.MustCompile(`(?i)history`), store.HistoryRetention},
	{regexp.MustCompile(`(?i)revoked key`), store.APIKeyRevokedRetention},
}

var upTo = regexp.MustCompile(`up to (\d+) (day|week|month|year)s?\b`)

// shortest is the shortest calendar span of n units: "6 months" is at
// least 181 days whichever day it starts.
func shortest(n int, unit string) time.Duration {
	least := time.Duration(1<<63 - 1)
	for d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2032; d = d.AddDate(0, 0, 1) {
		var end time.Time
		switch unit {
		case "day":
			end = d.AddDate(0, 0, n)
		case "week":
			end = d.AddDate(0, 0, 7*n)
		case "month":
			end = d.AddDate(0, n, 0)
		case "year":
			end = d.AddDate(n, 0, 0)
		}
		least = min(least, end.Sub(d))
	}
	return least
}

// checkPolicy reads a policy as shown (by the command or on a screen) and
// checks it against the code: every period it states is the one the
// purge keeps, in the same words, never longer than the calendar period
// stated; it bears the version sign-up records; and the schedule of every
// retention period the service applies follows it.
func checkPolicy(t *testing.T, where, text string) {
	t.Helper()
	tied := map[time.Duration]int{}
	for _, line := range strings.Split(text, "\n") {
		for _, m := range upTo.FindAllStringSubmatchIndex(line, -1) {
			stated := line[m[0]:m[1]]
			n, _ := strconv.Atoi(line[m[2]:m[3]])
			unit := line[m[4]:m[5]]
			var sp *statedPeriod
			for i := range statedPeriods {
				if statedPeriods[i].about.MatchString(line[:m[0]]) {
					sp = &statedPeriods[i]
					break
				}
			}
			if sp == nil {
				t.Errorf("%s: %q states a period no constant of the code is tied to (%q)", where, line, stated)
				continue
			}
			tied[sp.keep]++
			if want := "up to " + store.FormatPeriod(sp.keep); !strings.HasPrefix(stated, want) {
				t.Errorf("%s: %q says %q, the code keeps it %s", where, line, stated, store.FormatPeriod(sp.keep))
			}
			if sp.keep > shortest(n, unit) {
				t.Errorf("%s: %q: the code keeps it %v, longer than %d %s can be", where, line, sp.keep, n, unit)
			}
		}
	}
	for _, sp := range statedPeriods {
		if tied[sp.keep] == 0 {
			t.Errorf("%s: no period of the policy is about %s", where, sp.about)
		}
	}
	if !strings.Contains(text, "Last updated: "+store.PrivacyPolicyVersion) {
		t.Errorf("%s: no \"Last updated: %s\", the version sign-up records", where, store.PrivacyPolicyVersion)
	}
	flat := squeeze(text)
	for _, p := range store.RetentionPeriods() {
		if !strings.Contains(flat, squeeze(p.String())) {
			t.Errorf("%s: the retention period %q is not shown", where, p.String())
		}
	}
}

// squeeze drops every space, so that text wrapped on a screen compares
// with the text it came from.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// The periods the policy states are those the purge applies, and the
// policy (as `privacy` prints it, and the dashboard shows the same) lists
// every other period the service applies, from the same constants.
func TestPolicyStatesThePeriodsTheCodeKeeps(t *testing.T) {
	env := testenv.Start(t)
	out, stderr, status := env.Run(t, nil, "privacy")
	if status != 0 || stderr != "" {
		t.Fatalf("privacy: status %d, stderr %q", status, stderr)
	}
	checkPolicy(t, "privacy command", out)

	// The policy screen, on a terminal tall enough for all of it.
	o := env.Options(nil)
	o.Width, o.Height = 100, 400
	term := env.DialWith(t, o)
	expect(t, term, "Sign in")
	term.Press(sshterm.Ctrl('n'))
	expect(t, term, "Create your account")
	term.Press(sshterm.Ctrl('p'))
	expect(t, term, "100%") // all of it fits
	expect(t, term, "Retention periods in detail")
	screen := squeeze(term.Screen())
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(screen, squeeze(line)) {
			t.Errorf("the policy screen lacks %q", line)
		}
	}
}

// The sign-up screen asks for the age and says that signing up accepts
// the policy; it refuses without the box ticked. Signing up records the
// version accepted, and Account → Privacy & data shows it with every
// retention period.
func TestSignUpAsksAgeAndRecordsThePolicyVersion(t *testing.T) {
	env := testenv.Start(t)
	term := env.Dial(t, testenv.NewKey(t))
	expect(t, term, "Sign in")
	term.Press(sshterm.Ctrl('n'))
	expect(t, term, "Create your account")
	screen := term.Screen()
	for _, want := range []string{"[ ] I am 13 or older", "Space ticks the box.",
		"Creating an account means you accept our privacy policy (ctrl+p)."} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the sign-up screen lacks %q:\n%s", want, screen)
		}
	}
	const email = "of-age@example.com"
	term.Type(email)
	term.Press(sshterm.Tab)
	term.Type(testenv.Password)
	term.Press(sshterm.Tab)
	term.Type(testenv.Password)
	term.Press(sshterm.Enter)
	expect(t, term, "WantSMS is not for children under 13: tick the box to confirm your age.")
	if _, err := env.Store().UserByEmail(context.Background(), email); err == nil {
		t.Fatal("an account was made without the age confirmed")
	}
	term.Type(" ")
	expect(t, term, "[x] I am 13 or older")
	term.Press(sshterm.Enter)
	expect(t, term, "Remember this key?")
	term.Type("y")
	expect(t, term, "Key linked")

	u, err := env.Store().UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := env.Store().PolicyVersionAccepted(context.Background(), u.ID); err != nil || v != store.PrivacyPolicyVersion {
		t.Fatalf("recorded policy version %q, %v; want %q", v, err, store.PrivacyPolicyVersion)
	}
	evs, _ := env.Store().SecurityEvents(context.Background(), u.ID, 10)
	if last := evs[len(evs)-1]; last.Kind != store.SecuritySignup ||
		last.Detail != "accepted the privacy policy; confirmed 13 or older" {
		t.Fatalf("first event %+v: want the sign-up with the acceptance", last)
	}

	openPane(t, term, "Account", "Profile & keys")
	term.Press(sshterm.Left)
	expect(t, term, "What we keep, and for how long")
	if _, err := term.WaitForMatch(testenv.Wait, regexp.MustCompile(`Policy accepted at sign-up: +`+
		regexp.QuoteMeta(store.PrivacyPolicyVersion)+` +\(the current one\)`)); err != nil {
		t.Fatal(err)
	}
	screen = term.Screen()
	for _, p := range store.RetentionPeriods() {
		if !regexp.MustCompile(regexp.QuoteMeta(p.Label) + ` +` + regexp.QuoteMeta(p.Period())).MatchString(screen) {
			t.Errorf("Account → Privacy & data lacks %q: %q:\n%s", p.Label, p.Period(), screen)
		}
	}
	expect(t, term, "Export my data")
	if !strings.Contains(privacy.Document(), privacy.Policy) {
		t.Fatal("the document shown is not the policy followed by the schedule")
	}
}
