package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
)

// Error kinds in reports, from the earliest stage that failed.
const (
	kindFiles     = "too many open files" // this tool hit its RLIMIT_NOFILE
	kindRefused   = "connection refused"
	kindReset     = "connection reset"
	kindTimeout   = "connect timeout"   // TCP or SSH set-up too slow
	kindHandshake = "ssh handshake"     // key exchange or authentication failed
	kindSession   = "session refused"   // PTY or shell refused
	kindNotReady  = "dashboard timeout" // connected, screen never ready
	kindEnded     = "ended before ready"
	kindDropped   = "dropped during hold"
	kindOther     = "other"
)

// errorKind sorts a failed session into a report line.
func errorKind(err error) string {
	var nr errNotReady
	switch {
	case errors.As(err, &nr) && nr.ended:
		return kindEnded
	case errors.As(err, &nr):
		return kindNotReady
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return kindFiles
	case errors.Is(err, syscall.ECONNREFUSED):
		return kindRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return kindReset
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return kindTimeout
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "ssh handshake"):
		return kindHandshake
	case strings.Contains(msg, "request pty"), strings.Contains(msg, "open session"),
		strings.Contains(msg, "start "):
		return kindSession
	}
	return kindOther
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
