package book

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// Actor identifies who made a change, as the event log records it.
type Actor string

// ActorDispatcher is the actor of the dispatcher's changes.
const ActorDispatcher Actor = "dispatcher"

// Config is what a Book needs.
type Config struct {
	Store   Store
	Factory *configs.Factory
	Logger  *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// LargeBatch is the number of new orders from which an import is written in several
	// transactions, when the store can (see BatchStore); 500 when zero.
	LargeBatch int
}

// Book is the order book of one factory. It is safe for concurrent use.
type Book struct {
	store  Store // notify, wrapping Config.Store
	notify *notifyingStore
	log    *slog.Logger
	now    func() time.Time

	// current is the factory the book runs and what is derived of it, swapped whole by
	// SetFactory: a reader loads it once and sees one version throughout.
	current atomic.Pointer[view]

	// downMu guards down: the cells out of service (in fault or unreachable) and why.
	// Dispatching skips them. It mirrors what the store holds (CellDown and CellUp write both;
	// Load reads it at start, Refresh after another process wrote the store).
	downMu sync.Mutex
	down   map[string]string
	// downSync is held for reading by CellDown and CellUp, which change down before their
	// write and undo the change when it fails, and for writing by readDown, which replaces
	// down by the store's: a read made while one of them is under way would undo it.
	downSync sync.RWMutex

	// importMu serializes imports: a batch's window and conflict checks read the book and then
	// write it, and no other batch may slip in between.
	importMu sync.Mutex

	// plan is the plan the book follows, nil until UsePlan.
	plan atomic.Pointer[planHolder]

	// largeBatch is Config.LargeBatch.
	largeBatch int

	// oee keeps the OEE figures of buckets that can no longer change.
	oee oeeCache
	// pareto keeps the stops by reason of days that can no longer change.
	pareto paretoCache

	// onceMu guards running: the idempotency keys whose Once runs in this process, each with
	// a channel closed once its answer is stored or its key released.
	onceMu  sync.Mutex
	running map[onceKey]chan struct{}
	// onceKept are the records of idempotency keys whose runs ended here while the store could
	// not take them (its database away): a release, or an answer. They hold over what the
	// store says of the key until they are stored; under onceMu.
	onceKept map[onceKey]IdempotencyRecord
}

