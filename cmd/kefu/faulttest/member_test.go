package faulttest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// frame is any server frame of the websocket protocol (DESIGN §5).
type frame struct {
	Type    string   `json:"type"`
	Session string   `json:"session"`
	Code    string   `json:"code"`
	Message string   `json:"message"`
	ID      string   `json:"id"`
	From    string   `json:"from"`
	Text    string   `json:"text"`
	Buttons []button `json:"buttons"`
	Expect  string   `json:"expect"`
}

type button struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

func (f frame) String() string {
	if f.Type == "message" {
		return f.From + "#" + f.ID + ": " + strings.ReplaceAll(f.Text, "\n", " ")
	}
	return f.Type + " " + f.Code + f.Session
}

func (f frame) button(prefix string) (string, bool) {
	for _, b := range f.Buttons {
		if strings.HasPrefix(b.Value, prefix) {
			return b.Value, true
		}
	}
	return "", false
}

// probe is a frame of a type the server does not know: the unknown_type
// error it earns comes after everything the frames before it caused, so it
// marks the end of a turn's messages (or of the replayed history) without
// waiting for time to pass.
var probe = []byte(`{"type":"probe"}`)

var (
	receiptRE = regexp.MustCompile(`工单号：(WO\d{15})`)
	codeRE    = regexp.MustCompile(`验证码是 (\d{6})`)
)

// member drives one synthetic member (--demo-extra) through a whole
// cancellation over the websocket, reconnecting with its session token
// whenever the server goes away, and deciding each step from the
// transcript alone, the way a person would after a reload.
type member struct {
	i      int
	phone  string
	choice string // opt:cancel_now or opt:no_renew
	double bool   // presses confirm twice at once
	// gate, when set, holds the member at the confirmation until it is
	// closed (so that many confirm at once); atGate counts who wait.
	gate   chan struct{}
	atGate *atomic.Int32
	base   string   // ws://host/ws
	others []string // other instances' ws URLs: tried in turn when base does not answer
	origin string
	rng    *rand.Rand

	token      string
	transcript []frame // the conversation's messages, as replayed and then live
	questions  bool    // codes failed: verify by the security questions

	receipt    string
	receiptAt  time.Time
	gated      bool // passed the gate
	reconnects int  // after losing the connection
	resumed    int  // reconnects whose history held everything seen before
	steps      int
	problems   []string // broken promises, reported by the test

	// turns counts the exchanges answered and done is set with the
	// receipt, for a test to follow the members while they run.
	turns atomic.Int32
	done  atomic.Bool
}

func newMember(i int, addr string, seed uint64) *member {
	m := &member{
		i: i, phone: strconv.Itoa(15000000000 + i), choice: "opt:cancel_now",
		double: i%5 == 0,
		base:   "ws://" + addr + "/ws", origin: "http://" + addr,
		rng: rand.New(rand.NewPCG(seed, uint64(i))),
	}
	if i%2 == 1 {
		m.choice = "opt:no_renew"
	}
	return m
}

func (m *member) problem(format string, args ...any) {
	m.problems = append(m.problems, fmt.Sprintf("member %d: ", m.i)+fmt.Sprintf(format, args...))
}

// run drives the member until it holds a receipt or the deadline passes.
func (m *member) run(deadline time.Time, think time.Duration) {
	var ws *websocket.Conn
	defer func() {
		if ws != nil {
			ws.Close()
		}
	}()
	for time.Now().Before(deadline) {
		if ws == nil {
			ws = m.connect(deadline)
			if ws == nil {
				break
			}
		}
		if m.receipt != "" {
			m.done.Store(true)
			return
		}
		if m.steps++; m.steps > 80 {
			m.problem("no receipt after 80 steps; transcript:\n%s", m.dump())
			return
		}
		if think > 0 {
			time.Sleep(time.Duration(m.rng.Int64N(int64(think)))) // a person thinking, not synchronisation
		}
		inputs := m.decide()
		frames, err := m.exchange(ws, inputs...)
		if err != nil {
			ws.Close()
			ws = nil
			m.reconnects++
			continue
		}
		m.add(frames)
		m.turns.Add(1)
	}
	if m.receipt == "" {
		m.problem("no receipt by the deadline; transcript:\n%s", m.dump())
	}
}

// connect dials until it gets through, says hello with the session token
// and reads the replayed history; nil when the deadline passes.
func (m *member) connect(deadline time.Time) *websocket.Conn {
	dialer := websocket.Dialer{HandshakeTimeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		ws, resp, err := dialer.Dial(m.base, http.Header{"Origin": {m.origin}})
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			if len(m.others) > 0 { // as a load balancer would: the next instance
				m.others = append(m.others, m.base)
				m.base, m.others = m.others[0], m.others[1:]
			}
			time.Sleep(5 * time.Millisecond) // the server is restarting: poll it
			continue
		}
		hello, _ := json.Marshal(map[string]string{"type": "hello", "session": m.token, "lang": "zh-CN"})
		frames, err := m.exchange(ws, hello)
		if err != nil || len(frames) == 0 || frames[0].Type != "welcome" {
			ws.Close()
			continue
		}
		if m.token != "" && frames[0].Session != m.token {
			m.problem("session %s not resumed: welcome gave %s", m.token, frames[0].Session)
			ws.Close()
			return nil
		}
		if m.token != "" {
			m.checkResumed(frames[1:])
		}
		m.token = frames[0].Session
		m.transcript = nil
		m.add(frames[1:])
		return ws
	}
	return nil
}

