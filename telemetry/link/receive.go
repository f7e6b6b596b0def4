package link

import (
	"context"
	"errors"
	"fmt"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry/internal/session"
)

// refusal is a received message refused, with the reason Status counts it under.
type refusal struct {
	reason string
	from   string
	seq    uint64
	err    error
}

// receiveOne checks a message, hands it to h until h succeeds, records it in the ledger and
// acknowledges it to the broker. A refused message is acknowledged at once. It returns an
// error when the message is left unacknowledged: ctx ended, or the ledger could not be written.
func (l *Link) receiveOne(ctx context.Context, h Handler, pm paho.Message) error {
	env, ref := l.check(pm.Topic(), pm.Payload())
	if ref != nil {
		l.refuse(*ref)
		pm.Ack()
		return nil
	}
	m := Message{From: env.From, Kind: env.Kind, Seq: env.Seq, Epoch: env.Epoch, At: env.At, Body: env.Body}
	backoff := 100 * time.Millisecond
	for {
		err := h(ctx, m)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l.log.Warn("handling a network message failed: trying again", "from", m.From, "seq", m.Seq, "kind", m.Kind,
			"err", err, "retry_in", backoff)
		backoff = session.Pause(ctx, backoff)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := l.record(env.From, position{Epoch: env.Epoch, Seq: env.Seq}); err != nil {
		l.log.Error("recording a handled network message failed: it will be delivered again", "from", m.From,
			"seq", m.Seq, "err", err)
		return err
	}
	l.applied.Add(1)
	pm.Ack()
	return nil
}

// check runs the receive checks in order: the topic's sender is a peer, the payload is an
// envelope signed by it, the envelope agrees with the topic, and it comes after the last one
// applied from that sender.
func (l *Link) check(topic string, payload []byte) (Envelope, *refusal) {
	to, from, ok := parseTopic(topic)
	key, peer := l.cfg.Peers[from]
	if !ok || !peer {
		return Envelope{}, &refusal{reason: RefusedUnknownSender, from: from,
			err: fmt.Errorf("unknown site %q (topic %q)", from, topic)}
	}
	env, err := unseal(payload, key)
	if err != nil {
		reason := RefusedMalformed
		if errors.Is(err, errSignature) {
			reason = RefusedSignature
		}
		return Envelope{}, &refusal{reason: reason, from: from, seq: env.Seq, err: err}
	}
	if to != l.cfg.Self || env.From != from || env.To != to {
		return Envelope{}, &refusal{reason: RefusedTopic, from: from, seq: env.Seq,
			err: fmt.Errorf("envelope from %q to %q on topic %q, which is from %q to %q", env.From, env.To, topic, from, to)}
	}
	l.ledgerMu.Lock()
	last, seen := l.ledger[from]
	l.ledgerMu.Unlock()
	p := position{Epoch: env.Epoch, Seq: env.Seq}
	switch {
	case !seen || p.after(last):
		return env, nil
	case p.Epoch < last.Epoch:
		return Envelope{}, &refusal{reason: RefusedReplay, from: from, seq: env.Seq,
			err: fmt.Errorf("replayed sequence number %d from %s: of epoch %d, older than the last applied, %d", env.Seq, from, p.Epoch, last.Epoch)}
	default:
		return Envelope{}, &refusal{reason: RefusedReplay, from: from, seq: env.Seq,
			err: fmt.Errorf("replayed sequence number %d from %s: the last applied is %d", env.Seq, from, last.Seq)}
	}
}

// refuse logs a refused message and counts it.
func (l *Link) refuse(r refusal) {
	l.refusedMu.Lock()
	l.refused[r.reason]++
	l.refusedMu.Unlock()
	l.log.Warn("refused a network message", "from", r.from, "seq", r.seq, "reason", r.reason, "err", r.err)
}

// record writes a sender's last applied position to the ledger, fsync'd, before it counts.
func (l *Link) record(from string, p position) error {
	l.ledgerMu.Lock()
	defer l.ledgerMu.Unlock()
	next := make(ledger, len(l.ledger)+1)
	for k, v := range l.ledger {
		next[k] = v
	}
	next[from] = p
	if err := writeJSON(l.cfg.Dir, ledgerFile, next); err != nil {
		return err
	}
	l.ledger = next
	return nil
}
