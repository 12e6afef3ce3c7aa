package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
	"github.com/kefu-dev/kefu/kb"
)

// chat runs a conversation in the terminal: the bot's buttons are numbered
// choices, and typing a number presses one.
func chat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kefu chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("KEFU_DATA", "./data"), "data directory (KEFU_DATA); not one a running kefu serve holds")
	demo := fs.Bool("demo", envBool("KEFU_DEMO"), "seed demo members into an empty data directory and show codes in chat (KEFU_DEMO)")
	lang := fs.String("lang", "zh-CN", "language to start in: zh-CN or en")
	user := fs.String("user", "terminal", "who you are to kefu: your conversation resumes under this name")
	tz := fs.String("tz", env("KEFU_TZ", "Asia/Shanghai"), "time zone of shown times (KEFU_TZ)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	hint, ok := dialog.ParseLang(*lang)
	if !ok {
		return fmt.Errorf("--lang %q: use zh-CN or en", *lang)
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("--tz %q is not a known time zone", *tz)
	}
	articles, _ := kb.Demo(bot.DemoArticleFacts()) // the tests keep the demo set free of problems
	rt, err := bot.Open(bot.Config{
		Answers:  kb.NewLibrary(articles),
		DataDir:  *data,
		Demo:     *demo,
		Location: loc,
		Log:      slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	defer rt.Close()

	id, created, err := rt.Resolve(ctx, "cli", *user)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var buttons []bot.MessageButton
	out := bufio.NewWriter(stdout)
	unsubscribe, err := rt.Subscribe(id, func(m bot.Message) {
		mu.Lock()
		defer mu.Unlock()
		if m.From == bot.FromMember {
			return
		}
		printMessage(out, m)
		if len(m.Buttons) > 0 {
			buttons = m.Buttons
		}
		out.Flush()
	})
	if err != nil {
		return err
	}
	defer unsubscribe()

	if created {
		err = rt.Start(ctx, id, hint, "")
	} else {
		err = rt.Handle(ctx, id, dialog.InputButton, dialog.ValueContinue, hint)
	}
	if err != nil {
		return err
	}
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	// The runtime's messages arrive on its goroutines (a receipt from its
	// delivery, for one): every write to out holds mu.
	write := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprint(out, s)
		out.Flush()
	}
	for ctx.Err() == nil {
		write("> ")
		if !in.Scan() {
			break
		}
		line := in.Text()
		if strings.TrimSpace(line) == "/quit" {
			break
		}
		kind, text := dialog.InputText, line
		mu.Lock()
		if n, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && n >= 1 && n <= len(buttons) {
			kind, text = dialog.InputButton, buttons[n-1].Value
		}
		mu.Unlock()
		// A too-long line was answered in the conversation like any other.
		if err := rt.Handle(ctx, id, kind, text, hint); err != nil && !errors.Is(err, bot.ErrTooLong) {
			return err
		}
	}
	write("\n")
	return in.Err()
}

func printMessage(w io.Writer, m bot.Message) {
	prefix := "kefu"
	if m.From != bot.FromBot {
		prefix = m.From
	}
	for i, line := range strings.Split(m.Text, "\n") {
		if i == 0 {
			fmt.Fprintf(w, "%s: %s\n", prefix, line)
		} else {
			fmt.Fprintf(w, "%s  %s\n", strings.Repeat(" ", len(prefix)), line)
		}
	}
	for i, b := range m.Buttons {
		fmt.Fprintf(w, "   %d) %s\n", i+1, b.Label)
	}
}