// checkResumed compares a replayed history with what the member saw.
func (m *member) checkResumed(history []frame) {
	byID := map[string]frame{}
	for i, f := range history {
		if f.Type != "message" {
			continue
		}
		if f.ID != strconv.Itoa(i+1) {
			m.problem("replayed history: message %d has id %s", i+1, f.ID)
			return
		}
		byID[f.ID] = f
	}
	for _, seen := range m.transcript {
		got, ok := byID[seen.ID]
		if !ok || got.From != seen.From || got.Text != seen.Text {
			m.problem("message %s seen before the restart is not replayed as it was: had %v, got %v", seen.ID, seen, got)
			return
		}
	}
	m.resumed++
}

// exchange sends frames and a probe and returns what the server sent
// before the probe's error; an error when the connection breaks.
func (m *member) exchange(ws *websocket.Conn, frames ...[]byte) ([]frame, error) {
	for _, b := range append(frames, probe) {
		if err := ws.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
			return nil, err
		}
		if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
			return nil, err
		}
	}
	var out []frame
	for {
		if err := ws.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			return nil, err
		}
		_, b, err := ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			m.problem("frame that is not JSON: %q", b)
			return nil, err
		}
		if f.Type == "error" && f.Code == "unknown_type" {
			return out, nil
		}
		if f.Type == "error" {
			m.problem("error frame %s: %s", f.Code, f.Message)
		}
		out = append(out, f)
	}
}

// add appends messages to the transcript and notes a receipt.
func (m *member) add(frames []frame) {
	for _, f := range frames {
		if f.Type != "message" {
			continue
		}
		m.transcript = append(m.transcript, f)
		if f.From == "bot" {
			if r := receiptRE.FindStringSubmatch(f.Text); r != nil {
				if m.receipt != "" && m.receipt != r[1] {
					m.problem("two receipts: %s and %s", m.receipt, r[1])
				}
				if m.receipt == "" {
					m.receipt, m.receiptAt = r[1], time.Now()
				}
			}
		}
	}
}

func text(s string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "text", "text": s})
	return b
}

func press(v string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "button", "value": v})
	return b
}

// decide picks the next input from the transcript: what a member reading
// the chat would do next.
func (m *member) decide() [][]byte {
	var last frame
	lastAt := -1
	for i := len(m.transcript) - 1; i >= 0; i-- {
		if m.transcript[i].From == "bot" {
			last, lastAt = m.transcript[i], i
			break
		}
	}
	if lastAt < 0 {
		return [][]byte{text("我要取消会员")}
	}
	if v, ok := last.button("confirm:"); ok {
		if m.gate != nil && !m.gated {
			m.gated = true
			m.atGate.Add(1)
			<-m.gate
		}
		if m.double {
			return [][]byte{press(v), press(v)} // a double click
		}
		return [][]byte{press(v)}
	}
	if v, ok := last.button(m.choice); ok {
		return [][]byte{press(v)}
	}
	switch {
	case last.Expect == "code":
		// The newest demo code, unless the chat shows it typed already (a
		// turn lost to a kill leaves no trace, so it is typed again); none
		// left: verify another way.
		for i := len(m.transcript) - 1; i > 0; i-- {
			f := m.transcript[i]
			if c := codeRE.FindStringSubmatch(f.Text); f.From == "system" && c != nil {
				if !m.typed(c[1]) {
					return [][]byte{text(c[1])}
				}
				break
			}
		}
		m.questions = true
		return [][]byte{press("methods")}
	case last.Expect == "account":
		return [][]byte{text(m.phone)}
	case strings.Contains(last.Text, "安全问题 1/2") || strings.Contains(last.Text, "重新回答第 1 题"):
		return [][]byte{text("30")}
	case strings.Contains(last.Text, "安全问题 2/2"):
		return [][]byte{text("1月")}
	}
	if _, ok := last.button("method:"); ok {
		if m.questions {
			return [][]byte{press("method:questions")}
		}
		return [][]byte{press("method:sms")}
	}
	return [][]byte{text("我要取消会员")}
}

func (m *member) typed(s string) bool {
	for _, f := range m.transcript {
		if f.From == "member" && f.Text == s {
			return true
		}
	}
	return false
}

func (m *member) dump() string {
	var lines []string
	for _, f := range m.transcript {
		lines = append(lines, "  "+f.String())
	}
	return strings.Join(lines, "\n")
}
