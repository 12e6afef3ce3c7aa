package bot

import "context"

// Subscribers: what a channel hears of the messages added to a
// conversation (Subscribe) or to any conversation on the channel
// (SubscribeChannel).

// Subscribe calls fn with every message added to the conversation from now
// on, in order, until the returned function is called. fn runs while the
// conversation's turn is being published: it must not block or call back
// into the Runtime for the same conversation (hand the message to a queue).
func (r *Runtime) Subscribe(id string, fn func(Message)) (unsubscribe func(), err error) {
	ctx := context.Background() // a registration: nothing waits on it but the load
	lc, err := r.load(ctx, id)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	for lc.evicted { // evicted between load and here: the live copy is new
		r.mu.Unlock()
		if lc, err = r.load(ctx, id); err != nil {
			return nil, err
		}
		r.mu.Lock()
	}
	n := lc.next
	lc.next++
	lc.subs[n] = fn
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(lc.subs, n)
		r.mu.Unlock()
	}, nil
}

// ChannelSubscriber receives a message added to a conversation on a
// channel: the conversation's ID and its member's key on the channel.
type ChannelSubscriber func(conv, user string, m Message)

// SubscribeChannel calls fn with every message added to any conversation
// on channel from now on, in order per conversation, until the returned
// function is called. It keeps no conversation in memory, so a channel
// that delivers on its own (Telegram) need not subscribe to each of its
// conversations. fn runs as Subscribe's functions do: it must not block or
// call back into the Runtime for the same conversation.
func (r *Runtime) SubscribeChannel(channel string, fn ChannelSubscriber) (unsubscribe func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.chanSubs == nil {
		r.chanSubs = map[string]map[int]ChannelSubscriber{}
	}
	if r.chanSubs[channel] == nil {
		r.chanSubs[channel] = map[int]ChannelSubscriber{}
	}
	n := r.nextSub
	r.nextSub++
	r.chanSubs[channel][n] = fn
	return func() {
		r.mu.Lock()
		delete(r.chanSubs[channel], n)
		r.mu.Unlock()
	}
}

func (r *Runtime) publish(lc *liveConv, msgs []Message) {
	r.publishTo(lc.conv.ID, lc.conv.Channel, lc.conv.User, lc, msgs)
}

// publishTo hands msgs of a conversation to its subscribers (lc's, when it
// is loaded) and its channel's.
func (r *Runtime) publishTo(id, channel, user string, lc *liveConv, msgs []Message) {
	r.mu.Lock()
	var subs []func(Message)
	if lc != nil {
		subs = make([]func(Message), 0, len(lc.subs))
		for _, fn := range lc.subs {
			subs = append(subs, fn)
		}
	}
	chanSubs := make([]ChannelSubscriber, 0, len(r.chanSubs[channel]))
	for _, fn := range r.chanSubs[channel] {
		chanSubs = append(chanSubs, fn)
	}
	r.mu.Unlock()
	for _, m := range msgs {
		for _, fn := range subs {
			fn(m)
		}
		for _, fn := range chanSubs {
			fn(id, user, m)
		}
	}
}
