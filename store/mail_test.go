package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// queued reads the newest outbox row of kind for the account, params
// included (they hold the code until the mail is sent), as a test that
// plays the mail server would read the mail.
func queued(t testing.TB, s *Store, userID int64, kind MailKind) (to string, params map[string]string, status MailStatus) {
	t.Helper()
	var raw string
	err := s.r.QueryRow(`SELECT to_addr, params, status FROM outbox WHERE user_id = ? AND kind = ?
		ORDER BY id DESC LIMIT 1`, userID, kind).Scan(&to, &raw, &status)
	if err != nil {
		t.Fatalf("%s mail of account %d: %v", kind, userID, err)
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &params); err != nil {
			t.Fatal(err)
		}
	}
	return to, params, status
}

// verify verifies the account's address with the code its sign-up mailed.
func verify(t testing.TB, s *Store, email string) User {
	t.Helper()
	u, err := s.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	_, p, _ := queued(t, s, u.ID, MailVerify)
	u, err = s.VerifyEmail(context.Background(), u.ID, p[ParamCode], origin)
	if err != nil || !u.Verified() {
		t.Fatalf("verify %s with %q: %+v %v", email, p[ParamCode], u, err)
	}
	return u
}

func mailCount(t testing.TB, s *Store, userID int64, kind MailKind) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM outbox WHERE user_id = ? AND kind = ?`, userID, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func hasEvent(t testing.TB, s *Store, userID int64, kind SecurityKind, detail string) bool {
	t.Helper()
	evs, err := s.SecurityEvents(context.Background(), userID, 50)
	must(t.(*testing.T), err)
	for _, e := range evs {
		if e.Kind == kind && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

// Sign-up mails a code and a link in the sign-up's own transaction; the
// database keeps only their hashes. A wrong code is refused, the right one
// verifies once, and a used code does nothing more.
func TestSignUpMailsACodeThatVerifiesOnce(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "new@example.com")
	if u.Verified() {
		t.Fatal("a new account is verified before any code was used")
	}
	to, p, status := queued(t, s, u.ID, MailVerify)
	if to != "new@example.com" || status != MailQueued || normalizeCode(p[ParamCode]) == "" || len(p[ParamLink]) < 40 {
		t.Fatalf("verification mail: to %q, %s, params %v", to, status, p)
	}
	if dump := dumpTables(t, s, "outbox"); strings.Contains(dump, p[ParamLink]) ||
		strings.Contains(dump, normalizeCode(p[ParamCode])) || strings.Contains(strings.ToLower(dump), strings.ToLower(p[ParamCode])) {
		t.Fatal("the code or the link's token is stored in clear outside the unsent mail")
	}
	if st, err := s.EmailState(ctx, u.ID); err != nil || st.Verified() || st.Pending != "" || st.CodeUntil.IsZero() {
		t.Fatalf("state before: %+v %v", st, err)
	}
	wrong := "AAAA-AAAA"
	if wrong == p[ParamCode] {
		wrong = "BBBB-BBBB"
	}
	if _, err := s.VerifyEmail(ctx, u.ID, wrong, origin); !errors.Is(err, ErrBadCode) {
		t.Fatalf("wrong code: %v", err)
	}
	// Typed in lower case, with a space instead of the dash.
	typed := strings.ToLower(strings.Replace(p[ParamCode], "-", " ", 1))
	got, err := s.VerifyEmail(ctx, u.ID, typed, origin)
	if err != nil || !got.Verified() {
		t.Fatalf("right code: %+v %v", got, err)
	}
	if !hasEvent(t, s, u.ID, SecurityEmailVerified, "new@example.com") {
		t.Fatal("verification not in Sign-in activity")
	}
	if _, err := s.VerifyEmail(ctx, u.ID, p[ParamCode], origin); !errors.Is(err, ErrBadCode) {
		t.Fatalf("the code worked twice: %v", err)
	}
	if _, err := s.ResendVerification(ctx, u.ID, origin); !errors.Is(err, ErrAlreadyVerified) {
		t.Fatalf("resend once verified: %v", err)
	}
}

// Five wrong tries end a code; the link of an ended code does not work
// either, and a new code (after the minute between mails) does.
func TestVerificationCodeEndsAfterWrongTries(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "guess@example.com")
	_, p, _ := queued(t, s, u.ID, MailVerify)
	for i := range maxCodeFailures {
		if _, err := s.VerifyEmail(ctx, u.ID, "2222-2222", origin); !errors.Is(err, ErrBadCode) {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	if _, err := s.VerifyEmail(ctx, u.ID, p[ParamCode], origin); !errors.Is(err, ErrBadCode) {
		t.Fatalf("the right code after %d wrong ones: %v", maxCodeFailures, err)
	}
	if _, err := s.VerifyEmailLink(ctx, p[ParamLink], origin); !errors.Is(err, ErrBadLink) {
		t.Fatalf("the link of an ended code: %v", err)
	}
	var te *ThrottledError
	if _, err := s.ResendVerification(ctx, u.ID, origin); !errors.As(err, &te) {
		t.Fatalf("a new code within the minute: %v", err)
	}
	clock.Add(verifyMailGap)
	if to, err := s.ResendVerification(ctx, u.ID, origin); err != nil || to != "guess@example.com" {
		t.Fatalf("resend: %q %v", to, err)
	}
	_, p2, _ := queued(t, s, u.ID, MailVerify)
	if got, err := s.VerifyEmail(ctx, u.ID, p2[ParamCode], origin); err != nil || !got.Verified() {
		t.Fatalf("the new code: %v", err)
	}
}

// The link works without signing in, once, and not after a day.
func TestVerificationLinkOnceAndExpires(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	a, b := newUser(t, s, "a@example.com"), newUser(t, s, "b@example.com")
	_, pa, _ := queued(t, s, a.ID, MailVerify)
	_, pb, _ := queued(t, s, b.ID, MailVerify)
	if email, err := s.VerifyEmailLink(ctx, pa[ParamLink], origin); err != nil || email != "a@example.com" {
		t.Fatalf("link: %q %v", email, err)
	}
	if _, err := s.VerifyEmailLink(ctx, pa[ParamLink], origin); !errors.Is(err, ErrBadLink) {
		t.Fatalf("link used twice: %v", err)
	}
	for _, bad := range []string{"", "x", pa[ParamLink] + "x", strings.ToUpper(pb[ParamLink])} {
		if _, err := s.VerifyEmailLink(ctx, bad, origin); !errors.Is(err, ErrBadLink) {
			t.Fatalf("link %q: %v", bad, err)
		}
	}
	clock.Add(VerifyCodeTTL)
	if _, err := s.VerifyEmailLink(ctx, pb[ParamLink], origin); !errors.Is(err, ErrBadLink) {
		t.Fatalf("expired link: %v", err)
	}
	if got, _ := s.UserByID(ctx, b.ID); got.Verified() {
		t.Fatal("an expired link verified the address")
	}
	if got, _ := s.UserByID(ctx, a.ID); !got.Verified() {
		t.Fatal("the link did not verify")
	}
}

// An email change waits for the new address: the account keeps the old
// one (and signs in with it) until the code mailed to the new one is used;
// then the old address is told.
func TestEmailChangeTakesEffectOnceTheNewAddressIsVerified(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := verify(t, s, newUser(t, s, "old@example.com").Email)
	newUser(t, s, "taken@example.com")
	if _, err := s.ChangeEmail(ctx, u.ID, "wrong password", "new@example.com", origin); !errors.Is(err, ErrCurrentPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := s.ChangeEmail(ctx, u.ID, "correct horse", "Taken@example.com", origin); !errors.Is(err, ErrEmailTaken) {
		t.Fatalf("taken email: %v", err)
	}
	if _, err := s.ChangeEmail(ctx, u.ID, "correct horse", "nope", origin); !errors.Is(err, ErrBadEmail) {
		t.Fatalf("bad email: %v", err)
	}
	if _, err := s.ChangeEmail(ctx, u.ID, "correct horse", "OLD@example.com", origin); !errors.Is(err, ErrSameEmail) {
		t.Fatalf("same email: %v", err)
	}
	got, err := s.ChangeEmail(ctx, u.ID, "correct horse", "New@Example.com", origin)
	if err != nil || got.Email != "old@example.com" || !got.Verified() {
		t.Fatalf("asked for the change: %+v %v", got, err)
	}
	if st, err := s.EmailState(ctx, u.ID); err != nil || st.Pending != "new@example.com" || !st.Verified() {
		t.Fatalf("state while pending: %+v %v", st, err)
	}
	if _, err := s.SignIn(ctx, "old@example.com", "correct horse", origin); err != nil {
		t.Fatalf("sign in with the old address while pending: %v", err)
	}
	to, p, _ := queued(t, s, u.ID, MailVerify)
	if to != "new@example.com" || p[ParamChange] != "1" || p[ParamCode] == "" {
		t.Fatalf("code went to %q (%v)", to, p)
	}
	if mailCount(t, s, u.ID, MailEmailChanged) != 0 {
		t.Fatal("the old address was told before anything changed")
	}
	if got, err := s.VerifyEmail(ctx, u.ID, p[ParamCode], Origin{RemoteAddr: "198.51.100.9:443"}); err != nil ||
		got.Email != "new@example.com" {
		t.Fatalf("verify the new address: %+v %v", got, err)
	}
	got, _ = s.UserByID(ctx, u.ID)
	if got.Email != "new@example.com" || !got.Verified() {
		t.Fatalf("after: %+v", got)
	}
	if _, err := s.SignIn(ctx, "new@example.com", "correct horse", origin); err != nil {
		t.Fatalf("sign in with the new email: %v", err)
	}
	to, p, _ = queued(t, s, u.ID, MailEmailChanged)
	if to != "old@example.com" || p[ParamOld] != "old@example.com" || p[ParamNew] != "new@example.com" {
		t.Fatalf("the old address was told: to %q %v", to, p)
	}
	if !hasEvent(t, s, u.ID, SecurityEmailChanged, "old@example.com → new@example.com") ||
		!hasEvent(t, s, u.ID, SecurityEmailChangeAsked, "old@example.com → new@example.com") {
		t.Fatal("the change is not in Sign-in activity")
	}
}

// The new address of an email change gets a code and no link, and no link
// ever moves an account to another address, not even one stored with a
// link by an older release: whoever reads a mistyped address would
// otherwise take the account over (open the link, then reset the
// password). Only the code, typed in a signed-in session, makes the change.
func TestEmailChangeHasNoLink(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := verify(t, s, newUser(t, s, "owner@example.com").Email)
	must(t, err2(s.ChangeEmail(ctx, u.ID, "correct horse", "typo@example.com", origin)))
	if _, p, _ := queued(t, s, u.ID, MailVerify); p[ParamLink] != "" || p[ParamCode] == "" {
		t.Fatalf("the change's mail: %v", p)
	}
	var links int
	must(t, s.r.QueryRow(`SELECT COUNT(*) FROM email_codes WHERE link_hash IS NOT NULL`).Scan(&links))
	if links != 0 {
		t.Fatalf("%d codes have a link", links)
	}
	// The same after a new code for the change.
	clock.Add(verifyMailGap)
	if to, err := s.ResendVerification(ctx, u.ID, origin); err != nil || to != "typo@example.com" {
		t.Fatalf("resend: %q %v", to, err)
	}
	if _, p, _ := queued(t, s, u.ID, MailVerify); p[ParamLink] != "" {
		t.Fatalf("the new code's mail has a link: %v", p)
	}
	// A change stored with a link, as an older release did: the link is
	// refused and changes nothing; the code still works.
	v, err := s.newVerification()
	must(t, err)
	must(t, s.write(ctx, func(tx *Tx) error {
		_, err := tx.issueCode(ctx, u.ID, purposeVerify, "typo@example.com", v.code, v.token, VerifyCodeTTL)
		return err
	}))
	if _, err := s.VerifyEmailLink(ctx, v.token, origin); !errors.Is(err, ErrBadLink) {
		t.Fatalf("a change's link: %v", err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.Email != "owner@example.com" {
		t.Fatalf("a link moved the account to %q", got.Email)
	}
	if got, err := s.VerifyEmail(ctx, u.ID, v.code, origin); err != nil || got.Email != "typo@example.com" {
		t.Fatalf("the code: %+v %v", got, err)
	}
}

// A change to an address taken meanwhile (a sign-up got there first) is
// refused when its code is used; the account keeps its address.
func TestEmailChangeToAnAddressTakenMeanwhile(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "mine@example.com")
	must(t, err2(s.ChangeEmail(ctx, u.ID, "correct horse", "wanted@example.com", origin)))
	_, p, _ := queued(t, s, u.ID, MailVerify)
	newUser(t, s, "wanted@example.com")
	if _, err := s.VerifyEmail(ctx, u.ID, p[ParamCode], origin); !errors.Is(err, ErrEmailTaken) {
		t.Fatalf("verify a taken address: %v", err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.Email != "mine@example.com" {
		t.Fatalf("email %q", got.Email)
	}
}

// Until the address is verified, top-ups are capped in all (open orders
// count); verified, the cap is gone. The host's tools are not capped.
func TestUnverifiedAccountsTopUpOnlyALittle(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "fresh@example.com")
	order := func(cents int64) error {
		_, err := s.CreateOrder(ctx, NewOrder{UserID: u.ID, Processor: ProcessorStripe, AmountCents: cents,
			CapUnverified: true, UnverifiedMaxCents: 1000})
		return err
	}
	var capErr *UnverifiedCapError
	if err := order(1500); !errors.As(err, &capErr) || capErr.MaxCents != 1000 || capErr.UsedCents != 0 {
		t.Fatalf("$15 unverified: %v", err)
	}
	must(t, order(500))
	if err := order(600); !errors.As(err, &capErr) || capErr.UsedCents != 500 ||
		!strings.Contains(capErr.UserFacing(), "verify your email") || !strings.Contains(capErr.UserFacing(), "$10.00") {
		t.Fatalf("$5 + $6 unverified: %v", err)
	}
	must(t, order(500))
	if _, err := s.CreateOrder(ctx, NewOrder{UserID: u.ID, Processor: ProcessorStripe, AmountCents: 5000}); err != nil {
		t.Fatalf("uncapped (host, tests): %v", err)
	}
	verify(t, s, u.Email)
	must(t, order(5000))
}

// A reset code goes only to an existing account, yet the answer is the
// same; the code, typed with a new password, replaces the password once,
// ends every other session (password and key alike), verifies the
// address and signs in. Every step is in Sign-in activity, and the mail
// and the activity name the linked keys.
func TestPasswordReset(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "forgot@example.com")
	key, err := s.LinkKey(ctx, u.ID, SpecOf(newPub(t)), "laptop", origin)
	must(t, err)
	_, passwordSession, err := s.SignInWithPassword(ctx, "forgot@example.com", "correct horse", origin)
	must(t, err)
	keySession := Standing{UserID: u.ID, Key: key.Fingerprint, Epoch: u.SessionEpoch}

	for _, email := range []string{"forgot@example.com", "nobody@example.com"} {
		if err := s.RequestPasswordReset(ctx, email, origin); err != nil {
			t.Fatalf("request for %s: %v", email, err)
		}
	}
	if err := s.RequestPasswordReset(ctx, "not an address", origin); !errors.Is(err, ErrBadEmail) {
		t.Fatalf("request for no address: %v", err)
	}
	var total int
	must(t, s.r.QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = ?`, MailPasswordReset).Scan(&total))
	if total != 1 {
		t.Fatalf("%d reset mails, want the one to the account", total)
	}
	to, p, _ := queued(t, s, u.ID, MailPasswordReset)
	if to != "forgot@example.com" || !strings.Contains(p[ParamKeys], "laptop "+key.Fingerprint) {
		t.Fatalf("reset mail to %q: %v", to, p)
	}
	if !hasEvent(t, s, u.ID, SecurityResetRequested, "laptop "+key.Fingerprint) {
		t.Fatal("the request is not in Sign-in activity with the linked keys")
	}

	if _, _, err := s.ResetPassword(ctx, "forgot@example.com", "2222-3333", "brand new pw", origin); !errors.Is(err, ErrBadResetCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if _, _, err := s.ResetPassword(ctx, "nobody@example.com", p[ParamCode], "brand new pw", origin); !errors.Is(err, ErrBadResetCode) {
		t.Fatalf("the code with another email: %v", err)
	}
	if _, _, err := s.ResetPassword(ctx, "forgot@example.com", p[ParamCode], "short", origin); !errors.Is(err, ErrPasswordTooShort) {
		t.Fatalf("a new password too short: %v", err)
	}
	if !hasEvent(t, s, u.ID, SecuritySigninFailed, "password reset code") {
		t.Fatal("the wrong code is not in Sign-in activity")
	}
	got, st, err := s.ResetPassword(ctx, "forgot@example.com", p[ParamCode], "brand new pw", origin)
	if err != nil || got.ID != u.ID || !got.Verified() {
		t.Fatalf("reset: %+v %v", got, err)
	}
	if l, _ := s.CheckStanding(ctx, st); l != StandingHolds {
		t.Fatalf("the reset's own session: %v", l)
	}
	if l, _ := s.CheckStanding(ctx, passwordSession); l == StandingHolds {
		t.Fatal("a session signed in with the old password survived the reset")
	}
	if l, _ := s.CheckStanding(ctx, keySession); l != LapseSessionsEnded {
		t.Fatalf("a session that signed in with a key: %v, want it ended", l)
	}
	if l, _ := s.CheckStanding(ctx, Standing{UserID: u.ID, Key: key.Fingerprint, Epoch: got.SessionEpoch}); l != StandingHolds {
		t.Fatalf("a key session begun after the reset: %v", l)
	}
	if keys, _ := s.Keys(ctx, u.ID); len(keys) != 1 {
		t.Fatalf("the reset changed the keys: %+v", keys)
	}
	if _, err := s.SignIn(ctx, "forgot@example.com", "brand new pw", origin); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	if _, _, err := s.ResetPassword(ctx, "forgot@example.com", p[ParamCode], "another new pw", origin); !errors.Is(err, ErrBadResetCode) {
		t.Fatalf("the code worked twice: %v", err)
	}
	if !hasEvent(t, s, u.ID, SecurityPasswordReset, "laptop "+key.Fingerprint) ||
		!hasEvent(t, s, u.ID, SecuritySignin, "after a reset") {
		t.Fatal("the reset is not in Sign-in activity")
	}
	to, p, _ = queued(t, s, u.ID, MailPasswordChanged)
	if to != "forgot@example.com" || p[ParamHow] != "reset" || !strings.Contains(p[ParamKeys], key.Fingerprint) {
		t.Fatalf("password-changed mail: %q %v", to, p)
	}
}

