package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/channels/agent"
	"github.com/kefu-dev/kefu/internal/clientip"
	"github.com/kefu-dev/kefu/store"
)

// Config is kefu serve's configuration (DESIGN §5): flags, with environment
// variables as fallbacks.
type Config struct {
	Addr            string
	Data            string
	Store           string // postgres://…: several instances on one PostgreSQL; empty: the embedded store in Data
	Demo            bool
	DemoExtra       int
	TelegramToken   string
	TelegramAPI     string
	TelegramWebhook string
	Agents          map[string]string // name → token
	AllowedOrigins  []string
	MsgRate         float64
	TZ              *time.Location
	AgentHours      *bot.ServiceHours // nil: agents work around the clock
	Retention       time.Duration     // how long transcripts are kept after a conversation's last message
	OrderRetention  time.Duration     // how long work orders are kept
	MembersURL      string            // the platform's member API; empty: the embedded demo store
	MembersToken    string
	NotifyURL       string // the platform's SMS/email service; empty: notices are logged
	NotifySecret    string
	PublicURL       string         // kefu's public base URL, for links in notices
	ReminderLead    time.Duration  // renewal reminders this long before; 0: none
	Pprof           string         // listen address of net/http/pprof; empty: off
	TrustedProxies  []netip.Prefix // reverse proxies whose X-Forwarded-For is believed
	KB              string         // a directory of help-center articles; empty: the demo set
	MinFreeDisk     uint64         // below this much free space in Data, new turns and work orders are refused; 0: not watched
	Replies         []agent.Reply  // canned replies, from the config file only; --demo adds some when there are none
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(env(name, "false"))
	return b
}

func envInt(name string, def int) int {
	n, err := strconv.Atoi(env(name, strconv.Itoa(def)))
	if err != nil {
		return def
	}
	return n
}

