package service

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/tui/sshserver"
)

// maxHostKeyFile bounds the key file read for --host-key-file: an RSA
// key of 16,384 bits is under 13 KiB.
const maxHostKeyFile = 64 << 10

// hostKey chooses the SSH host key, so that every instance behind one
// address presents the same one: the file Config.HostKeyFile names when
// set; else, on PostgreSQL, the key kept in the database (the first
// instance to start stores a new one, the others read it); else the data
// directory's key file, made on the first start, as on one machine.
func (s *Service) hostKey(cfg *sshserver.Config) error {
	var from string
	switch {
	case s.cfg.HostKeyFile != "":
		key, err := readHostKeyFile(s.cfg.HostKeyFile, s.log)
		if err != nil {
			return err
		}
		cfg.HostKeyPEM, from = key, s.cfg.HostKeyFile
	case s.Store.OnPostgres():
		candidate, err := newHostKey()
		if err != nil {
			return err
		}
		if cfg.HostKeyPEM, err = s.Store.HostKey(context.Background(), candidate); err != nil {
			return err
		}
		from = "the database"
	default:
		cfg.HostKeyPath = filepath.Join(s.cfg.DataDir, HostKeyFile)
		return nil
	}
	signer, err := gossh.ParsePrivateKey(cfg.HostKeyPEM)
	if err != nil {
		return fmt.Errorf("ssh host key from %s: %w", from, err)
	}
	s.log.Info("ssh host key", "fingerprint", gossh.FingerprintSHA256(signer.PublicKey()), "from", from)
	return nil
}

// readHostKeyFile reads the operator's host key file. It must exist: a
// key made here would differ from the other instances' (make one with
// ssh-keygen). A file others may read is used, with a warning, since
// mounted secrets often come so.
func readHostKeyFile(path string, log *slog.Logger) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--host-key-file %s does not exist: make the key once (ssh-keygen -t ed25519 -N '' -f %s) "+
			"and give every instance a copy", path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("--host-key-file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the ssh host key file is readable by others than its owner", "path", path,
			"mode", fi.Mode().Perm().String())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxHostKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("--host-key-file %s: %w", path, err)
	}
	if len(b) > maxHostKeyFile {
		return nil, fmt.Errorf("--host-key-file %s: larger than %d bytes, not a key", path, maxHostKeyFile)
	}
	if _, err := gossh.ParsePrivateKey(b); err != nil {
		var missing *gossh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("--host-key-file %s: the key has a passphrase; a host key must have none", path)
		}
		return nil, fmt.Errorf("--host-key-file %s: not a private key: %w", path, err)
	}
	return b, nil
}

// newHostKey makes an ed25519 key in OpenSSH's PEM, as the data
// directory's key file is.
func newHostKey() ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("new host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, fmt.Errorf("new host key: %w", err)
	}
	return pem.EncodeToMemory(block), nil
}
