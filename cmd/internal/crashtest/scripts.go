package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
)

// scripted is what the reserve and cancel commands print with --json
// (the fields the checks need).
type scripted struct {
	ID       int64  `json:"id"`
	Phone    string `json:"phone"`
	State    string `json:"state"`
	Refunded bool   `json:"refunded"`
}

// scripter is a person's script reserving over `ssh host reserve`, as
// fast as the server answers, and cancelling one number in three by its
// id: a reservation is acknowledged by exit status 0 and its JSON, a
// cancel too.
func (w *world) scripter(p person, rng *rand.Rand) func(context.Context) {
	o := sshterm.Options{Addr: w.server.sshAddr, User: "script", Signers: []ssh.Signer{p.key}}
	return func(ctx context.Context) {
		for ctx.Err() == nil {
			if rng.IntN(2) == 0 {
				w.up.SetScript(fake.Script{Never: true})
			} else {
				w.up.SetScript(fake.Script{CodeAfterPolls: 0, Text: "Your Telegram code is {code}"})
			}
			var r scripted
			if !runJSON(ctx, o, "reserve telegram --country gb --json", &r) {
				sleep(ctx, 50*time.Millisecond)
				continue
			}
			w.acks.do(func() { w.acks.reserved[p.id] = append(w.acks.reserved[p.id], r.Phone) })
			if rng.IntN(3) != 0 {
				continue
			}
			var c scripted
			if runJSON(ctx, o, fmt.Sprintf("cancel %d --json", r.ID), &c) && c.State == "cancelled" && c.Refunded {
				w.acks.do(func() { w.acks.cancelled = append(w.acks.cancelled, r.ID) })
			}
		}
	}
}

// runJSON runs a command without a terminal and decodes its first line;
// it reports whether the command exited 0 with a document.
func runJSON(ctx context.Context, o sshterm.Options, command string, v any) bool {
	ctx, cancel := context.WithTimeout(ctx, screenWait)
	defer cancel()
	out, _, status, err := sshterm.Run(ctx, o, command, nil)
	if err != nil || status != 0 {
		return false
	}
	return json.NewDecoder(bytes.NewReader(out)).Decode(v) == nil
}

// adminCreditor is an admin crediting people over `ssh host admin
// credit`, with the key the host enrolled: a credit is acknowledged by
// exit status 0 and its JSON, which names its audit row.
func (w *world) adminCreditor(rng *rand.Rand) func(context.Context) {
	o := sshterm.Options{Addr: w.server.sshAddr, User: "admin", Signers: []ssh.Signer{w.admin.key}}
	people := append(append([]person(nil), w.reservers...), w.payers...)
	return func(ctx context.Context) {
		for n := 0; ctx.Err() == nil; n++ {
			p := people[rng.IntN(len(people))]
			cents := int64(1 + rng.IntN(500))
			var r struct {
				AuditID int64 `json:"audit_id"`
			}
			cmd := fmt.Sprintf("admin credit %s %d --reason 'crash admin credit %d' --json", p.email, cents, n)
			if !runJSON(ctx, o, cmd, &r) || r.AuditID == 0 {
				sleep(ctx, 50*time.Millisecond)
				continue
			}
			w.acks.do(func() { w.acks.adminCreds = append(w.acks.adminCreds, adminCredit{p.id, r.AuditID, cents}) })
			pause(ctx, rng, nil)
		}
	}
}
