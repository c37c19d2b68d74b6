package sshterm

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	cssh "github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	bm "github.com/charmbracelet/wish/bubbletea"
	"golang.org/x/crypto/ssh"
)

// testServer is a real wish SSH server on 127.0.0.1 serving a small
// bubbletea program for shells and a few plain handlers for commands.
type testServer struct {
	addr    string
	hostKey ssh.Signer
}

// startServer starts a server with the given host key (a fresh one when
// nil) and PTY option (cssh.EmulatePty or cssh.AllocatePty); it stops
// when the test ends.
func startServer(tb testing.TB, hostKey ssh.Signer, ptyOpt cssh.Option) testServer {
	tb.Helper()
	if hostKey == nil {
		hostKey = newTestKey(tb)
	}
	srv, err := wish.NewServer(
		func(s *cssh.Server) error { s.AddHostKey(hostKey); return nil },
		wish.WithPublicKeyAuth(func(cssh.Context, cssh.PublicKey) bool { return true }),
		wish.WithKeyboardInteractiveAuth(func(cssh.Context, ssh.KeyboardInteractiveChallenge) bool { return true }),
		ptyOpt,
		// The last middleware runs first: the program for shells, then commands.
		wish.WithMiddleware(commandMiddleware, bm.Middleware(teaHandler)),
	)
	if err != nil {
		tb.Fatalf("new server: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, cssh.ErrServerClosed) {
			tb.Errorf("serve: %v", err)
		}
	}()
	tb.Cleanup(func() {
		_ = srv.Close()
		<-served
	})
	return testServer{addr: ln.Addr().String(), hostKey: hostKey}
}

func newTestKey(tb testing.TB) ssh.Signer {
	tb.Helper()
	k, err := NewKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// teaHandler serves the program for shells; commands fall through.
func teaHandler(s cssh.Session) (tea.Model, []tea.ProgramOption) {
	if len(s.Command()) > 0 {
		return nil, nil
	}
	pty, _, _ := s.Pty()
	key := "none"
	if s.PublicKey() != nil {
		key = ssh.FingerprintSHA256(s.PublicKey())
	}
	m := &testModel{
		// MakeRenderer queries the client terminal's background colour.
		title: bm.MakeRenderer(s).NewStyle().Bold(true),
		user:  s.User(), key: key, env: s.Environ(),
		w: pty.Window.Width, h: pty.Window.Height,
	}
	return m, []tea.ProgramOption{tea.WithAltScreen()}
}

// testModel echoes what is typed, shows the last key and the window size,
// takes Enter and quits on q.
type testModel struct {
	title                lipgloss.Style
	user, key            string
	env                  []string
	typed, entered, last string
	w, h                 int
}

func (m *testModel) Init() tea.Cmd { return nil }

func (m *testModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case tea.KeyMsg:
		m.last = msg.String()
		switch msg.Type {
		case tea.KeyEnter:
			m.entered, m.typed = m.typed, ""
		case tea.KeyBackspace:
			if r := []rune(m.typed); len(r) > 0 {
				m.typed = string(r[:len(r)-1])
			}
		case tea.KeyRunes, tea.KeySpace:
			if msg.String() == "q" {
				return m, tea.Quit
			}
			m.typed += string(msg.Runes)
		}
	}
	return m, nil
}

func (m *testModel) View() string {
	return strings.Join([]string{
		m.title.Render(fmt.Sprintf("hello %s key=%s", m.user, m.key)),
		"env: " + strings.Join(m.env, " "),
		"typed: " + m.typed,
		"entered: " + m.entered,
		"last key: " + m.last,
		fmt.Sprintf("size: %dx%d", m.w, m.h),
	}, "\n")
}

// commandMiddleware runs the test commands:
//
//	status N  (no PTY) copy stdin to stdout, "oops" to stderr, exit N
//	keys      (PTY) print each input read as `got "<bytes>"`
//	clip TEXT (PTY) copy TEXT by OSC 52, ring the bell, print "copied"
//	query     (PTY) ask for primary device attributes, print the reply
func commandMiddleware(next cssh.Handler) cssh.Handler {
	return func(s cssh.Session) {
		cmd := s.Command()
		if len(cmd) == 0 {
			next(s)
			return
		}
		switch cmd[0] {
		case "status":
			runStatus(s, cmd[1:])
		case "keys":
			runKeys(s)
		case "clip":
			runClip(s, cmd[1:])
		case "query":
			runQuery(s)
		default:
			wish.Fatalln(s, "unknown command", cmd[0])
		}
	}
}

func runStatus(s cssh.Session, args []string) {
	code, err := strconv.Atoi(strings.Join(args, ""))
	if err != nil {
		wish.Fatalln(s, "status: want a number")
		return
	}
	_, _ = io.Copy(s, s)
	_, _ = io.WriteString(s.Stderr(), "oops")
	_ = s.Exit(code)
}

func runKeys(s cssh.Session) {
	buf := make([]byte, 64)
	for {
		n, err := s.Read(buf)
		if err != nil {
			return
		}
		if _, err := fmt.Fprintf(s, "got %q\n", buf[:n]); err != nil {
			return
		}
	}
}

func runClip(s cssh.Session, args []string) {
	text := base64.StdEncoding.EncodeToString([]byte(strings.Join(args, " ")))
	_, _ = fmt.Fprintf(s, "\x1b]52;c;%s\a\acopied\n", text)
}

func runQuery(s cssh.Session) {
	_, _ = io.WriteString(s, "\x1b[c")
	var reply []byte
	buf := make([]byte, 1)
	for !bytes.HasSuffix(reply, []byte("c")) {
		if _, err := s.Read(buf); err != nil {
			return
		}
		reply = append(reply, buf[0])
	}
	_, _ = fmt.Fprintf(s, "reply %q\n", reply)
}
