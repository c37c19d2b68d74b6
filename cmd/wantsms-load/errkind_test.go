package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestErrorKinds(t *testing.T) {
	dialErr := func(errno syscall.Errno) error {
		return fmt.Errorf("dial 127.0.0.1:1: %w", &net.OpError{Op: "dial", Net: "tcp",
			Err: &os.SyscallError{Syscall: "connect", Err: errno}})
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{dialErr(syscall.ECONNREFUSED), kindRefused},
		{dialErr(syscall.EMFILE), kindFiles},
		{dialErr(syscall.ECONNRESET), kindReset},
		{fmt.Errorf("ssh handshake with x: %w", context.DeadlineExceeded), kindTimeout},
		{errors.New("ssh handshake with 127.0.0.1:2 as \"load\": ssh: unable to authenticate"), kindHandshake},
		{errors.New("open stream session on x: request pty xterm 80x24: ssh: pty-req failed"), kindSession},
		{errNotReady{marker: "a@b.c"}, kindNotReady},
		{fmt.Errorf("wrapped: %w", errNotReady{marker: "a@b.c", ended: true}), kindEnded},
		{errors.New("something new"), kindOther},
	} {
		if got := errorKind(tc.err); got != tc.want {
			t.Errorf("errorKind(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
