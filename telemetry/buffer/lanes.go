package buffer

import "context"

// Lanes reads a queue for a consumer that may have fallen behind (its peer was down): in two
// lanes, the live one (records appended since the lanes started) before the backlog (records
// stored before), so that catching up a long backlog does not hold up live records. It does
// not consume: the consumer acks what it has delivered. A Lanes is used by one goroutine.
type Lanes struct {
	q                   *Queue
	live, backlog, edge uint64 // next live seq, next backlog seq, first live seq
}

// NewLanes starts reading q: the backlog is every record not acked yet, the live lane starts
// at the queue's end.
func NewLanes(q *Queue) *Lanes {
	l := &Lanes{q: q}
	l.Reset()
	return l
}

// Reset starts over, as NewLanes: after a failed delivery, what was read and not acked is
// read again (from the backlog).
func (l *Lanes) Reset() {
	l.edge = l.q.Next()
	l.live, l.backlog = l.edge, l.q.Oldest()
}

// Next returns up to max records (and about maxBytes) to deliver: live ones when there are any,
// else the next of the backlog; replayed is true for the backlog. It returns no records when
// both lanes are caught up.
func (l *Lanes) Next(max, maxBytes int) (recs []Record, replayed bool, err error) {
	recs, err = l.q.Read(l.live, max, maxBytes)
	if err != nil || len(recs) > 0 {
		if len(recs) > 0 {
			l.live = recs[len(recs)-1].Seq + 1
		}
		return recs, false, err
	}
	if l.backlog >= l.edge {
		return nil, false, nil
	}
	recs, err = l.q.Read(l.backlog, max, maxBytes)
	if err != nil {
		return nil, true, err
	}
	n := 0
	for n < len(recs) && recs[n].Seq < l.edge {
		n++
	}
	if n == 0 {
		l.backlog = l.edge // the rest of the backlog was acked or dropped
		return nil, true, nil
	}
	l.backlog = recs[n-1].Seq + 1
	return recs[:n], true, nil
}

// Wait blocks until a live record arrives or ctx ends.
func (l *Lanes) Wait(ctx context.Context) error { return l.q.Wait(ctx, l.live) }
