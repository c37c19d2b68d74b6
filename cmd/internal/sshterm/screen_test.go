package sshterm

import (
	"bytes"
	"testing"
)

func TestRawKeepsOnlyTheLastMiB(t *testing.T) {
	var term Term
	var all []byte
	for i := range 5 {
		chunk := bytes.Repeat([]byte{byte('a' + i)}, maxRaw/2+1)
		all = append(all, chunk...)
		term.keepRaw(chunk)
	}
	got := term.Raw()
	if !bytes.Equal(got, all[len(all)-maxRaw:]) {
		t.Errorf("Raw() holds %d bytes, not the last %d received", len(got), maxRaw)
	}
	if cap(term.raw) > 3*maxRaw {
		t.Errorf("raw buffer grew to %d bytes", cap(term.raw))
	}
}
