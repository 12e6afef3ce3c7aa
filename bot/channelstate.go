package bot

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/kefu-dev/kefu/store"
)

// ChannelState is the little state channel adapters keep in the store, in
// the State database: which inbound events they have handled (a repeated
// Telegram update is handled once) and cursors (a polling offset, the last
// message delivered to a member). Its methods are safe for concurrent use;
// every call is one transaction.
type ChannelState struct {
	db store.DB
}

// NewChannelState keeps channel state in db.
func NewChannelState(db store.DB) *ChannelState { return &ChannelState{db: db} }

// FirstTime records key in channel's set of handled events and reports
// whether it was not there yet. Records expire after ttl.
func (s *ChannelState) FirstTime(ctx context.Context, channel, key string, ttl time.Duration) (first bool, err error) {
	k := []byte(seenPrefix + channel + "/" + key)
	err = s.db.Update(ctx, func(txn store.Txn) error {
		_, err := txn.Get(k)
		switch {
		case err == nil:
			first = false
			return nil
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		first = true
		return txn.SetTTL(k, nil, ttl)
	})
	return first, err
}

// Cursor returns a named cursor; 0 when never set.
func (s *ChannelState) Cursor(ctx context.Context, name string) (int64, error) {
	var v int64
	err := s.db.View(ctx, func(txn store.Txn) error {
		b, err := txn.Get([]byte(cursorPrefix + name))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if len(b) == 8 {
			v = int64(binary.BigEndian.Uint64(b))
		}
		return err
	})
	return v, err
}

// SetCursor stores a named cursor.
func (s *ChannelState) SetCursor(ctx context.Context, name string, v int64) error {
	return s.db.Update(ctx, func(txn store.Txn) error {
		return txn.Set([]byte(cursorPrefix+name), binary.BigEndian.AppendUint64(nil, uint64(v)))
	})
}
