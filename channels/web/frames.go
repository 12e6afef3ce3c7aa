package web

import (
	"encoding/json"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/internal/jsonw"
)

// Frames of the websocket protocol (DESIGN §5, contract). Every frame is a
// JSON object in a text frame with a "type".

// Frame types.
const (
	typeHello   = "hello"   // client: first frame
	typeText    = "text"    // client: typed text
	typeButton  = "button"  // client: a pressed reply button's value
	typeWelcome = "welcome" // server: answer to hello
	typeMessage = "message" // server: one transcript message
	typeError   = "error"   // server: something about the last frame or the service
)

// Error codes of error frames. None of them closes the conversation; only
// CodeRestarting is followed by the server closing the connection.
const (
	CodeBadFrame      = "bad_frame"      // not JSON, not UTF-8, a binary frame, or a field missing
	CodeTooLong       = "too_long"       // a frame over MaxFrameBytes
	CodeUnknownType   = "unknown_type"   // a "type" this server does not know
	CodeHelloRequired = "hello_required" // a text or button frame before hello
	CodeRateLimited   = "rate_limited"   // too many messages: this one was dropped
	CodeUnavailable   = "unavailable"    // the service failed to handle the frame; try again
	CodeRestarting    = "restarting"     // the server is restarting: reconnect shortly
	// CodeTryLater: the service takes no new requests for a while (its
	// disk is nearly full); the frame was not handled and nothing was
	// stored. Its message is a sentence for the member, in the
	// conversation's language.
	CodeTryLater = "try_later"
)

// errorMessages are the English sentences of error frames, for developers
// and third-party clients; the widget shows its own words for each code in
// the member's language.
var errorMessages = map[string]string{
	CodeBadFrame:      "The frame is not a JSON object in UTF-8 text.",
	CodeTooLong:       "The frame is larger than 8 KiB and was dropped.",
	CodeUnknownType:   "Unknown frame type; use hello, text or button.",
	CodeHelloRequired: "Send a hello frame first.",
	CodeRateLimited:   "Too many messages; this one was dropped. Please wait a moment.",
	CodeUnavailable:   "Something went wrong on our side; please try again.",
	CodeRestarting:    "The service is restarting; reconnect in a moment, the conversation continues.",
	CodeTryLater:      "The service takes no new requests for a while; try again shortly.",
}

// clientFrame is any frame a client sends; which fields count depends on
// Type.
type clientFrame struct {
	Type    string `json:"type"`
	Session string `json:"session"` // hello: the token of the session to resume, or empty
	Lang    string `json:"lang"`    // hello: the page's language, a hint
	Start   string `json:"start"`   // hello: open a flow straight away ("cancel"), as a deep link
	Text    string `json:"text"`    // text
	Value   string `json:"value"`   // button
}

type welcomeFrame struct {
	Type    string `json:"type"`
	Session string `json:"session"`
	Lang    string `json:"lang"`
}

type messageFrame struct {
	Type string `json:"type"`
	bot.Message
}

type errorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// encodeMessage renders a transcript message as a message frame: what
// json.Marshal writes for messageFrame, without reflection (every message
// of every turn comes here).
func encodeMessage(m bot.Message) []byte {
	b := make([]byte, 0, 96+len(m.Text)+48*len(m.Buttons))
	b = append(b, `{"type":"message","id":`...)
	b = jsonw.String(b, m.ID)
	b = jsonw.Field(b, "from")
	b = jsonw.String(b, m.From)
	b = jsonw.Field(b, "text")
	b = jsonw.String(b, m.Text)
	if len(m.Buttons) > 0 {
		b = jsonw.Field(b, "buttons")
		b = append(b, '[')
		for i, btn := range m.Buttons {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"label":`...)
			b = jsonw.String(b, btn.Label)
			b = append(b, `,"value":`...)
			b = jsonw.String(b, btn.Value)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = jsonw.Field(b, "at")
	b = jsonw.Time(b, m.At)
	if m.Expect != "" {
		b = jsonw.Field(b, "expect")
		b = jsonw.String(b, m.Expect)
	}
	return append(b, '}')
}

// tryLaterFrame is the CodeTryLater error frame with the member's
// sentence.
func tryLaterFrame(text string) []byte {
	return mustMarshal(errorFrame{Type: typeError, Code: CodeTryLater, Message: text})
}

// errorFrames holds each error frame encoded once.
var errorFrames = func() map[string][]byte {
	out := make(map[string][]byte, len(errorMessages))
	for code, msg := range errorMessages {
		out[code] = mustMarshal(errorFrame{Type: typeError, Code: code, Message: msg})
	}
	return out
}()

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed, marshalable types reach here
	}
	return b
}
