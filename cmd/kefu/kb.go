package main

import (
	"context"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/kb"
)

// The demo platform's contact facts, for the demo articles' placeholders.
const (
	demoHotline      = "400-820-1234"
	demoHotlineHours = "09:00–21:00"
)

// knowledgeBase is the help center's articles: --kb DIR, else the demo set.
func (m *Main) knowledgeBase() *kb.Library {
	lib := kb.NewLibrary(m.loadArticles())
	lib.PublicURL = m.publicURL()
	return lib
}

// loadArticles reads the articles; a bad one is logged by file and line and
// left out, never fatal.
func (m *Main) loadArticles() *kb.Base {
	var b *kb.Base
	var problems []kb.Problem
	if m.Config.KB == "" {
		b, problems = kb.Demo(articleFacts())
	} else {
		b, problems = kb.Load(os.DirFS(m.Config.KB), articleFacts())
	}
	for _, p := range problems {
		m.Log.Warn("help article left out", "problem", p.String())
	}
	return b
}

// articleFacts fill the articles' placeholders from the rules the bot
// applies, so an article never states a rule of its own.
func articleFacts() map[string]string {
	rules := bot.DefaultVerificationRules()
	return map[string]string{
		"code_ttl_minutes":    strconv.Itoa(int(rules.CodeTTL.Minutes())),
		"resend_wait_seconds": strconv.Itoa(int(rules.ResendAfter.Seconds())),
		"cooling_off_days":    strconv.Itoa(bot.DemoCoolingOffDays),
		"hotline":             demoHotline,
		"hotline_hours":       demoHotlineHours,
	}
}

// reloadArticlesOnHangup reads the articles again on every SIGHUP until
// ctx ends.
func (m *Main) reloadArticlesOnHangup(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				m.kb.Set(m.loadArticles())
				m.Log.Info("help articles reloaded")
			}
		}
	}()
}
