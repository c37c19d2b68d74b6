package sshterm

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// maxRaw bounds the copy of received bytes kept for Raw, so long sessions
// do not grow without bound; 1 MiB holds hundreds of full-screen frames.
const maxRaw = 1 << 20

// oscClipboard is the OSC number for clipboard access (xterm's OSC 52).
const oscClipboard = 52

// screenWriter receives the session's stdout and stderr.
type screenWriter struct{ t *Term }

func (w screenWriter) Write(p []byte) (int, error) {
	t := w.t
	t.outMu.Lock()
	defer t.outMu.Unlock()
	t.keepRaw(p)
	// Not under t.mu: the emulator may block until forwardInput has taken
	// its answer to a query, and its callbacks take t.mu.
	_, _ = t.emu.Write(p)
	t.notify()
	return len(p), nil
}

func (t *Term) keepRaw(p []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.raw = append(t.raw, p...)
	// Trim only once twice the bound is reached, so copying stays
	// amortised O(1) per byte.
	if len(t.raw) > 2*maxRaw {
		t.raw = append([]byte(nil), t.raw[len(t.raw)-maxRaw:]...)
	}
}

// notify wakes every waiter: the screen may have changed.
func (t *Term) notify() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastOut = time.Now()
	close(t.changed)
	t.changed = make(chan struct{})
}

// hookEmulator registers the callbacks that record bells and clipboard
// writes; it must run before the first byte reaches the emulator.
func (t *Term) hookEmulator() {
	t.emu.SetCallbacks(vt.Callbacks{Bell: func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.bells++
	}})
	t.emu.RegisterOscHandler(oscClipboard, func(data []byte) bool {
		// data is "52;<selection>;<base64>"; "?" asks to read the clipboard,
		// which a test terminal does not answer.
		parts := bytes.SplitN(data, []byte{';'}, 3)
		if len(parts) != 3 {
			return true
		}
		text, err := base64.StdEncoding.DecodeString(string(parts[2]))
		if err != nil {
			return true
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		t.clipboard = string(text)
		return true
	})
}

// A server may write one frame in several pieces (WantSMS writes at most
// a kilobyte at a time), as a network splits it anyway: Screen reads the
// screen once output has paused for frameGap, or after maxSettle of
// steady output, so a test does not look at half a frame.
const (
	frameGap  = 20 * time.Millisecond
	maxSettle = 500 * time.Millisecond
)

// settle waits for a pause in the output.
func (t *Term) settle() {
	deadline := time.Now().Add(maxSettle)
	for {
		t.mu.Lock()
		quiet := time.Since(t.lastOut)
		t.mu.Unlock()
		if quiet >= frameGap || time.Now().After(deadline) {
			return
		}
		time.Sleep(frameGap - quiet)
	}
}

// Screen returns the visible screen as plain text: one line per row,
// trailing spaces trimmed, joined by "\n", once output has paused.
func (t *Term) Screen() string {
	t.settle()
	return t.screenNow()
}

// screenNow is the screen as received so far, perhaps part of a frame.
func (t *Term) screenNow() string {
	// Render takes the emulator's lock once, so the snapshot is consistent;
	// Strip then drops the styling it adds.
	lines := strings.Split(ansi.Strip(t.emu.Render()), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// Raw returns a copy of the last bytes received (at most 1 MiB), escape
// sequences included.
func (t *Term) Raw() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	start := max(0, len(t.raw)-maxRaw)
	return bytes.Clone(t.raw[start:])
}

// Clipboard returns the text of the last OSC 52 clipboard write received.
func (t *Term) Clipboard() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.clipboard
}

// Bells returns how many BEL characters the terminal has rung.
func (t *Term) Bells() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bells
}

// WaitFor waits until text appears on the screen.
func (t *Term) WaitFor(timeout time.Duration, text string) error {
	return t.WaitUntil(timeout, fmt.Sprintf("wait for %q", text), func(screen string) bool {
		return strings.Contains(screen, text)
	})
}

// WaitGone waits until text is no longer on the screen.
func (t *Term) WaitGone(timeout time.Duration, text string) error {
	return t.WaitUntil(timeout, fmt.Sprintf("wait for %q to go", text), func(screen string) bool {
		return !strings.Contains(screen, text)
	})
}

// WaitForMatch waits until re matches the screen and returns the match and
// its submatches, as regexp.FindStringSubmatch does.
func (t *Term) WaitForMatch(timeout time.Duration, re *regexp.Regexp) ([]string, error) {
	var m []string
	err := t.WaitUntil(timeout, fmt.Sprintf("wait for /%s/", re), func(screen string) bool {
		m = re.FindStringSubmatch(screen)
		return m != nil
	})
	return m, err
}

// WaitForFirst waits until text appears in what has been received,
// without waiting for the rest of its frame (as WaitFor does): for timing
// how soon it arrives.
func (t *Term) WaitForFirst(timeout time.Duration, text string) error {
	return t.waitUntil(timeout, fmt.Sprintf("wait for %q", text), t.screenNow, func(screen string) bool {
		return strings.Contains(screen, text)
	})
}

// WaitUntil waits until ok accepts the screen. It checks again each time
// output arrives, and fails when timeout passes or the session ends first;
// the error names what was awaited (what) and includes the whole screen.
func (t *Term) WaitUntil(timeout time.Duration, what string, ok func(screen string) bool) error {
	return t.waitUntil(timeout, what, t.Screen, ok)
}

// waitUntil is WaitUntil reading the screen with read.
func (t *Term) waitUntil(timeout time.Duration, what string, read func() string, ok func(screen string) bool) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		// Take the channel before reading the screen, so output arriving
		// in between still wakes us.
		t.mu.Lock()
		changed := t.changed
		t.mu.Unlock()
		ended := t.ended()
		if ok(read()) {
			return nil
		}
		if ended {
			return fmt.Errorf("%s: %w; screen:\n%s", what, ErrEnded, t.Screen())
		}
		select {
		case <-changed:
		case <-timer.C:
			return fmt.Errorf("%s: not seen after %v; screen:\n%s", what, timeout, t.Screen())
		}
	}
}
