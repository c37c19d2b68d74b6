package mail

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maildirSender writes each mail as a file into a maildir (tmp, new,
// cur), the embedded default of a server without SMTP: a person trying
// WantSMS locally reads them with `wantsms dev mail`, or points any mail
// reader at the folder. A file is named after its outbox row, so a mail
// written again after a crash replaces itself: delivered exactly once.
type maildirSender struct{ dir string }

func newMaildir(dir string) (*maildirSender, error) {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("maildir %s: %w", dir, err)
		}
	}
	return &maildirSender{dir: dir}, nil
}

func (s *maildirSender) String() string { return "maildir " + s.dir }

// fileName is the maildir name of an outbox row: its creation time and
// id ("time.unique.host", the host being ours).
func fileName(d delivery) string { return fmt.Sprintf("%d.M%d.wantsms", d.createdAt.Unix(), d.id) }

// deliver writes the message to tmp, flushes it to disk, and moves it
// into new, as maildir readers expect.
func (s *maildirSender) deliver(_ context.Context, d delivery) error {
	var b bytes.Buffer
	if _, err := d.msg.WriteTo(&b); err != nil {
		return fmt.Errorf("render mail %d: %w", d.id, err)
	}
	name := fileName(d)
	tmp := filepath.Join(s.dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("maildir: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("maildir: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "new", name)); err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	return syncDir(filepath.Join(s.dir, "new"))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("maildir: %w", err)
	}
	return nil
}

// Stored is a mail in a maildir, read back.
type Stored struct {
	Name   string // the file's name
	ID     int64  // the outbox row it was written from (0 if not ours)
	Parsed Parsed
}

// ReadMaildir lists the mails of a maildir (new and cur), oldest first.
func ReadMaildir(dir string) ([]Stored, error) {
	var out []Stored
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, fmt.Errorf("read maildir %s: %w", dir, err)
		}
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			raw, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("read maildir: %w", err)
			}
			p, err := Parse(raw)
			if err != nil {
				return nil, fmt.Errorf("mail %s: %w", e.Name(), err)
			}
			out = append(out, Stored{Name: e.Name(), ID: idOf(e.Name()), Parsed: p})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].Parsed.Date, out[j].Parsed.Date; !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// idOf reads the outbox id from a file name made by fileName.
func idOf(name string) int64 {
	parts := strings.Split(strings.SplitN(name, ":", 2)[0], ".")
	if len(parts) != 3 || parts[2] != "wantsms" || !strings.HasPrefix(parts[1], "M") {
		return 0
	}
	id, _ := strconv.ParseInt(parts[1][1:], 10, 64)
	return id
}

// Parsed is a message as a reader sees it: its headers and its text and
// HTML parts, decoded.
type Parsed struct {
	Header  netmail.Header
	Subject string
	To      string
	Date    time.Time
	Text    string
	HTML    string
	Raw     []byte
}

// Parse reads a message such as message writes: a text part and an HTML
// alternative (or a single part), quoted-printable or not.
func Parse(raw []byte) (Parsed, error) {
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Parsed{}, err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		subject = m.Header.Get("Subject")
	}
	p := Parsed{Header: m.Header, Subject: subject, To: m.Header.Get("To"), Raw: raw}
	p.Date, _ = m.Header.Date()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return Parsed{}, fmt.Errorf("content type: %w", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := decodePart(m.Body, m.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return Parsed{}, err
		}
		p.setPart(mt, body)
		return p, nil
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return Parsed{}, fmt.Errorf("parts: %w", err)
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		body, err := decodePart(part, part.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return Parsed{}, err
		}
		p.setPart(pt, body)
	}
}

func (p *Parsed) setPart(mediaType, body string) {
	switch mediaType {
	case "text/plain":
		p.Text = body
	case "text/html":
		p.HTML = body
	}
}

func decodePart(r io.Reader, enc string) (string, error) {
	switch strings.ToLower(enc) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("decode part: %w", err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}
