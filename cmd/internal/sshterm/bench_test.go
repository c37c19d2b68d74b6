package sshterm

import (
	"testing"

	cssh "github.com/charmbracelet/ssh"
)

// BenchmarkDialToFirstFrame measures connect, handshake, PTY and shell up
// to the program's first frame. wish's MakeRenderer asks the terminal for
// its background colour and waits up to 1 s (emulated PTY) or 2 s (real
// PTY) for the answer, so a figure far below that shows the emulator's
// answers reach the server.
func BenchmarkDialToFirstFrame(b *testing.B) {
	for _, bc := range []struct {
		name string
		pty  cssh.Option
	}{
		{"emulated-pty", cssh.EmulatePty()},
		{"allocated-pty", cssh.AllocatePty()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := startServer(b, nil, bc.pty)
			o := Options{Addr: srv.addr, KeyboardInteractive: true}
			for b.Loop() {
				term, err := Dial(b.Context(), o)
				if err != nil {
					b.Fatal(err)
				}
				if err := term.WaitFor(wait, "size: 80x24"); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				// Quit rather than drop the connection: see TestAllocatedPty.
				if err := term.Type("q"); err != nil {
					b.Fatal(err)
				}
				if _, err := term.Wait(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
