package sshterm

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// Run runs command without a PTY, like `ssh host command`, feeding it stdin
// (nil for none) and returning what it wrote to stdout and stderr and its
// exit status: 0 on success, N when it exited with N (err is nil then). err
// reports connection failures, a session that ended without an exit status,
// and ctx ending, which also closes the connection.
func Run(ctx context.Context, o Options, command string, stdin io.Reader) (stdout, stderr []byte, exitStatus int, err error) {
	o = o.withDefaults()
	client, _, err := connect(ctx, o)
	if err != nil {
		return nil, nil, -1, err
	}
	defer client.Close()
	stop := context.AfterFunc(ctx, func() { _ = client.Close() })
	defer stop()

	sess, err := client.NewSession()
	if err != nil {
		return nil, nil, -1, fmt.Errorf("open session on %s: %w", o.Addr, err)
	}
	defer sess.Close()
	if err := setEnv(sess, o.Env); err != nil {
		return nil, nil, -1, err
	}
	var out, errOut bytes.Buffer
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, &out, &errOut
	exitStatus, err = exitResult(sess.Run(command))
	if err != nil && ctx.Err() != nil {
		err = ctx.Err() // the connection was closed because ctx ended
	}
	if err != nil {
		err = fmt.Errorf("run %q on %s: %w", command, o.Addr, err)
	}
	return out.Bytes(), errOut.Bytes(), exitStatus, err
}
