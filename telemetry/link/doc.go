// Package link carries signed, sequenced messages between a network's hub and its sites over
// MQTT. A message's kind is a string and its body JSON: the package knows nothing of what they
// mean (book/network does).
//
// # Topics and wire format
//
// A message from X to Y is published on cellforge/net/v1/to/<Y>/from/<X>, where X and Y are
// "hub" or a site id: the hub subscribes to cellforge/net/v1/to/hub/from/+, a site to
// cellforge/net/v1/to/<site>/from/hub, so that a broker ACL can give each site's user exactly
// its two topics. The payload is the JSON of an [Envelope] followed by the 64-byte Ed25519
// signature of those JSON bytes, made with the sender's key.
//
// # Sending
//
// [Link.Send] numbers a message (the sender's epoch, fixed when its state is first created
// under Config.Dir, and a sequence number per receiver that grows by one), signs it and appends
// it to a durable queue (telemetry/buffer) under Dir, fsync'd before Send returns. [Link.Run]
// publishes the queue in order with QoS 1, one message in flight, and a message leaves the queue
// when the broker acknowledges it. After a crash a message the broker had acknowledged may be
// published again (the queue's cursor lags by up to its sync interval): the receiver refuses it
// as a replay.
//
// # Receiving
//
// Run subscribes with a persistent session (clean=false) and checks every message in this
// order: the topic's sender is a peer, the payload is an envelope, its signature is the
// sender's, its From and To agree with the topic, and its (Epoch, Seq) is above the last one
// applied from that sender (a larger epoch starts again from its Seq). A refused message is
// logged once, counted in [Status] by reason, and acknowledged to the broker so that it is not
// delivered again. A message that passes goes to the [Handler]; when the handler fails it is
// called again with backoff, later messages waiting, until it succeeds or Run ends. Then the
// ledger under Dir records (Epoch, Seq) for its sender, fsync'd, and only then is the message
// acknowledged to the broker. A crash between the handler and the ledger delivers the message
// again: handlers must be idempotent.
//
// The broker keeps messages for a receiver's session only once the receiver has connected
// once: a message published to a receiver that never connected is lost at the broker.
//
// # Files under Dir
//
// "queue/" (the outbound queue), "send.json" (the epoch and the last sequence number sent to
// each receiver) and "ledger.json" (the last (Epoch, Seq) applied from each sender), each
// written whole or not at all. Only one Link may use a Dir at a time. A Dir lost and made
// again starts a new epoch (the time it is made), which receivers take as a fresh start as long
// as the clock has not gone back.
//
// The package imports telemetry/buffer, telemetry/internal/session, store/atomicfile,
// store/keyfile (the key files of GenerateKey and LoadKey), paho and the standard library.
package link