// parseServe reads kefu serve's flags.
func parseServe(args []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("kefu serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	var agents, origins, proxies, tz, rate, hours, retention, orderRetention, reminderLead, minFree, configFile string
	fs.StringVar(&c.Addr, "addr", env("KEFU_ADDR", "127.0.0.1:8080"), "listen address (KEFU_ADDR)")
	fs.StringVar(&c.Data, "data", env("KEFU_DATA", "./data"), "data directory of the embedded store (KEFU_DATA)")
	fs.StringVar(&c.Store, "store", env("KEFU_STORE", ""), "postgres://… to run several instances on one PostgreSQL; empty: the embedded store in --data (KEFU_STORE)")
	fs.BoolVar(&c.Demo, "demo", envBool("KEFU_DEMO"), "seed demo members into an empty data directory, show codes in chat, add agent demo:demo (KEFU_DEMO)")
	fs.IntVar(&c.DemoExtra, "demo-extra", envInt("KEFU_DEMO_EXTRA", 0), "with --demo: also seed N synthetic members 15000000000+i (KEFU_DEMO_EXTRA)")
	fs.StringVar(&c.TelegramToken, "telegram-token", env("KEFU_TELEGRAM_TOKEN", ""), "Telegram bot token; empty: Telegram off (KEFU_TELEGRAM_TOKEN)")
	fs.StringVar(&c.TelegramAPI, "telegram-api", env("KEFU_TELEGRAM_API", "https://api.telegram.org"), "Telegram Bot API base URL (KEFU_TELEGRAM_API)")
	fs.StringVar(&c.TelegramWebhook, "telegram-webhook", env("KEFU_TELEGRAM_WEBHOOK", ""), "public webhook URL; empty: long polling (KEFU_TELEGRAM_WEBHOOK)")
	fs.StringVar(&agents, "agents", env("KEFU_AGENTS", ""), "agents as name:token,… (KEFU_AGENTS)")
	fs.StringVar(&origins, "allowed-origins", env("KEFU_ALLOWED_ORIGINS", ""), "origins allowed to embed the widget, comma-separated; empty: same origin only (KEFU_ALLOWED_ORIGINS)")
	fs.StringVar(&proxies, "trusted-proxies", env("KEFU_TRUSTED_PROXIES", ""), "reverse proxies (addresses or prefixes, comma-separated) whose X-Forwarded-For gives the client address that limits count by; empty: none (KEFU_TRUSTED_PROXIES)")
	fs.StringVar(&rate, "msg-rate", env("KEFU_MSG_RATE", "5"), "member messages per second per conversation, burst 20; 0: no limit (KEFU_MSG_RATE)")
	fs.StringVar(&tz, "tz", env("KEFU_TZ", "Asia/Shanghai"), "time zone of work-order dates and shown times (KEFU_TZ)")
	fs.StringVar(&hours, "agent-hours", env("KEFU_AGENT_HOURS", ""), "when agents answer, HH:MM-HH:MM in --tz; empty: always (KEFU_AGENT_HOURS)")
	fs.StringVar(&retention, "retention", env("KEFU_RETENTION", "365d"), "how long transcripts are kept after a conversation's last message, e.g. 180d (KEFU_RETENTION)")
	fs.StringVar(&orderRetention, "order-retention", env("KEFU_ORDER_RETENTION", "1096d"), "how long work orders are kept; at least 3 years is advised (KEFU_ORDER_RETENTION)")
	fs.StringVar(&c.MembersURL, "members-url", env("KEFU_MEMBERS_URL", ""), "the platform's member API (README); empty: the embedded demo store (KEFU_MEMBERS_URL)")
	fs.StringVar(&c.MembersToken, "members-token", env("KEFU_MEMBERS_TOKEN", ""), "bearer token for --members-url (KEFU_MEMBERS_TOKEN)")
	fs.StringVar(&c.NotifyURL, "notify-url", env("KEFU_NOTIFY_URL", ""), "where codes, receipts and reminders are POSTed (README); empty: logged only (KEFU_NOTIFY_URL)")
	fs.StringVar(&c.NotifySecret, "notify-secret", env("KEFU_NOTIFY_SECRET", ""), "signs every notice (X-Kefu-Signature); required with --notify-url (KEFU_NOTIFY_SECRET)")
	fs.StringVar(&c.KB, "kb", env("KEFU_KB", ""), "a directory of help-center articles (Markdown); empty: the built-in demo set (KEFU_KB)")
	fs.StringVar(&c.PublicURL, "public-url", env("KEFU_PUBLIC_URL", ""), "kefu's public base URL, for receipt verification links (KEFU_PUBLIC_URL)")
	fs.StringVar(&reminderLead, "reminder-lead", env("KEFU_REMINDER_LEAD", "5d"), "remind members this long before an auto-renewal; 0: no reminders (KEFU_REMINDER_LEAD)")
	fs.StringVar(&minFree, "min-free-disk", env("KEFU_MIN_FREE_DISK", fmt.Sprintf("%dMiB", store.DefaultMinFree>>20)), "below this much free space in --data, new turns and work orders are refused politely until space returns, e.g. 1GiB; 0: not watched (KEFU_MIN_FREE_DISK)")
	fs.StringVar(&c.Pprof, "pprof", env("KEFU_PPROF", ""), "serve Go profiles (net/http/pprof) on this separate address, e.g. 127.0.0.1:6060; empty: off (KEFU_PPROF)")
	fs.StringVar(&configFile, "config", env("KEFU_CONFIG", ""), "a TOML file setting any of these flags by name; flags given here win (KEFU_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return c, errUsage
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.Replies, err = applyConfigFile(fs, configFile); err != nil {
		return c, err
	}
	if strings.TrimSpace(reminderLead) == "0" {
		c.ReminderLead = 0
	} else if c.ReminderLead, err = parseDays("--reminder-lead", reminderLead); err != nil {
		return c, err
	}
	if c.Store != "" && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
		return c, fmt.Errorf("--store %q: give a postgres://user@host/db URL, or nothing for the embedded store in --data", redactURL(c.Store))
	}
	if c.NotifyURL != "" && c.NotifySecret == "" {
		return c, fmt.Errorf("--notify-url needs --notify-secret, so the platform can check that notices come from kefu")
	}
	if c.TZ, err = time.LoadLocation(tz); err != nil {
		return c, fmt.Errorf("--tz %q is not a known time zone", tz)
	}
	if c.MsgRate, err = strconv.ParseFloat(rate, 64); err != nil || c.MsgRate < 0 {
		return c, fmt.Errorf("--msg-rate %q must be a number ≥ 0", rate)
	}
	if c.AgentHours, err = parseHours(hours); err != nil {
		return c, err
	}
	if c.Retention, err = parseDays("--retention", retention); err != nil {
		return c, err
	}
	if c.OrderRetention, err = parseDays("--order-retention", orderRetention); err != nil {
		return c, err
	}
	if c.MinFreeDisk, err = parseSize("--min-free-disk", minFree); err != nil {
		return c, err
	}
	if c.DemoExtra < 0 {
		return c, fmt.Errorf("--demo-extra must be ≥ 0")
	}
	if c.KB != "" {
		if fi, err := os.Stat(c.KB); err != nil || !fi.IsDir() {
			return c, fmt.Errorf("--kb %s is not a directory of articles", c.KB)
		}
	}
	if c.Agents, err = parseAgents(agents); err != nil {
		return c, err
	}
	if c.Demo && len(c.Replies) == 0 {
		c.Replies = agent.DemoReplies()
	}
	if c.Demo {
		if _, ok := c.Agents["demo"]; !ok {
			if c.Agents, err = parseAgents(agents + ",demo:demo"); err != nil {
				return c, err
			}
		}
	}
	if c.TrustedProxies, err = clientip.Parse(proxies); err != nil {
		return c, fmt.Errorf("--trusted-proxies: %w", err)
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.AllowedOrigins = append(c.AllowedOrigins, strings.TrimRight(o, "/"))
		}
	}
	return c, nil
}

