// Package pgstore runs kefu's store on PostgreSQL, so several kefu
// instances can share it: the Ledger and the State are one table of
// key-value rows (SERIALIZABLE transactions, retried on serialization
// failures; the State's commits do not wait for the WAL flush), sequences
// are rows handed out in blocks, the bus is LISTEN/NOTIFY and locks are
// advisory locks. The schema is migrated at Open, once, whichever instance
// starts first.
package pgstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kefu-dev/kefu/store"
)

// Options tune Open.
type Options struct {
	Log      *slog.Logger // default slog.Default()
	AppName  string       // application_name of the connections; default "kefu"
	MaxConns int32        // pool size; default 64
}

// Store is kefu's store on PostgreSQL.
type Store struct {
	pool   *pgxpool.Pool
	url    string
	opts   Options
	ledger *db
	state  *db

	listen *listener
	stop   chan struct{}
	wg     sync.WaitGroup

	// lockSlots bounds the connections that hold a Lock to half the pool:
	// a lock's holder also needs a connection for its transactions, and a
	// pool of lock holders only would wait for ever.
	lockSlots chan struct{}
}

var _ store.Cluster = (*Store)(nil)

// Key spaces of the kv table.
const (
	spaceLedger = 1
	spaceState  = 2
)

// Open connects to url (postgres://…), migrates the schema and starts the
// bus and the sweeper of expired rows.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.AppName == "" {
		opts.AppName = "kefu"
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 64
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store URL: %w", err)
	}
	cfg.MaxConns = opts.MaxConns
	cfg.ConnConfig.RuntimeParams["application_name"] = opts.AppName
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, url: url, opts: opts, stop: make(chan struct{}), lockSlots: make(chan struct{}, max(1, opts.MaxConns/2))}
	s.ledger = &db{s: s, space: spaceLedger, durable: true, seqs: map[string]*seqRange{}}
	s.state = &db{s: s, space: spaceState, seqs: map[string]*seqRange{}}
	s.listen = newListener(s)
	s.wg.Add(2)
	go s.listen.run()
	go s.sweep()
	return s, nil
}

// migrations are applied in order, each once, under an advisory lock so
// instances starting together do not race.
var migrations = []string{
	`CREATE TABLE kefu_kv (
		space smallint NOT NULL,
		k bytea NOT NULL,
		v bytea NOT NULL,
		expires_at timestamptz,
		PRIMARY KEY (space, k)
	);
	CREATE INDEX kefu_kv_expires ON kefu_kv (expires_at) WHERE expires_at IS NOT NULL;
	CREATE TABLE kefu_seq (name text PRIMARY KEY, n bigint NOT NULL);`,
}

const migrationLock = 0x6b656675 // "kefu"

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS kefu_schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM kefu_schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("the database's schema (version %d) is newer than this kefu knows (%d): upgrade kefu", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO kefu_schema_migrations (version) VALUES ($1)", v); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
	}
	return tx.Commit(ctx)
}

// Ledger is the durable database.
func (s *Store) Ledger() store.DB { return s.ledger }

// State is the conversation database.
func (s *Store) State() store.DB { return s.state }

// Healthy pings the database.
func (s *Store) Healthy() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.pool.Ping(ctx)
}

// Close stops the bus and the sweeper and closes the connections.
func (s *Store) Close() error {
	select {
	case <-s.stop:
		return nil
	default:
	}
	close(s.stop)
	s.listen.close()
	s.wg.Wait()
	s.pool.Close()
	return nil
}

// sweep deletes expired rows now and then.
func (s *Store) sweep() {
	defer s.wg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if _, err := s.pool.Exec(ctx, "DELETE FROM kefu_kv WHERE expires_at < now()"); err != nil {
				s.opts.Log.Warn("sweep expired rows", "err", err)
			}
			cancel()
		}
	}
}

// retryable reports a serialization failure or a deadlock: the
// transaction is to be run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// db is one key space.
type db struct {
	s       *Store
	space   int16
	durable bool

	seqMu sync.Mutex
	seqs  map[string]*seqRange
}

