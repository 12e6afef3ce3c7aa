package main

import (
	"github.com/kefu-dev/kefu/channels/agent"
	"github.com/kefu-dev/kefu/channels/web"
)

// perAddressFactor is how many conversations' worth of messages one client
// address may send: members behind one NAT share it.
const perAddressFactor = 4

// webChannel is the web chat, the widget and the help-center page. The
// per-conversation rate is the runtime's (serve.go); the per-address
// message and connection limits follow --msg-rate too, so --msg-rate 0
// lifts them all.
func (m *Main) webChannel() *web.Channel {
	return web.New(web.Config{
		Runtime:        m.Runtime,
		Log:            m.Log,
		Demo:           m.Config.Demo,
		AllowedOrigins: m.Config.AllowedOrigins,
		IPRate:         perAddressFactor * m.Config.MsgRate,
		ConnRate:       m.Config.MsgRate,
		TrustedProxies: m.Config.TrustedProxies,
		KB:             m.kb,
		// Observer: the channel's counts for /metrics (web.Observer).
	})
}

// agentConsole is the agents' surface: the console at /agent/, the agent
// API with its event stream, and the work-order API. Its event streams end
// when the server shuts down.
func (m *Main) agentConsole() *agent.Console {
	return agent.New(agent.Config{
		Runtime:        m.Runtime,
		Agents:         m.Config.Agents,
		Location:       m.Config.TZ,
		Log:            m.Log,
		TrustedProxies: m.Config.TrustedProxies,
		Replies:        m.Config.Replies,
	})
}
