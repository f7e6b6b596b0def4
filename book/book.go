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
	store   Store // notify, wrapping Config.Store
	notify  *notifyingStore
	factory *configs.Factory
	log     *slog.Logger
	now     func() time.Time

	products map[string]configs.Product
	drops    map[string]configs.Drop
	cells    map[string]configs.Cell
	capable  map[string][]string // capability -> cells offering it, in config order
	labeled  map[string]bool     // the cells holding a label printer: their units owe labels

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
		factory:  cfg.Factory,
		log:      cfg.Logger,
		now:      cfg.Now,
		products: make(map[string]configs.Product),
		drops:    make(map[string]configs.Drop),
		cells:    make(map[string]configs.Cell),
		capable:  make(map[string][]string),
		down:     make(map[string]string),
		labeled:  labeledCells(cfg.Factory),
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
	for _, p := range cfg.Factory.Products {
		b.products[p.SKU] = p
	}
	for _, d := range cfg.Factory.Drops {
		b.drops[d.ID] = d
	}
	for _, c := range cfg.Factory.Cells {
		b.cells[c.ID] = c
		for _, capability := range c.Capabilities {
			b.capable[capability] = append(b.capable[capability], c.ID)
		}
	}
	return b
}

// Factory returns the factory the book runs.
func (b *Book) Factory() *configs.Factory { return b.factory }

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
