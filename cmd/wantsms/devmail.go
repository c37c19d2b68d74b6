package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wantsms/wantsms/cmd/internal/mail"
	"github.com/wantsms/wantsms/cmd/internal/service"
)

// devMail lists the mails a server without SMTP wrote to its maildir, or
// prints one (by its number in the list, or "last"), so that a person
// trying WantSMS locally can verify an address and reset a password.
func devMail(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("dev mail", stderr)
	var dir string
	var raw bool
	dataFlag(f, &dir)
	f.fs.BoolVar(&raw, "raw", false, "print the whole message as sent (headers, text and HTML parts)")
	pos, err := f.parse(args)
	if err != nil {
		return flagError(err)
	}
	if len(pos) > 1 {
		return usagef("want at most one mail: its number in the list, or last")
	}
	maildir := filepath.Join(dir, service.MaildirName)
	mails, err := mail.ReadMaildir(maildir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no maildir at %s: has the server run with --data %s and without --smtp-url?", maildir, dir)
	}
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		if len(mails) == 0 {
			fmt.Fprintf(stdout, "no mail yet in %s\n", maildir)
			return nil
		}
		for i, m := range mails {
			fmt.Fprintf(stdout, "%3d  %s  %-30s  %s\n", i+1, m.Parsed.Date.UTC().Format("2006-01-02 15:04:05"),
				strings.Trim(m.Parsed.To, "<>"), m.Parsed.Subject)
		}
		fmt.Fprintln(stdout, "wantsms dev mail N prints one (last: the newest).")
		return nil
	}
	n := len(mails)
	if pos[0] != "last" {
		if n, err = strconv.Atoi(pos[0]); err != nil || n < 1 || n > len(mails) {
			return usagef("mail %q: want a number from 1 to %d, or last", pos[0], len(mails))
		}
	}
	if n == 0 {
		return fmt.Errorf("no mail yet in %s", maildir)
	}
	m := mails[n-1].Parsed
	if raw {
		_, err := stdout.Write(m.Raw)
		return err
	}
	fmt.Fprintf(stdout, "Date:    %s\nTo:      %s\nSubject: %s\n\n%s", m.Date.UTC().Format("2006-01-02 15:04:05 UTC"),
		strings.Trim(m.To, "<>"), m.Subject, m.Text)
	return nil
}
