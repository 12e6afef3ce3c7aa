package dialog

// The engine's input vocabulary: the values a channel sends as an
// InputButton's text when a command or a link stands for a button (Telegram's
// /cancel, /agent, /lang and /help; the web widget's start parameter; a
// reminder's buttons). They are the values the engine's own buttons carry,
// so a channel that sends them gets exactly what a press would; a channel
// never spells them itself.
const (
	// ValueAbort leaves the current flow, as 算了 / "never mind" does.
	ValueAbort = btnAbort
	// ValueContinue picks the conversation up where it was: the current
	// step is asked again.
	ValueContinue = btnContinue
)

// IntentValue is the value of the menu button for intent: pressing it opens
// that flow (IntentHelp shows the menu, IntentHumanAgent asks for a person).
// Every turn's menu asks for them, so the known ones are made once.
func IntentValue(i Intent) string {
	if v, ok := intentValues[i]; ok {
		return v
	}
	return btnIntent + string(i)
}

var intentValues = func() map[Intent]string {
	m := make(map[Intent]string, len(Intents))
	for _, i := range Intents {
		m[i] = btnIntent + string(i)
	}
	return m
}()

// LangValue is the value of the button that switches the conversation to
// lang; the engine ignores languages ParseLang does not accept.
func LangValue(lang Lang) string { return btnLang + string(lang) }
