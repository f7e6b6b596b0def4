package hub

import (
	"container/list"
	"sync"

	"github.com/cellforge/cellforge/book/network"
)

// idemCache remembers the answers to the last batches sent with an Idempotency-Key, so that
// a client retrying after a lost answer gets the first answer again, and a key reused for
// another batch is refused. It lives in memory: after a restart a retried batch is still
// stored once, since the rules take rows the book holds as they are as unchanged.
type idemCache struct {
	// keyed lets one batch with a key be imported at a time, so that two concurrent retries
	// of one batch get one answer (the rules import one batch at a time anyway).
	keyed sync.Mutex
	mu    sync.Mutex
	max   int
	order *list.List // of string keys, the oldest first
	byKey map[string]idemEntry
}

type idemEntry struct {
	request string // the drop and the body's SHA-256
	result  network.ImportResult
	elem    *list.Element
}

func newIdemCache(max int) *idemCache {
	return &idemCache{max: max, order: list.New(), byKey: map[string]idemEntry{}}
}

// get returns the answer kept for key; same tells whether it was for the same request.
func (c *idemCache) get(key, request string) (res network.ImportResult, found, same bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return network.ImportResult{}, false, false
	}
	return e.result, true, e.request == request
}

// put keeps the answer for key, forgetting the oldest beyond max.
func (c *idemCache) put(key, request string, res network.ImportResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.Remove(e.elem)
	}
	c.byKey[key] = idemEntry{request: request, result: res, elem: c.order.PushBack(key)}
	for c.order.Len() > c.max {
		oldest := c.order.Front()
		c.order.Remove(oldest)
		delete(c.byKey, oldest.Value.(string))
	}
}
