// Command kefu is the membership customer-service agent: `kefu serve` runs
// everything, `kefu chat` talks to the engine in a terminal, `kefu intent`
// runs the NLU alone.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/kefu-dev/kefu/dialog"
)

const usage = `kefu — membership customer service

Usage:
  kefu serve [flags]   run the help-center page, the chat channels and the APIs
  kefu chat [flags]    chat with the bot in this terminal
  kefu intent          read one utterance a line, print intent<TAB>lang
  kefu backup [flags]  write a backup of a data directory no server holds
  kefu restore [flags] load a backup into an empty data directory
  kefu help            this text

Run "kefu serve -h" or "kefu chat -h" for flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "kefu:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "chat":
		return chat(ctx, args[1:], stdin, stdout, stderr)
	case "intent":
		return intent(stdin, stdout)
	case "backup":
		return backup(args[1:], stdout, stderr)
	case "restore":
		return restore(args[1:], stdin, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}

// intent prints the NLU's reading of each input line (DESIGN §5).
func intent(stdin io.Reader, stdout io.Writer) error {
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	for in.Scan() {
		line := in.Text()
		lang, ok := dialog.DetectLang(line)
		if !ok {
			lang = dialog.ZH
		}
		fmt.Fprintf(out, "%s\t%s\n", dialog.Classify(line), lang)
	}
	return in.Err()
}
