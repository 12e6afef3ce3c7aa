package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/kb"
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
		b, problems = kb.Demo(bot.DemoArticleFacts())
	} else {
		b, problems = kb.Load(os.DirFS(m.Config.KB), bot.DemoArticleFacts())
	}
	for _, p := range problems {
		m.Log.Warn("help article left out", "problem", p.String())
	}
	return b
}

// reloadArticlesOnHangup reads the articles again on every SIGHUP until
// the returned function is called. The signal is caught from the moment it
// returns.
func (m *Main) reloadArticlesOnHangup() (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-hup:
				m.kb.Set(m.loadArticles())
				m.Log.Info("help articles reloaded")
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
	}
}
