package telegram

import (
	"strings"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

// text renders one of the channel's own messages (IDs telegram_*) in lang.
func (a *Adapter) text(lang dialog.Lang, id string, data map[string]any) string {
	return a.rt.Catalog().MustRender(lang, id, data)
}

// Telegram's limits on what a bot sends.
const (
	maxTextUnits    = 4096 // a message's text, in UTF-16 code units
	maxCallbackData = 64   // a callback button's data, in bytes
)

// doneData is the callback data of the single "✓ label" button that
// replaces a used keyboard; pressing it only stops the spinner.
const doneData = "kefu:done"

// The library's own InlineKeyboardButton always sends "copy_text":{"text":""}
// (a struct field that omitempty cannot omit), which the Bot API refuses as
// BUTTON_COPY_TEXT_INVALID; these carry only what kefu uses.
type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
}

// keyboard lays reply buttons out one per row, as labels are long; a value
// Telegram cannot carry is left out (free text always works too).
func (a *Adapter) keyboard(bs []bot.MessageButton) *inlineKeyboard {
	kb := &inlineKeyboard{}
	for _, b := range bs {
		if b.Value == "" || len(b.Value) > maxCallbackData || b.Label == "" {
			a.log.Error("button left out: Telegram's callback data holds 1 to 64 bytes", "value_len", len(b.Value))
			continue
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, []inlineButton{{Text: b.Label, CallbackData: b.Value}})
	}
	if len(kb.InlineKeyboard) == 0 {
		return nil
	}
	return kb
}

// usedKeyboard is what a keyboard becomes once one of its buttons is
// pressed: the choice, ticked, that does nothing more. Without the label
// (the message is too old to be shown) the keyboard is removed.
func usedKeyboard(msg *models.Message, data string) models.ReplyMarkup {
	if msg == nil || msg.ReplyMarkup == nil {
		return nil
	}
	for _, row := range msg.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == data {
				return &inlineKeyboard{InlineKeyboard: [][]inlineButton{{{Text: "✓ " + b.Text, CallbackData: doneData}}}}
			}
		}
	}
	return nil
}

// contactKeyboard offers to share the member's phone number instead of
// typing it.
func (a *Adapter) contactKeyboard(lang dialog.Lang) *models.ReplyKeyboardMarkup {
	return &models.ReplyKeyboardMarkup{
		Keyboard:        [][]models.KeyboardButton{{{Text: a.text(lang, "telegram_share_phone", nil), RequestContact: true}}},
		ResizeKeyboard:  true,
		OneTimeKeyboard: true,
	}
}

// utf16Len is a text's length as Telegram counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// splitText cuts text into parts Telegram accepts, at line breaks when it
// can.
func splitText(s string) []string {
	var parts []string
	for utf16Len(s) > maxTextUnits {
		cut, units, lastBreak := 0, 0, 0
		for i, r := range s {
			units += utf16.RuneLen(r)
			if units > maxTextUnits {
				break
			}
			cut = i + len(string(r))
			if r == '\n' {
				lastBreak = cut
			}
		}
		if lastBreak > cut/2 {
			cut = lastBreak
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
	return append(parts, s)
}

// digits keeps the digits of a phone number as Telegram shares it
// ("+86 138 0013 8000", "8613800138000") with a leading + so the country
// code is read as one.
func digits(phone string) string {
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