// A reset code works for 30 minutes, and dies after five wrong tries.
func TestResetCodeExpiresAndDiesAfterWrongTries(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	newUser(t, s, "late@example.com")
	u := newUser(t, s, "typo@example.com")
	late, _ := s.UserByEmail(ctx, "late@example.com")
	must(t, s.RequestPasswordReset(ctx, "late@example.com", origin))
	must(t, s.RequestPasswordReset(ctx, "typo@example.com", Origin{RemoteAddr: "198.51.100.20:1"}))
	_, pl, _ := queued(t, s, late.ID, MailPasswordReset)
	_, pt, _ := queued(t, s, u.ID, MailPasswordReset)
	for i := range maxCodeFailures {
		// Spread over addresses: the sign-in throttle is not what ends it.
		o := Origin{RemoteAddr: "198.51.100." + string(rune('a'+i)) + ":1"}
		if _, _, err := s.ResetPassword(ctx, "typo@example.com", "2222-2222", "brand new pw", o); !errors.Is(err, ErrBadResetCode) {
			var te *ThrottledError
			if !errors.As(err, &te) {
				t.Fatalf("try %d: %v", i, err)
			}
			clock.Add(te.Wait)
		}
	}
	clock.Add(throttleMaxDelay)
	if _, _, err := s.ResetPassword(ctx, "typo@example.com", pt[ParamCode], "brand new pw", origin); !errors.Is(err, ErrBadResetCode) {
		t.Fatalf("the right code after %d wrong ones: %v", maxCodeFailures, err)
	}
	clock.Add(ResetCodeTTL)
	if _, _, err := s.ResetPassword(ctx, "late@example.com", pl[ParamCode], "brand new pw", origin); !errors.Is(err, ErrBadResetCode) {
		t.Fatalf("a code 30 minutes old: %v", err)
	}
}

