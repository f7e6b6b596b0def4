package link

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry/internal/session"
)

// Run connects to the broker with a persistent session, subscribes to what Self receives,
// publishes the outbound queue in order and hands each verified message to h, reconnecting
// with backoff whenever the connection is lost. It blocks until ctx ends and then returns nil;
// what is queued and not acknowledged stays on disk.
func (l *Link) Run(ctx context.Context, h Handler) error {
	if h == nil {
		return errors.New("link: Run: no handler")
	}
	if !l.running.CompareAndSwap(false, true) {
		return errors.New("link: Run: already running")
	}
	defer l.running.Store(false)
	connected := make(chan struct{}, 1)
	if l.cfg.OnConnect != nil {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.tellConnected(ctx, connected)
		}()
		defer wg.Wait()
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		up, err := l.connection(ctx, h, connected)
		if ctx.Err() != nil {
			break
		}
		if up {
			backoff = 100 * time.Millisecond
		}
		l.log.Warn("network link down: messages wait on disk until it is back", "broker", l.cfg.Broker, "err", err,
			"queued", l.queue.Stats().Records)
		backoff = session.Pause(ctx, backoff)
	}
	return nil
}

// tellConnected calls OnConnect for each signal on connected until ctx ends.
func (l *Link) tellConnected(ctx context.Context, connected <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-connected:
			l.cfg.OnConnect()
		}
	}
}

// connection runs one connection: it connects and subscribes, then publishes and receives
// until the connection fails or ctx ends. up tells whether it got as far as subscribing; err is
// why it ended, nil when ctx ended. Once subscribed it signals connected without waiting (a
// signal already pending stands for this one too).
//
// Received messages are handled in the client library's own goroutine, one after the other (in
// order), and acknowledged there: the library accepts acknowledgements only from a handler
// that has not returned yet. While a handler runs the connection reads nothing else, so a
// handler that keeps failing may cost the connection (acknowledgements time out); the message
// is then delivered again on the next one.
func (l *Link) connection(ctx context.Context, h Handler, connected chan<- struct{}) (up bool, err error) {
	connCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	deliver := func(_ paho.Client, m paho.Message) {
		if connCtx.Err() != nil {
			return // not acknowledged: the broker delivers it again
		}
		if err := l.receiveOne(connCtx, h, m); err != nil {
			// Later messages must not be acknowledged before this one: end the connection.
			cancel(err)
		}
	}
	opts := session.Options(session.Config{Broker: l.cfg.Broker, ClientID: l.cfg.ClientID,
		Username: l.cfg.Username, Password: l.cfg.Password, TLS: l.cfg.TLS, Timeout: l.cfg.Timeout}).
		SetOrderMatters(true).
		SetAutoAckDisabled(true).
		SetDefaultPublishHandler(deliver) // what the session kept arrives before Subscribe returns
	client, err := session.Connect(ctx, opts, l.cfg.Timeout)
	if err != nil {
		return false, err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := l.publish(connCtx, client); err != nil {
			cancel(err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := l.subscribe(connCtx, client, deliver); err != nil {
			cancel(err)
			return
		}
		if connCtx.Err() == nil {
			up = true
			l.setConnected(true)
			l.log.Info("network link up", "broker", l.cfg.Broker)
			select {
			case connected <- struct{}{}:
			default:
			}
		}
	}()
	for connCtx.Err() == nil && client.IsConnectionOpen() {
		session.Pause(connCtx, 100*time.Millisecond)
	}
	cancel(errors.New("connection lost"))
	wg.Wait()
	if up {
		l.setConnected(false)
	}
	// Disconnect waits for the handler, which sees connCtx end.
	client.Disconnect(250)
	if ctx.Err() != nil {
		return up, nil
	}
	return up, context.Cause(connCtx)
}

// subscribe subscribes to what Self receives. A subscription the broker refuses (its ACL) is
// an error: the link would otherwise wait for messages that never come.
func (l *Link) subscribe(ctx context.Context, client paho.Client, deliver paho.MessageHandler) error {
	filter := subscription(l.cfg.Self)
	t := client.Subscribe(filter, 1, deliver)
	// Not bounded by Timeout: a handler at work holds up the acknowledgement.
	if err := session.Wait(ctx, t, 365*24*time.Hour); err != nil {
		return fmt.Errorf("subscribing to %s: %w", filter, err)
	}
	if st, ok := t.(*paho.SubscribeToken); ok {
		if code, ok := st.Result()[filter]; ok && code > 1 {
			return fmt.Errorf("subscribing to %s: the broker refused it (code %#x): does its ACL give user %q this topic?",
				filter, code, l.cfg.Username)
		}
	}
	return nil
}

// publish publishes the outbound queue in order, one message at a time, and removes each from
// the queue once the broker has acknowledged it. It returns when ctx ends (nil) or a publish
// fails.
func (l *Link) publish(ctx context.Context, client paho.Client) error {
	from := l.queue.Oldest()
	for ctx.Err() == nil {
		recs, err := l.queue.Read(from, 64, 1<<20)
		if err != nil {
			return fmt.Errorf("reading the outbound queue: %w", err)
		}
		if len(recs) == 0 {
			// A bounded wait, so that the loop sees ctx end without new messages.
			waitCtx, stop := context.WithTimeout(ctx, time.Second)
			_ = l.queue.Wait(waitCtx, from)
			stop()
			continue
		}
		for _, r := range recs {
			from = r.Seq + 1
			to, payload, ok := parseRecord(r.Data)
			if !ok {
				l.log.Error("dropping a damaged record of the outbound queue", "record", r.Seq)
				l.queue.Ack(r.Seq)
				continue
			}
			t := client.Publish(Topic(to, l.cfg.Self), 1, false, payload)
			if err := session.Wait(ctx, t, l.cfg.Timeout); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("publishing to %s: %w", to, err)
			}
			l.queue.Ack(r.Seq)
			l.sentN.Add(1)
		}
	}
	return nil
}