// New returns a Book over a store for a validated factory.
func New(cfg Config) *Book {
	notify := newNotifyingStore(cfg.Store)
	b := &Book{
		store:    notify,
		notify:   notify,
		log:      cfg.Logger,
		now:      cfg.Now,
		down:     make(map[string]string),
		running:  make(map[onceKey]chan struct{}),
		onceKept: make(map[onceKey]IdempotencyRecord),
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.largeBatch = cfg.LargeBatch
	if b.largeBatch <= 0 {
		b.largeBatch = defaultLargeBatch
	}
	b.current.Store(newView(cfg.Factory))
	return b
}

// view is one version of the factory and the look-ups the book makes of it.
type view struct {
	factory  *configs.Factory
	products map[string]configs.Product
	drops    map[string]configs.Drop
	cells    map[string]configs.Cell
	capable  map[string][]string // capability -> cells offering it, in config order
	labeled  map[string]bool     // the cells holding a label printer: their units owe labels
}

func newView(f *configs.Factory) *view {
	v := &view{
		factory:  f,
		products: make(map[string]configs.Product, len(f.Products)),
		drops:    make(map[string]configs.Drop, len(f.Drops)),
		cells:    make(map[string]configs.Cell, len(f.Cells)),
		capable:  make(map[string][]string),
		labeled:  labeledCells(f),
	}
	for _, p := range f.Products {
		v.products[p.SKU] = p
	}
	for _, d := range f.Drops {
		v.drops[d.ID] = d
	}
	for _, c := range f.Cells {
		v.cells[c.ID] = c
		for _, capability := range c.Capabilities {
			v.capable[capability] = append(v.capable[capability], c.ID)
		}
	}
	return v
}

// cfg returns the version of the factory the book runs now.
func (b *Book) cfg() *view { return b.current.Load() }

// Factory returns the factory the book runs now. A reader that needs several of its parts
// keeps what it got: a reload (SetFactory) may swap it at any time.
func (b *Book) Factory() *configs.Factory { return b.cfg().factory }

// SetFactory makes the book run f, a validated new version of its factory, from now on: its
// products, drops, cells, people, reasons and working hours at once. The caller checks that
// the change may apply while the book runs (configs.Compare): cells are only added, and the
// time zone and the OEE's stop settings other than the reasons stay.
// An import under way ends with the version it began with (the next waits for the swap).
func (b *Book) SetFactory(f *configs.Factory) {
	v := newView(f)
	b.importMu.Lock()
	defer b.importMu.Unlock()
	b.current.Store(v)
}

// ErrUnknownDrop, ErrUnknownCell, ErrUnknownWorkOrder and ErrUnknownOperation are returned
// (wrapped) when a request names something that does not exist.
var (
	ErrUnknownDrop      = errors.New("unknown drop")
	ErrUnknownCell      = errors.New("unknown cell")
	ErrUnknownWorkOrder = errors.New("unknown work order")
	ErrUnknownOperation = errors.New("unknown operation")
)

// ErrIdempotencyMismatch is returned when an Idempotency-Key is reused for a different request.
var ErrIdempotencyMismatch = errors.New("idempotency key was already used for a different request")

// Idempotency scopes a write to a client's Idempotency-Key: the first write with a key is
// applied and its result remembered; a retry with the same key and request gets the same result
// and changes nothing.
type Idempotency struct {
	Principal   string
	Key         string
	RequestHash string
}

// IdempotencyTTL is how long an Idempotency-Key is remembered: a retry within it answers as
// the first request did. The hub's book (book/network) keeps its keys as long.
const IdempotencyTTL = 24 * time.Hour

// idempotent runs fn inside tx unless idem names a key already used, in which case it returns
// the remembered result with replayed true.
func idempotent[T any](tx Tx, idem *Idempotency, now time.Time, fn func() (T, error)) (result T, replayed bool, err error) {
	if idem == nil || idem.Key == "" {
		result, err = fn()
		return result, false, err
	}
	if result, replayed, err = remembered[T](tx, idem, now); err != nil || replayed {
		return result, replayed, err
	}
	result, err = fn()
	if err != nil {
		return result, false, err
	}
	body, err := json.Marshal(result)
	if err != nil {
		return result, false, fmt.Errorf("encoding result for idempotency key: %w", err)
	}
	err = tx.PutIdempotency(IdempotencyRecord{
		Principal:   idem.Principal,
		Key:         idem.Key,
		RequestHash: idem.RequestHash,
		Status:      200,
		Response:    body,
		CreatedAt:   now,
	})
	if err != nil {
		return result, false, fmt.Errorf("remembering idempotency key: %w", err)
	}
	return result, false, nil
}

// remembered returns the result remembered for idem's key, with found true, when the key was
// used within its time to live before now; ErrIdempotencyMismatch when it was used for another
// request.
func remembered[T any](tx ReadTx, idem *Idempotency, now time.Time) (result T, found bool, err error) {
	rec, ok, err := tx.Idempotency(idem.Principal, idem.Key)
	if err != nil {
		return result, false, fmt.Errorf("looking up idempotency key: %w", err)
	}
	if !ok || !rec.CreatedAt.After(now.Add(-IdempotencyTTL)) {
		return result, false, nil
	}
	if rec.RequestHash != idem.RequestHash {
		return result, false, ErrIdempotencyMismatch
	}
	if err := json.Unmarshal(rec.Response, &result); err != nil {
		return result, false, fmt.Errorf("decoding remembered result of idempotency key %q: %w", idem.Key, err)
	}
	return result, true, nil
}

// ExpireIdempotency forgets idempotency keys older than their time to live.
func (b *Book) ExpireIdempotency(ctx context.Context) error {
	before := b.now().Add(-IdempotencyTTL)
	return b.store.Write(ctx, func(tx Tx) error { return tx.ExpireIdempotency(before) })
}

// clock returns the time of a change, to the microsecond that stores keep, so that an answer
// given at the change and a later read of it agree.
func (b *Book) clock() time.Time {
	return b.now().UTC().Truncate(time.Microsecond)
}
