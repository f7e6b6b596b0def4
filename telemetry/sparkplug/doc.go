// Package sparkplug is a Sparkplug B edge node beside the daemon's own topic tree, for plants
// whose SCADA or historian speaks Sparkplug (Ignition, HiveMQ, Neuron): the daemon is the edge
// node, its machines are the node's devices.
//
// # Topics and session
//
//	spBv1.0/<group>/NBIRTH/<node>            the node's birth: bdSeq and Node Control/Rebirth
//	spBv1.0/<group>/NDEATH/<node>            the node's death: its will, and said before a clean disconnect
//	spBv1.0/<group>/NCMD/<node>              commands to the node: Node Control/Rebirth
//	spBv1.0/<group>/DBIRTH/<node>/<machine>  a machine's birth: every value it reports, with its alias
//	spBv1.0/<group>/DDATA/<node>/<machine>   a machine's new values, by alias
//	spBv1.0/<group>/DDEATH/<node>/<machine>  a machine lost (it stopped answering) or gone
//
// Every MQTT session (clean session, as Sparkplug asks of MQTT 3.1.1) has a birth/death sequence
// number, bdSeq (0-255), that moves on at every connection the broker accepts (not at one
// refused, which no host heard of) and is kept in a file across the daemon's restarts (an Int64
// metric, as Eclipse Tahu's edge nodes send it): the will registered at CONNECT is an NDEATH
// carrying it, and the NBIRTH that opens the session carries the same one, so that a host tells
// which session a death ends. The NBIRTH has seq 0; every message after it (NDATA, DBIRTH,
// DDATA, DDEATH) takes the next seq, 255 wrapping to 0. A rebirth command starts again from a
// new NBIRTH (seq 0, same bdSeq: the session and its will are the same) and a DBIRTH for every
// machine that answers. Births and data are published at QoS 0 and never retained, as the
// specification asks; NCMD is subscribed before the NBIRTH.
//
// Aliases are unique across the node and stay the same for the daemon's life: a machine's
// value keeps its alias from one birth to the next. A value a machine reports for the first
// time after its DBIRTH gives the machine a new DBIRTH, since DATA may only name what a birth
// declared. DATA metrics carry their datatype beside the alias: the specification does not
// require it, and Eclipse Tahu's JavaScript payload library reads a value only through it.
//
// # Payload
//
// The payload is Eclipse Tahu's sparkplug_b.proto (org.eclipse.tahu.protobuf.Payload),
// written here from the specification's field definitions for what the node sends and reads
// (the payload's timestamp, metrics, seq; a metric's name, alias, timestamp, datatype, is_null
// and scalar values). It is encoded and decoded by hand with google.golang.org/protobuf's
// protowire: a generated .pb.go would need protoc and its plugin to be regenerated, and the
// node needs a dozen fields out of the schema's hundred. Unknown fields are skipped on
// decoding, as protobuf requires, so a payload using the rest of the schema (datasets,
// templates, properties) decodes; only its scalar metrics are read.
//
// The package imports the telemetry's shared MQTT session helpers, store/atomicfile (for the
// bdSeq's file), the MQTT client library, protowire and the standard library; it must not import the order book, the cells or the
// drivers: the daemon hands it its machines through Floor.
package sparkplug