// parseAgents reads "name:token,…".
func parseAgents(s string) (map[string]string, error) {
	out, tokens := map[string]string{}, map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, token, ok := strings.Cut(pair, ":")
		name, token = strings.TrimSpace(name), strings.TrimSpace(token)
		if !ok || name == "" || token == "" {
			return nil, fmt.Errorf("--agents: %q is not name:token", pair)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--agents: agent %q appears twice", name)
		}
		if _, dup := tokens[token]; dup {
			return nil, fmt.Errorf("--agents: agents %q and %q share a token: give each their own", tokens[token], name)
		}
		out[name], tokens[token] = token, name
	}
	return out, nil
}

// parseHours reads "09:00-21:00"; empty means always.
func parseHours(s string) (*bot.ServiceHours, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	from, to, ok := strings.Cut(s, "-")
	f, err1 := time.Parse("15:04", strings.TrimSpace(from))
	t, err2 := time.Parse("15:04", strings.TrimSpace(to))
	if !ok || err1 != nil || err2 != nil || f.Equal(t) {
		return nil, fmt.Errorf("--agent-hours %q: use HH:MM-HH:MM, e.g. 09:00-21:00", s)
	}
	sinceMidnight := func(t time.Time) time.Duration {
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	return &bot.ServiceHours{From: sinceMidnight(f), To: sinceMidnight(t)}, nil
}

// parseDays reads a duration that may be given in days ("180d") or as Go
// durations ("4320h"); it must be positive.
func parseDays(flag, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err == nil && days > 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%s %q: use a number of days such as 180d", flag, s)
}

// parseSize reads a size in bytes, with an optional binary unit: "0",
// "1048576", "512KiB", "256MiB", "2GiB", "1TiB".
func parseSize(flag, s string) (uint64, error) {
	s = strings.TrimSpace(s)
	mult := uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > math.MaxUint64/mult {
		return 0, fmt.Errorf("%s: give a size such as 256MiB or 1GiB (KiB, MiB, GiB, TiB), or 0 to turn it off", flag)
	}
	return n * mult, nil
}

// applyConfigFile sets, from a TOML file, the flags of fs not given on the
// command line, and returns the file's canned replies. Keys are flag names
// ("members-url = \"https://…\""); values are strings, numbers or booleans.
// Besides flags, replies is an array of tables with shortcut, zh and en
// ([[replies]]). An unknown key or a bad reply is an error naming it.
func applyConfigFile(fs *flag.FlagSet, path string) ([]agent.Reply, error) {
	if path == "" {
		return nil, nil
	}
	var values map[string]any
	meta, err := toml.DecodeFile(path, &values)
	var perr toml.ParseError
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("--config %s: no such file", path)
	case errors.As(err, &perr):
		return nil, fmt.Errorf("--config %s: %s", path, perr.Message)
	case err != nil:
		return nil, fmt.Errorf("--config %s: %w", path, err)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, key := range meta.Keys() {
		if key[0] == "replies" {
			continue // configReplies reads them
		}
		name := key.String()
		if fs.Lookup(name) == nil || name == "config" {
			return nil, fmt.Errorf("--config %s: unknown setting %q (settings are the flags of kefu serve, without --, and replies)", path, name)
		}
		if given[name] {
			continue
		}
		v, err := configValue(name, values[name])
		if err != nil {
			return nil, fmt.Errorf("--config %s: %w", path, err)
		}
		if err := fs.Set(name, v); err != nil {
			return nil, fmt.Errorf("--config %s: %s: %w", path, name, err)
		}
	}
	replies, err := configReplies(path)
	if err != nil {
		return nil, fmt.Errorf("--config %s: %w", path, err)
	}
	return replies, nil
}

// configReplies reads the config file's replies and checks them.
func configReplies(path string) ([]agent.Reply, error) {
	var file struct {
		Replies []agent.Reply `toml:"replies"`
	}
	meta, err := toml.DecodeFile(path, &file)
	if err != nil {
		return nil, fmt.Errorf("replies must be tables with shortcut, zh and en, all text ([[replies]])")
	}
	for _, key := range meta.Undecoded() {
		if key[0] == "replies" && len(key) > 1 {
			return nil, fmt.Errorf("replies: unknown field %q (a reply has shortcut, zh and en)", key[len(key)-1])
		}
	}
	return file.Replies, agent.CheckReplies(file.Replies)
}

// configLists are the flags that take comma-separated lists, which a
// config file may also give as arrays of strings.
var configLists = map[string]bool{"agents": true, "allowed-origins": true, "trusted-proxies": true}

// configValue is a config file's value as its flag would read it.
func configValue(name string, value any) (string, error) {
	switch x := value.(type) {
	case string:
		return x, nil
	case int64, float64, bool:
		return fmt.Sprint(x), nil
	case []any:
		if !configLists[name] {
			break
		}
		items := make([]string, len(x))
		for i, item := range x {
			s, ok := item.(string)
			if !ok || strings.Contains(s, ",") {
				return "", fmt.Errorf("%s: each item must be a string without commas", name)
			}
			items[i] = s
		}
		return strings.Join(items, ","), nil
	}
	if configLists[name] {
		return "", fmt.Errorf("%s must be a string or an array of strings", name)
	}
	return "", fmt.Errorf("%s must be a string, number or true/false", name)
}

// redactURL hides a URL's password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "…"
	}
	return u.Redacted()
}
