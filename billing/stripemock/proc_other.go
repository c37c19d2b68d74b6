//go:build !unix

package stripemock

import "os/exec"

func setGroup(*exec.Cmd) {}

// stop kills the child and reaps it; without process groups only the child
// itself is reached.
func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}