func (d *db) Update(ctx context.Context, fn func(store.Txn) error) error {
	for {
		err := d.update(ctx, fn)
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
}

// update runs one read-write transaction. Writes are held back and sent
// together, in one round trip, with the first read after them or with the
// COMMIT; a transaction that only writes (most of a conversation's turns)
// costs one round trip for BEGIN, its writes and COMMIT.
func (d *db) update(ctx context.Context, fn func(store.Txn) error) (err error) {
	conn, err := d.s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	t := &txn{ctx: ctx, q: conn.Conn(), space: d.space, durable: d.durable}
	defer func() {
		if err != nil && t.begun {
			// Leave the connection outside any transaction.
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	return t.flush("COMMIT")
}

// View runs a read-only REPEATABLE READ transaction whose BEGIN goes out
// with its first statement.
func (d *db) View(ctx context.Context, fn func(store.Txn) error) error {
	conn, err := d.s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	t := &txn{ctx: ctx, q: conn.Conn(), space: d.space, readOnly: true}
	err = fn(t)
	if t.begun {
		if _, rerr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// seqBlock is how many numbers one range takes; a crash or a stop skips
// the rest of a block.
const seqBlock = 64

type seqRange struct{ next, last uint64 }

func (d *db) Next(ctx context.Context, name string) (uint64, error) {
	d.seqMu.Lock()
	defer d.seqMu.Unlock()
	l := d.seqs[name]
	if l == nil || l.next > l.last {
		// The Ledger's rows keep the bare name (the rows of existing
		// databases); the State's sequences are apart from them, as they
		// are on Badger.
		row := name
		if d.space != spaceLedger {
			row = "state/" + name
		}
		var hi int64
		err := d.s.pool.QueryRow(ctx, `INSERT INTO kefu_seq (name, n) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET n = kefu_seq.n + $2 RETURNING n`, row, seqBlock).Scan(&hi)
		if err != nil {
			return 0, fmt.Errorf("sequence %s: %w", name, err)
		}
		l = &seqRange{next: uint64(hi) - seqBlock + 1, last: uint64(hi)}
		d.seqs[name] = l
	}
	n := l.next
	l.next++
	return n, nil
}

// querier is what a transaction runs its statements on.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// txn is a transaction of one key space.
type txn struct {
	ctx      context.Context
	q        querier
	space    int16
	readOnly bool

	// A transaction's BEGIN goes out with its first statement, and its
	// writes are held back until the next statement (or the COMMIT).
	durable bool
	begun   bool
	pending *pgx.Batch
}

const (
	sqlSet = `INSERT INTO kefu_kv (space, k, v, expires_at)
		VALUES ($1, $2, $3, CASE WHEN $4::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $4::float8) END)
		ON CONFLICT (space, k) DO UPDATE SET v = EXCLUDED.v, expires_at = EXCLUDED.expires_at`
	sqlDelete = `DELETE FROM kefu_kv WHERE space = $1 AND k = $2`
)

// prelude is what must go out before the transaction's next statement:
// BEGIN (when not yet begun) and the held-back writes.
func (t *txn) prelude() *pgx.Batch {
	b := &pgx.Batch{}
	if !t.begun {
		if t.readOnly {
			b.Queue("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
		} else {
			b.Queue("BEGIN ISOLATION LEVEL SERIALIZABLE")
			if !t.durable {
				b.Queue("SET LOCAL synchronous_commit = off")
			}
		}
	}
	if t.pending != nil {
		for _, qq := range t.pending.QueuedQueries {
			b.Queue(qq.SQL, qq.Arguments...)
		}
	}
	t.begun, t.pending = true, nil
	return b
}

// flush sends the prelude and then the statement end ("COMMIT") in one
// round trip.
func (t *txn) flush(end string) error {
	b := t.prelude()
	b.Queue(end)
	res := t.q.SendBatch(t.ctx, b)
	var err error
	for range b.Len() {
		if _, e := res.Exec(); e != nil && err == nil {
			err = e
		}
	}
	return errors.Join(err, res.Close())
}

// query runs a read, in one round trip with the prelude; done must be
// called once the rows are read.
func (t *txn) query(sql string, args ...any) (rows pgx.Rows, done func() error, err error) {
	b := t.prelude()
	if b.Len() == 0 {
		rows, err := t.q.Query(t.ctx, sql, args...)
		return rows, func() error { return nil }, err
	}
	b.Queue(sql, args...)
	res := t.q.SendBatch(t.ctx, b)
	for range b.Len() - 1 {
		if _, err := res.Exec(); err != nil {
			return nil, nil, errors.Join(err, res.Close())
		}
	}
	rows, err = res.Query()
	if err != nil {
		return nil, nil, errors.Join(err, res.Close())
	}
	return rows, res.Close, nil
}

func (t *txn) Get(key []byte) ([]byte, error) {
	rows, done, err := t.query(`SELECT v FROM kefu_kv WHERE space = $1 AND k = $2 AND (expires_at IS NULL OR expires_at > now())`, t.space, key)
	if err != nil {
		return nil, err
	}
	var v []byte
	found := rows.Next()
	if found {
		err = rows.Scan(&v)
	}
	rows.Close()
	err = errors.Join(err, rows.Err(), done())
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, store.ErrNotFound
	case v == nil:
		v = []byte{}
	}
	return v, nil
}

func (t *txn) Set(key, value []byte) error { return t.set(key, value, nil) }

func (t *txn) SetTTL(key, value []byte, ttl time.Duration) error {
	secs := ttl.Seconds()
	return t.set(key, value, &secs)
}

func (t *txn) set(key, value []byte, ttl *float64) error {
	if t.readOnly {
		return errors.New("store: write in a read-only transaction")
	}
	if len(key) > store.MaxKey || len(value) > store.MaxValue {
		return fmt.Errorf("store: key of %d bytes or value of %d bytes over the limits", len(key), len(value))
	}
	// Copies: the caller may reuse its slices before the batch is sent.
	return t.write(sqlSet, t.space, append([]byte(nil), key...), append(make([]byte, 0, len(value)), value...), ttl)
}

// write holds a write back until the next statement.
func (t *txn) write(sql string, args ...any) error {
	if t.pending == nil {
		t.pending = &pgx.Batch{}
	}
	t.pending.Queue(sql, args...)
	return nil
}

func (t *txn) Delete(key []byte) error {
	if t.readOnly {
		return errors.New("store: write in a read-only transaction")
	}
	return t.write(sqlDelete, t.space, append([]byte(nil), key...))
}

// A Scan reads rows a page at a time (into memory before fn sees them, so
// fn may use the transaction): a first small page, as most scans stop
// early (the newest message with buttons), then pages four times larger,
// up to scanPage.
const (
	firstScanPage = 16
	scanPage      = 512
)

func (t *txn) Scan(prefix []byte, opt store.ScanOptions, fn func(key, value []byte) error) error {
	lo, hi := prefix, store.PrefixEnd(prefix) // hi nil: no upper bound
	if lo == nil {
		lo = []byte{}
	}
	from := opt.From
	first := true
	page := firstScanPage
	for {
		q := `SELECT k, ` + map[bool]string{true: "NULL::bytea", false: "v"}[opt.KeysOnly] + ` FROM kefu_kv
			WHERE space = $1 AND k >= $2 AND ($3::bytea IS NULL OR k < $3) AND (expires_at IS NULL OR expires_at > now())`
		args := []any{t.space, lo, hi}
		switch {
		case from != nil && !opt.Reverse:
			q += " AND k " + map[bool]string{true: ">=", false: ">"}[first] + " $4"
			args = append(args, from)
		case from != nil:
			q += " AND k " + map[bool]string{true: "<=", false: "<"}[first] + " $4"
			args = append(args, from)
		}
		if opt.Reverse {
			q += " ORDER BY k DESC"
		} else {
			q += " ORDER BY k"
		}
		q += fmt.Sprintf(" LIMIT %d", page)
		rows, done, err := t.query(q, args...)
		if err != nil {
			return err
		}
		type kv struct{ k, v []byte }
		var got []kv
		for rows.Next() {
			var r kv
			if err := rows.Scan(&r.k, &r.v); err != nil {
				rows.Close()
				return errors.Join(err, done())
			}
			got = append(got, r)
		}
		rows.Close()
		if err := errors.Join(rows.Err(), done()); err != nil {
			return err
		}
		for _, r := range got {
			if err := fn(r.k, r.v); err != nil {
				if errors.Is(err, store.ErrStop) {
					return nil
				}
				return err
			}
		}
		if len(got) < page {
			return nil
		}
		from, first, page = got[len(got)-1].k, false, min(4*page, scanPage)
	}
}

// Publish sends payload to the topic's listeners in every instance.
func (s *Store) Publish(ctx context.Context, topic string, payload []byte) error {
	if len(payload) > maxPayload {
		return fmt.Errorf("store: payload of %d bytes over %d", len(payload), maxPayload)
	}
	if strings.Contains(topic, "\n") {
		return fmt.Errorf("store: topic %q has a newline", topic)
	}
	_, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", busChannel, topic+"\n"+base64.StdEncoding.EncodeToString(payload))
	return err
}

// maxPayload keeps a notification, base64-encoded after its topic, under
// PostgreSQL's 8000 bytes.
const maxPayload = 5000

// Listen calls fn with the topic's payloads.
func (s *Store) Listen(topic string, fn func([]byte)) (stop func()) {
	return s.listen.add(topic, fn)
}

// lockKey is a lock name's advisory-lock key.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("kefu/" + name))
	return int64(h.Sum64())
}

// Lock waits for the named lock on a connection of its own, held until
// unlock (or until the connection dies with its instance).
func (s *Store) Lock(ctx context.Context, name string) (func(), error) {
	select {
	case s.lockSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		<-s.lockSlots
		return nil, err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey(name)); err != nil {
		conn.Release()
		<-s.lockSlots
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", lockKey(name)); err != nil {
				// A connection in an unknown state does not go back to the
				// pool: closing it releases the lock.
				conn.Conn().Close(ctx)
			}
			conn.Release()
			<-s.lockSlots
		})
	}, nil
}

// TryLock takes the named lock if it is free, on a connection of its own
// that is checked every second; lost is closed if that connection breaks.
func (s *Store) TryLock(ctx context.Context, name string) (func(), <-chan struct{}, bool, error) {
	cfg, err := pgx.ParseConfig(s.url)
	if err != nil {
		return nil, nil, false, err
	}
	cfg.RuntimeParams["application_name"] = s.opts.AppName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, false, err
	}
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lockKey(name)).Scan(&ok); err != nil || !ok {
		conn.Close(context.Background())
		return nil, nil, false, err
	}
	lost, done := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex // one user of conn at a time
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				mu.Lock()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := conn.Ping(ctx)
				cancel()
				mu.Unlock()
				if err != nil {
					close(lost)
					return
				}
			}
		}
	}()
	var once sync.Once
	release := func() {
		once.Do(func() {
			close(done)
			mu.Lock()
			defer mu.Unlock()
			conn.Close(context.Background()) // ends the session: the lock goes with it
		})
	}
	return release, lost, true, nil
}