// Requests are throttled per typed email and per address, for any email
// alike; an account gets at most resetMailsPerHour codes an hour, and
// the requests beyond are answered the same.
func TestResetRequestsThrottled(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "target@example.com")
	for _, email := range []string{"target@example.com", "nobody@example.com"} {
		var refusedAt int
		for i := 1; i <= throttleFree+1; i++ {
			o := Origin{RemoteAddr: "203.0.113." + string(rune('0'+i)) + ":1"} // a new address each time
			var te *ThrottledError
			if err := s.RequestPasswordReset(ctx, email, o); errors.As(err, &te) {
				refusedAt = i
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if refusedAt != throttleFree+1 {
			t.Fatalf("%s: refused at request %d, want %d: the answer must not depend on the account", email,
				refusedAt, throttleFree+1)
		}
	}
	if n := mailCount(t, s, u.ID, MailPasswordReset); n != resetMailsPerHour {
		t.Fatalf("%d reset mails in an hour, want %d", n, resetMailsPerHour)
	}
	if !hasEvent(t, s, u.ID, SecurityResetRequested, "no code mailed") {
		t.Fatal("the requests beyond the hourly codes are not in Sign-in activity")
	}
	// One address asking for many emails is throttled too.
	clock.Add(throttleWindow + time.Second)
	o := Origin{RemoteAddr: "192.0.2.200:1"}
	var te *ThrottledError
	for i := 0; i <= throttleFree; i++ {
		err := s.RequestPasswordReset(ctx, "someone"+string(rune('a'+i))+"@example.com", o)
		if i < throttleFree && err != nil || i == throttleFree && !errors.As(err, &te) {
			t.Fatalf("request %d from one address: %v", i, err)
		}
	}
}

// Notices (receipts, support answers) go only to a verified address and
// only while their kind is on; the unsubscribe link in each turns its
// kind off without signing in. Security mails cannot be turned off.
func TestNoticesAndUnsubscribe(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "buyer@example.com")
	pay := func(n int) {
		t.Helper()
		sess := "cs_test_n" + string(rune('0'+n))
		stripeOrder(t, s, u, 1000, sess)
		up := paid("evt_n"+string(rune('0'+n)), sess)
		if r, err := s.ApplyStripe(ctx, up); err != nil || !r.Credited {
			t.Fatalf("pay %d: %+v %v", n, r, err)
		}
	}
	pay(1)
	if n := mailCount(t, s, u.ID, MailTopupReceipt); n != 0 {
		t.Fatal("a receipt went to an unverified address")
	}
	verify(t, s, u.Email)
	pay(2)
	to, p, _ := queued(t, s, u.ID, MailTopupReceipt)
	if to != "buyer@example.com" || p[ParamCents] != "1000" || p[ParamOrder] == "" || p[ParamUnsubscribe] == "" {
		t.Fatalf("receipt: %q %v", to, p)
	}
	if kind, err := s.Unsubscribe(ctx, p[ParamUnsubscribe]); err != nil || kind != MailTopupReceipt {
		t.Fatalf("unsubscribe: %q %v", kind, err)
	}
	if _, err := s.Unsubscribe(ctx, p[ParamUnsubscribe]+"x"); !errors.Is(err, ErrBadUnsubscribe) {
		t.Fatalf("unknown token: %v", err)
	}
	pay(3)
	if n := mailCount(t, s, u.ID, MailTopupReceipt); n != 1 {
		t.Fatalf("%d receipts: one went after unsubscribing", n)
	}
	set, err := s.Notices(ctx, u.ID)
	if err != nil || len(set) != 3 || set[0] != (NoticeSetting{MailSupportReply, true}) ||
		set[1] != (NoticeSetting{MailTopupReceipt, false}) || set[2] != (NoticeSetting{MailRentalEnding, true}) {
		t.Fatalf("settings: %+v %v", set, err)
	}
	must(t, s.SetNotice(ctx, u.ID, MailTopupReceipt, true))
	pay(4)
	if n := mailCount(t, s, u.ID, MailTopupReceipt); n != 2 {
		t.Fatalf("%d receipts after turning them on again", n)
	}
	for _, k := range []MailKind{MailPasswordReset, MailVerify, MailKeyLinked, MailPasswordChanged, MailEmailChanged} {
		if err := s.SetNotice(ctx, u.ID, k, false); !errors.Is(err, ErrNotANotice) {
			t.Fatalf("turn %s off: %v", k, err)
		}
	}
	if e, err := s.Export(ctx, u.ID); err != nil || len(e.NoticesOff) != 0 {
		t.Fatalf("export of the settings: %+v %v", e.NoticesOff, err)
	}
	must(t, s.SetNotice(ctx, u.ID, MailSupportReply, false))
	if e, err := s.Export(ctx, u.ID); err != nil || len(e.NoticesOff) != 1 || e.NoticesOff[0] != MailSupportReply {
		t.Fatalf("export of the settings: %+v %v", e.NoticesOff, err)
	}
}

