package sparkplug

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry/internal/session"
)

// live is an open session: its client, its bdSeq, the next seq and the machines born in it.
type live struct {
	n      *Node
	client paho.Client
	bdSeq  uint64
	seq    uint64
	born   map[string]*machineState // by machine id
}

// machineState is what a session published of a machine: the values its DBIRTH declared and
// the time of each value last sent.
type machineState struct {
	sent map[string]time.Time
}

// run publishes the machines' births, data and deaths every Interval and answers commands,
// until the connection fails or ctx ends.
func (s *live) run(ctx context.Context) error {
	tick := time.NewTicker(s.n.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case raw := <-s.n.cmds:
			if err := s.command(ctx, raw); err != nil {
				return err
			}
		case <-tick.C:
			if !s.client.IsConnectionOpen() {
				return errors.New("connection lost")
			}
			if err := s.step(ctx); err != nil {
				return err
			}
		}
	}
}

// command handles an NCMD payload: a rebirth when it asks for one. A payload that does not
// decode, or asks for nothing the node knows, is logged and ignored.
func (s *live) command(ctx context.Context, raw []byte) error {
	cmd, err := ParseCommand(raw)
	if err != nil {
		s.n.badCmds.Add(1)
		s.n.log.Warn("ignoring an NCMD that does not decode", "err", err)
		return nil
	}
	for _, name := range cmd.Unknown {
		s.n.log.Warn("ignoring an NCMD metric the node does not know", "metric", name)
	}
	if !cmd.Rebirth {
		return nil
	}
	s.n.log.Info("sparkplug rebirth asked for")
	return s.birth(ctx)
}

// birth publishes the NBIRTH (seq 0) and a DBIRTH for every machine that answers.
func (s *live) birth(ctx context.Context) error {
	s.seq = 0
	clear(s.born)
	p := Payload{Timestamp: millis(time.Now()), Metrics: []Metric{
		{Name: BdSeqMetric, HasName: true, Alias: bdSeqAlias, HasAlias: true, DataType: Int64, Value: int64(s.bdSeq)},
		{Name: RebirthMetric, HasName: true, Alias: rebirthAlias, HasAlias: true, DataType: Boolean, Value: false},
	}}
	if err := s.publish(ctx, s.n.topic.ofNode("NBIRTH"), &p); err != nil {
		return fmt.Errorf("publishing the NBIRTH: %w", err)
	}
	s.n.births.Add(1)
	return s.step(ctx)
}

