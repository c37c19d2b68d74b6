// Package e2e holds WantSMS's end-to-end tests: the real service started by
// cmd/internal/testenv on loopback ports, driven by a real SSH client that
// requests a PTY, types keys and reads the screen.
package e2e