// The outbox, as a worker drives it: a claim leases one mail; a second
// worker gets nothing while the lease runs and the same mail once it
// ended (its first sender died); the first sender's late word is ignored.
// A failure goes back to the queue; giving up empties the params and
// shows the mail to admins only. A code mail not sent before its code
// expired is dropped, never sent.
func TestOutboxLeasesRetriesAndFailures(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "mailbox@example.com")
	m, ok, err := s.ClaimMail(ctx, time.Minute)
	if err != nil || !ok || m.UserID != u.ID || m.Kind != MailVerify || m.Attempt != 1 || m.Params[ParamCode] == "" {
		t.Fatalf("claim: %+v %v %v", m, ok, err)
	}
	if _, ok, _ := s.ClaimMail(ctx, time.Minute); ok {
		t.Fatal("a leased mail was claimed twice")
	}
	clock.Add(time.Minute)
	again, ok, err := s.ClaimMail(ctx, time.Minute)
	if err != nil || !ok || again.ID != m.ID || again.Attempt != 2 {
		t.Fatalf("claim after the lease: %+v %v %v", again, ok, err)
	}
	must(t, s.MailSent(ctx, m.ID, m.Attempt, "stale")) // the dead sender's word
	must(t, s.RetryMail(ctx, m.ID, m.Attempt, "stale", clock.Now()))
	log, _ := s.MailLog(ctx, u.ID, 10)
	if len(log) != 1 || log[0].Status != MailSending {
		t.Fatalf("a stale attempt changed the mail: %+v", log)
	}
	must(t, s.RetryMail(ctx, again.ID, again.Attempt, "451 try later", clock.Now().Add(30*time.Second)))
	if _, ok, _ := s.ClaimMail(ctx, time.Minute); ok {
		t.Fatal("claimed before its retry time")
	}
	clock.Add(30 * time.Second)
	third, ok, _ := s.ClaimMail(ctx, time.Minute)
	if !ok || third.Attempt != 3 {
		t.Fatalf("third attempt: %+v", third)
	}
	admin := newAdmin(t, s, "boss@example.com")
	must(t, s.GiveUpMail(ctx, third.ID, third.Attempt, "550 no such user"))
	failed, err := s.FailedMails(ctx, admin, 10)
	if err != nil || len(failed) != 1 || failed[0].To != "mailbox@example.com" || failed[0].Attempts != 3 ||
		failed[0].LastError != "550 no such user" || failed[0].Status != MailFailed {
		t.Fatalf("failed mails: %+v %v", failed, err)
	}
	if _, err := s.FailedMails(ctx, Actor{UserID: u.ID}, 10); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("failed mails for a non-admin: %v", err)
	}
	if trail, err := s.AuditLog(ctx, 10); err != nil || len(trail) != 1 || trail[0].Action != AuditMailFailed ||
		trail[0].ActorID != admin.UserID {
		t.Fatalf("looking at failed mails is audited once per look, by its admin: %+v %v", trail, err)
	}
	_, p, _ := queued(t, s, u.ID, MailVerify)
	if p != nil {
		t.Fatalf("a failed mail kept its params: %v", p)
	}
	if g, err := s.ReadGauges(ctx); err != nil || g.MailsByStatus[MailFailed] != 1 {
		t.Fatalf("gauges: %+v %v", g.MailsByStatus, err)
	}

	// A reset code's mail that waited past the code's life is dropped.
	for {
		m, ok, err := s.ClaimMail(ctx, time.Minute)
		must(t, err)
		if !ok {
			break
		}
		must(t, s.MailSent(ctx, m.ID, m.Attempt, "sent"))
	}
	must(t, s.RequestPasswordReset(ctx, u.Email, origin))
	clock.Add(ResetCodeTTL)
	if m, ok, _ := s.ClaimMail(ctx, time.Minute); ok {
		t.Fatalf("an expired code's mail was claimed: %+v", m)
	}
	if _, p, status := queued(t, s, u.ID, MailPasswordReset); status != MailDropped || p != nil {
		t.Fatalf("expired code mail: %s %v", status, p)
	}
}

