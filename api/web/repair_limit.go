package web

import (
	"net/netip"
	"sync"
	"time"
)

// repairRequestsPerHour is how many repair requests one client host may send an hour (a
// burst of that many, then one back every hour / repairRequestsPerHour): a customer with a
// few pieces is never held back, and a script cannot fill the repair list or the photo store.
const repairRequestsPerHour = 10

// maxLimitClients bounds the hosts an hourlyLimit remembers; full buckets are dropped first.
const maxLimitClients = 10000

// hourlyLimit is a token bucket per client host, in memory, as the API's sign-in limiter keeps
// per host (api/limiter.go): the host is an IPv4 address or an IPv6 /64, so that one machine
// cannot refill its bucket by changing addresses within its network.
type hourlyLimit struct {
	mu       sync.Mutex
	burst    float64
	interval time.Duration
	clients  map[string]*bucketState
}

type bucketState struct {
	tokens float64
	last   time.Time
}

func newHourlyLimit(perHour int) *hourlyLimit {
	return &hourlyLimit{burst: float64(perHour), interval: time.Hour / time.Duration(perHour), clients: map[string]*bucketState{}}
}

// hostOf is the key of a client address: the address for IPv4, its /64 for IPv6.
func hostOf(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// take takes one request from the client's bucket; it returns how long to wait when it is
// empty, and zero when the request may go on.
func (l *hourlyLimit) take(client string, now time.Time) time.Duration {
	key := hostOf(client)
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.clients[key]
	if b == nil {
		if len(l.clients) >= maxLimitClients {
			l.prune(now)
		}
		b = &bucketState{tokens: l.burst, last: now}
		l.clients[key] = b
	}
	if now.After(b.last) {
		b.tokens += float64(now.Sub(b.last)) / float64(l.interval)
		b.last = now
	}
	if b.tokens > l.burst {
		b.tokens = l.burst
	}
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(l.interval))
	}
	b.tokens--
	return 0
}

// prune drops the hosts whose buckets are full again.
func (l *hourlyLimit) prune(now time.Time) {
	for k, b := range l.clients {
		if now.Sub(b.last) > time.Duration(l.burst)*l.interval {
			delete(l.clients, k)
		}
	}
}
