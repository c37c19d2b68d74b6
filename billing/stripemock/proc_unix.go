//go:build unix

package stripemock

import (
	"os/exec"
	"syscall"
)

// setGroup puts the child in its own process group so stop reaches any
// process it starts as well.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// stop kills the whole process group and reaps the child.
func stop(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
}
