package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/store"
)

// backup writes a backup of a data directory that no kefu serve holds (for
// a running server use GET /agent/api/backup).
func backup(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kefu backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("KEFU_DATA", "./data"), "data directory (KEFU_DATA)")
	out := fs.String("out", "-", "backup file; - for standard output")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	s, err := store.OpenBadger(*data, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return fmt.Errorf("%w (a running kefu serve is backed up with GET /agent/api/backup)", err)
	}
	defer s.Close()
	w := stdout
	if *out != "-" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("backup file: %w", err)
		}
		defer f.Close()
		w = f
	}
	return s.Backup(w)
}

// restore loads a backup into an empty data directory.
func restore(args []string, stdin io.Reader, stderr io.Writer) error {
	fs := flag.NewFlagSet("kefu restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("KEFU_DATA", "./data"), "empty data directory to restore into (KEFU_DATA)")
	in := fs.String("in", "-", "backup file; - for standard input")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	r := stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return fmt.Errorf("backup file: %w", err)
		}
		defer f.Close()
		r = f
	}
	return bot.Restore(*data, r, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}
