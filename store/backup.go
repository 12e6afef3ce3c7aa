package store

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// A backup is a tar stream with one Badger backup stream per database
// (ledger.badger, state.badger). It can be taken while kefu runs.

// Backup writes a full backup of the store to w.
func (s *Badger) Backup(w io.Writer) error {
	tw := tar.NewWriter(w)
	for _, part := range s.parts() {
		tmp, err := os.CreateTemp("", "kefu-backup-*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if _, err := part.db.Backup(tmp, 0); err != nil {
			return fmt.Errorf("back up %s: %w", part.name, err)
		}
		size, err := tmp.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		hdr := &tar.Header{Name: part.name + ".badger", Mode: 0o600, Size: size, ModTime: time.Now()}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tmp); err != nil {
			return err
		}
	}
	return tw.Close()
}

type storePart struct {
	name string
	db   *badger.DB
}

func (s *Badger) parts() []storePart {
	return []storePart{{"ledger", s.ledger.db}, {"state", s.state.db}}
}

// Reclaim rewrites value-log files that are mostly deleted entries, so
// deleted data leaves the disk and not only the index.
func (s *Badger) Reclaim() {
	for _, p := range s.parts() {
		for p.db.RunValueLogGC(0.5) == nil {
		}
	}
}

// Restore loads a backup into dir, which must not hold a store yet.
func Restore(dir string, r io.Reader, log *slog.Logger) error {
	for _, name := range []string{"ledger", "state"} {
		if entries, err := os.ReadDir(filepath.Join(dir, name)); err == nil && len(entries) > 0 {
			return fmt.Errorf("data directory %s already holds a store: restore into an empty one", dir)
		}
	}
	s, err := OpenBadger(dir, log)
	if err != nil {
		return err
	}
	tr := tar.NewReader(r)
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.Close()
			return fmt.Errorf("read backup: %w", err)
		}
		var db *badger.DB
		for _, p := range s.parts() {
			if hdr.Name == p.name+".badger" {
				db = p.db
				seen[p.name] = true
			}
		}
		if db == nil {
			s.Close()
			return fmt.Errorf("read backup: unexpected entry %q: not a kefu backup", hdr.Name)
		}
		if err := db.Load(tr, 256); err != nil {
			s.Close()
			return fmt.Errorf("restore %s: %w", hdr.Name, err)
		}
	}
	if err := s.Close(); err != nil {
		return err
	}
	if !seen["ledger"] || !seen["state"] {
		return errors.New("read backup: incomplete: not a kefu backup")
	}
	return nil
}