// The mail log is in the export (never a code), goes with the account,
// and is purged 6 months after each mail was done.
func TestMailLogExportedErasedAndPurged(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "log@example.com")
	other := newUser(t, s, "other@example.com")
	m, _, _ := s.ClaimMail(ctx, time.Minute)
	must(t, s.MailSent(ctx, m.ID, m.Attempt, "Verify your email for WantSMS"))
	must(t, err2(s.ChangeEmail(ctx, u.ID, "correct horse", "next@example.com", origin)))
	e, err := s.Export(ctx, u.ID)
	must(t, err)
	if len(e.Mails) != 2 || e.Mails[0].Subject != "Verify your email for WantSMS" || e.Mails[0].Status != MailSent ||
		e.Mails[1].To != "next@example.com" || e.PendingEmail != "next@example.com" {
		t.Fatalf("export: %+v pending %q", e.Mails, e.PendingEmail)
	}
	for _, ml := range e.Mails {
		if ml.UserID != u.ID {
			t.Fatalf("another account's mail in the export: %+v", ml)
		}
	}
	clock.Add(MailLogRetention - time.Hour)
	if n := purge(t, s)[PurgeMailLog]; n != 0 {
		t.Fatalf("purged %d mails before 6 months", n)
	}
	clock.Add(2 * time.Hour)
	if n := purge(t, s)[PurgeMailLog]; n != 1 {
		t.Fatalf("purged %d mails after 6 months, want the one sent", n)
	}
	must(t, s.RequestPasswordReset(ctx, "log@example.com", origin)) // a throttle row names the email
	must(t, s.DeleteAccount(ctx, u.ID, "correct horse", origin))
	if dump := dumpTables(t, s); strings.Contains(dump, "log@example.com") || strings.Contains(dump, "next@example.com") {
		t.Fatalf("the erased account's mail remains:\n%s", dump)
	}
	if mailCount(t, s, other.ID, MailVerify) != 1 {
		t.Fatal("another account's mail went with the erasure")
	}
}

// Asking for a reset takes the same time whether the address has an
// account or not, so its timing tells nothing either (the answer is the
// same: see TestPasswordReset). Compare the ns/op of the two:
//
//	go test ./store -run '^$' -bench PasswordResetRequest -benchtime 20x
func BenchmarkPasswordResetRequest(b *testing.B) {
	for _, c := range []struct{ name, email string }{
		{"account", "known@example.com"}, {"no_account", "unknown@example.com"},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, clock := openTest(b)
			ctx := context.Background()
			newUser(b, s, "known@example.com")
			o := Origin{RemoteAddr: "198.51.100.77:1"}
			b.ResetTimer()
			for range b.N {
				// An hour apart: every request of the account mails a code.
				clock.Add(time.Hour)
				if err := s.RequestPasswordReset(ctx, c.email, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
