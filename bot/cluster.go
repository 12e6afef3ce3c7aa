package bot

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/kefu-dev/kefu/store"
)

// Several instances on one store (a store.Cluster: PostgreSQL). Every
// change to a conversation takes the store's lock for it and starts from
// the stored copy, so instances take turns on a conversation and never act
// on a stale one; after the change the instance announces it on the
// store's bus, and the others hand the new messages to their own
// subscribers (a member's websocket, an agent's console, the Telegram
// sender) and update their handoff queue. Agents' presence is shared
// through the store, so an agent on one instance counts as online, and
// keeps their leases, on all.

// convTopic is the bus topic of conversation changes.
const convTopic = "conv"

// convEvent announces a stored change of a conversation.
type convEvent struct {
	Instance string `json:"i"`
	Conv     string `json:"c"`
	Channel  string `json:"ch"`
	User     string `json:"u"`
	From     uint64 `json:"f,omitempty"` // the messages added: From..To
	To       uint64 `json:"t,omitempty"`
	Before   string `json:"b"` // status before and after
	Status   string `json:"s"`
}

// cluster is the runtime's place among the instances sharing its store:
// the store's bus and locks when the store is a store.Cluster; when it is
// not, the runtime is alone and needs neither (leads are then this
// process's).
type cluster struct {
	bus       store.Cluster // nil: alone on the store
	instance  string        // this instance's ID on the bus
	unlistens []func()
	solo      soloLeads // leads taken while alone
}

// join joins the other instances on st's bus when st is a store.Cluster,
// calling each topic's function with what is published on it.
func (c *cluster) join(st store.Store, topics map[string]func(payload []byte)) {
	bus, ok := st.(store.Cluster)
	if !ok {
		return
	}
	c.bus, c.instance = bus, newID()
	for topic, fn := range topics {
		c.unlistens = append(c.unlistens, bus.Listen(topic, fn))
	}
}

// shared reports whether other instances may use the store.
func (c *cluster) shared() bool { return c.bus != nil }

// leave stops listening to the bus.
func (c *cluster) leave() {
	for _, unlisten := range c.unlistens {
		unlisten()
	}
}

// lockConv takes the conversation's lock among the instances; alone, the
// conversation's own mutex suffices and lockConv is not called.
func (c *cluster) lockConv(ctx context.Context, id string) (unlock func(), err error) {
	return c.bus.Lock(ctx, convLockPrefix+id)
}

// lead takes the named lead among the instances, or in this process when
// alone.
func (c *cluster) lead(ctx context.Context, name string) (release func(), lost <-chan struct{}, ok bool, err error) {
	if c.bus == nil {
		release, ok := c.solo.take(name)
		return release, nil, ok, nil
	}
	return c.bus.TryLock(ctx, leadPrefix+name)
}

// soloLeads are the leads of a runtime alone on its store: each held by
// one caller at a time, never lost.
type soloLeads struct {
	mu   sync.Mutex
	held map[string]bool
}

func (s *soloLeads) take(name string) (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[name] {
		return nil, false
	}
	if s.held == nil {
		s.held = map[string]bool{}
	}
	s.held[name] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.held, name)
			s.mu.Unlock()
		})
	}, true
}

// announce tells the other instances about a stored change.
func (r *Runtime) announce(c Conversation, before string, msgs []Message) {
	if !r.cluster.shared() {
		return
	}
	ev := convEvent{Instance: r.cluster.instance, Conv: c.ID, Channel: c.Channel, User: c.User, Before: before, Status: c.Status}
	if len(msgs) > 0 {
		ev.From, ev.To = c.Seq-uint64(len(msgs))+1, c.Seq
	}
	b, _ := json.Marshal(ev)
	if err := r.cluster.bus.Publish(context.Background(), convTopic, b); err != nil {
		// The others miss it live; their members catch up from the history
		// when they reconnect.
		r.log.Warn("announce a change to other instances", "conv", c.ID, "err", err)
	}
}

// remoteChange takes another instance's change: its messages go to this
// instance's subscribers, its status to the handoff queue.
func (r *Runtime) remoteChange(payload []byte) {
	ctx := context.Background() // the bus delivers with no caller to wait for it
	var ev convEvent
	if json.Unmarshal(payload, &ev) != nil || ev.Instance == r.cluster.instance {
		return
	}
	r.mu.Lock()
	lc := r.live[ev.Conv]
	r.mu.Unlock()
	if ev.To > 0 {
		msgs, err := r.messages(ctx, ev.Conv, ev.From, ev.To)
		if err != nil {
			r.log.Error("read another instance's messages", "conv", ev.Conv, "err", err)
		}
		r.publishTo(ev.Conv, ev.Channel, ev.User, lc, msgs)
	}
	if ev.Before != ConvBot || ev.Status != ConvBot {
		c, _, err := r.read(ctx, ev.Conv)
		if err != nil {
			r.log.Error("read another instance's conversation", "conv", ev.Conv, "err", err)
			return
		}
		r.ho.changed(c, ev.Before)
	}
}

// Shared reports whether other instances share the runtime's store.
func (r *Runtime) Shared() bool { return r.cluster.shared() }

// Lead takes the named leadership among the instances sharing the store
// (one Telegram poller, say) if nobody holds it; lost is closed if it is
// lost without release (this instance's connection to the store broke).
// Alone on its store (Badger), the runtime leads whenever no other caller
// in this process holds the name, and never loses the lead.
func (r *Runtime) Lead(ctx context.Context, name string) (release func(), lost <-chan struct{}, ok bool, err error) {
	return r.cluster.lead(ctx, name)
}

// leader holds a named leadership (Lead) across calls, for work one
// instance among those sharing the store should do.
type leader struct {
	r       *Runtime
	name    string
	release func()
	lost    <-chan struct{}
	tried   time.Time // the last failed try
}

// leaderRetry is how often an instance that is not the leader tries to
// become it: each try costs a connection on PostgreSQL.
const leaderRetry = 10 * time.Second

// held reports whether this instance leads, taking the lead when it is
// free (at most every leaderRetry).
func (l *leader) held(ctx context.Context) bool {
	if l.release != nil {
		select {
		case <-l.lost:
			l.r.log.Warn("lost the lead", "name", l.name)
			l.release()
			l.release = nil
		default:
			return true
		}
	}
	if l.r.now().Sub(l.tried) < leaderRetry {
		return false
	}
	release, lost, ok, err := l.r.Lead(ctx, l.name)
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			l.r.log.Warn("lead", "name", l.name, "err", err)
		}
		l.tried = l.r.now()
		return false
	}
	l.release, l.lost = release, lost
	return true
}

// stop gives up the lead.
func (l *leader) stop() {
	if l.release != nil {
		l.release()
		l.release = nil
	}
}
