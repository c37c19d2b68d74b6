package main

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/crashtest"
)

// crashChild is the command that runs this test binary as `wantsms ARGS`.
func crashChild(t *testing.T) func(args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return func(args ...string) *exec.Cmd {
		cmd := exec.Command(exe, args...)
		cmd.Env = append(os.Environ(), crashChildEnv+"=1")
		return cmd
	}
}

// Two instances on one PostgreSQL: a number reserved on the one that
// watches the open numbers, that one killed with SIGKILL; the other takes
// over and refunds the number at its end, exactly once.
func TestInstancesTakeOverAfterSIGKILL(t *testing.T) {
	rep := crashtest.KillLeader(t, crashChild(t), postgresURL(t))
	t.Logf("reservation %d ended %s, %v after the kill, %d refund", rep.Reservation, rep.State,
		rep.Ended.Round(time.Millisecond), rep.Refunds)
}
