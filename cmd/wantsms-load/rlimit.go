package main

import (
	"fmt"
	"syscall"
)

// fdMargin is the open files the load tool needs besides one socket per
// session: standard streams, /proc reads, the keys file, the Go runtime's
// poller, a throw-away sshd's files.
const fdMargin = 64

// raiseOpenFiles makes sure this process may hold need open files: it
// raises the soft RLIMIT_NOFILE up to the hard one (Go already does that
// at start-up), and the hard one too where the process may (root). It
// returns the limit in force.
func raiseOpenFiles(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("read open-files limit: %w", err)
	}
	if lim.Cur >= need {
		return lim.Cur, nil
	}
	if lim.Max < need {
		// Only a privileged process may raise the hard limit; try, and
		// fall back to the hard limit as it is.
		raised := syscall.Rlimit{Cur: need, Max: need}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return need, nil
		}
	}
	lim.Cur = min(need, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("raise open-files limit to %d: %w", lim.Cur, err)
	}
	return lim.Cur, nil
}