// step reads the machines once: a DBIRTH for a machine that answers and is not born (or
// reports a value its birth did not declare), DDATA of its values read since, a DDEATH for a
// born machine that no longer answers or that the daemon no longer drives.
func (s *live) step(ctx context.Context) error {
	now := time.Now()
	seen := make(map[string]bool)
	for _, m := range s.n.cfg.Floor.Machines() {
		seen[m.ID] = true
		st, born := s.born[m.ID]
		switch {
		case !m.Online || len(m.Values) == 0:
			if born {
				if err := s.death(ctx, m.ID, now); err != nil {
					return err
				}
			}
		case !born || !declared(st, m.Values):
			if err := s.deviceBirth(ctx, m, now); err != nil {
				return err
			}
		default:
			if err := s.data(ctx, st, m, now); err != nil {
				return err
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.born)) {
		if !seen[id] {
			if err := s.death(ctx, id, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// declared reports whether every value was declared by the machine's birth.
func declared(st *machineState, values []Value) bool {
	for _, v := range values {
		if _, ok := st.sent[v.Name]; !ok {
			return false
		}
	}
	return true
}

// deviceBirth publishes a machine's DBIRTH: every value with its name, alias and datatype.
func (s *live) deviceBirth(ctx context.Context, m Machine, now time.Time) error {
	st := &machineState{sent: make(map[string]time.Time, len(m.Values))}
	p := Payload{Timestamp: millis(now)}
	for _, v := range sortedValues(m.Values) {
		p.Metrics = append(p.Metrics, Metric{Name: v.Name, HasName: true, Alias: s.n.alias(m.ID, v.Name), HasAlias: true,
			Timestamp: millis(v.Time), DataType: Double, Value: v.Value})
		st.sent[v.Name] = v.Time
	}
	if err := s.publish(ctx, s.n.topic.device("DBIRTH", m.ID), &p); err != nil {
		return fmt.Errorf("publishing the DBIRTH of %s: %w", m.ID, err)
	}
	s.born[m.ID] = st
	return nil
}

// data publishes a machine's DDATA: the values read since they were last sent, by alias.
func (s *live) data(ctx context.Context, st *machineState, m Machine, now time.Time) error {
	p := Payload{Timestamp: millis(now)}
	for _, v := range sortedValues(m.Values) {
		if !v.Time.After(st.sent[v.Name]) {
			continue
		}
		st.sent[v.Name] = v.Time
		p.Metrics = append(p.Metrics, Metric{Alias: s.n.alias(m.ID, v.Name), HasAlias: true,
			Timestamp: millis(v.Time), DataType: Double, Value: v.Value})
	}
	if len(p.Metrics) == 0 {
		return nil
	}
	if err := s.publish(ctx, s.n.topic.device("DDATA", m.ID), &p); err != nil {
		return fmt.Errorf("publishing the DDATA of %s: %w", m.ID, err)
	}
	return nil
}

// death publishes a machine's DDEATH.
func (s *live) death(ctx context.Context, id string, now time.Time) error {
	delete(s.born, id)
	p := Payload{Timestamp: millis(now)}
	if err := s.publish(ctx, s.n.topic.device("DDEATH", id), &p); err != nil {
		return fmt.Errorf("publishing the DDEATH of %s: %w", id, err)
	}
	s.n.log.Info("sparkplug device death", "device", id)
	return nil
}

// sortedValues returns the values by name, so that births list them in a stable order.
func sortedValues(vs []Value) []Value {
	out := slices.Clone(vs)
	slices.SortFunc(out, func(a, b Value) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// publish sends a message of the session with the next seq, at QoS 0 and not retained, and
// waits until it is written.
func (s *live) publish(ctx context.Context, topic string, p *Payload) error {
	p.Seq, p.HasSeq = s.seq, true
	b, err := p.Marshal()
	if err != nil {
		return err
	}
	s.seq = (s.seq + 1) % 256
	return session.Wait(ctx, s.client.Publish(topic, 0, false, b), s.n.cfg.Timeout)
}

// die publishes the session's NDEATH and disconnects: a clean stop, after which the broker
// discards the will.
func (s *live) die() {
	if s.client.IsConnectionOpen() {
		if body, err := deathPayload(s.bdSeq); err == nil {
			t := s.client.Publish(s.n.topic.ofNode("NDEATH"), 1, false, body)
			if !t.WaitTimeout(s.n.cfg.Timeout) || t.Error() != nil {
				s.n.log.Warn("the NDEATH before the disconnect was not acknowledged: the broker's will says it", "err", t.Error())
			}
		}
	}
	s.client.Disconnect(250)
}

// Command is what an NCMD asks of the node.
type Command struct {
	// Rebirth is true when the command sets Node Control/Rebirth to true.
	Rebirth bool
	// Unknown names the metrics the node does not know (by name, or "alias N").
	Unknown []string
}

// ParseCommand decodes an NCMD payload. A payload that is not Sparkplug B protobuf is an error;
// a rebirth metric that is not a boolean is named in Unknown.
func ParseCommand(b []byte) (Command, error) {
	p, err := Unmarshal(b)
	if err != nil {
		return Command{}, err
	}
	var c Command
	for _, m := range p.Metrics {
		isRebirth := m.HasName && m.Name == RebirthMetric || !m.HasName && m.HasAlias && m.Alias == rebirthAlias
		v, isBool := m.Value.(bool)
		switch {
		case isRebirth && isBool:
			c.Rebirth = c.Rebirth || v
		case m.HasName:
			c.Unknown = append(c.Unknown, m.Name)
		default:
			c.Unknown = append(c.Unknown, fmt.Sprintf("alias %d", m.Alias))
		}
	}
	return c, nil
}
