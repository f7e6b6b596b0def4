// A Sparkplug B host application for the tests of telemetry/sparkplug. It subscribes to
// spBv1.0/#, decodes every message with Eclipse Tahu's sparkplug-payload and checks the
// session rules of the edge nodes it hears, writing one JSON line to stdout per message
// ({"kind":"message",...}) and per broken rule ({"kind":"violation",...}).
//
// Usage: node host.js BROKER_URL CLIENT_ID
// Lines on stdin: "rebirth GROUP NODE" publishes an NCMD asking for a rebirth; "garbage GROUP
// NODE" publishes an NCMD that is not a Sparkplug payload. Each is answered with
// {"kind":"sent",...} once the broker has it.
'use strict';

const mqtt = require('mqtt');
const readline = require('readline');
const sparkplug = require('sparkplug-payload').get('spBv1.0');

const [brokerURL, clientId] = process.argv.slice(2);
const nodes = new Map(); // "group/node" -> node state

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function violation(rule, topic, detail) {
  out({ kind: 'violation', rule, topic, detail });
}

function num(v) {
  // sparkplug-payload gives 64-bit integers as Long objects.
  return v !== null && typeof v === 'object' && typeof v.toNumber === 'function' ? v.toNumber() : v;
}

function nodeState(key) {
  if (!nodes.has(key)) {
    // unknown: this host session has not seen the node's birth.
    nodes.set(key, { state: 'unknown', bdSeq: null, seq: null, aliases: new Map(), devices: new Map() });
  }
  return nodes.get(key);
}

// A persistent session, as a SCADA host keeps: an NDEATH (QoS 1) published while the host is
// away, such as the will the broker publishes as it shuts down, reaches it when it is back.
const client = mqtt.connect(brokerURL, { clientId, clean: false, reconnectPeriod: 200, connectTimeout: 5000 });

client.on('connect', () => {
  // A new host session: what was heard before may have been missed since.
  nodes.clear();
  client.subscribe('spBv1.0/#', { qos: 1 }, (err) => {
    if (err) {
      violation('subscribe', 'spBv1.0/#', String(err));
      return;
    }
    out({ kind: 'connected' });
  });
});

client.on('error', (err) => out({ kind: 'error', detail: String(err) }));

client.on('message', (topic, message) => {
  const parts = topic.split('/');
  if (parts.length < 4 || parts.length > 5) {
    violation('topic', topic, 'not spBv1.0/group/TYPE/node[/device]');
    return;
  }
  const [, group, type, node, device] = parts;
  if (type === 'NCMD' || type === 'DCMD' || type === 'STATE') {
    return;
  }
  let payload;
  try {
    payload = sparkplug.decodePayload(message);
  } catch (err) {
    violation('decode', topic, String(err));
    return;
  }
  const metrics = (payload.metrics || []).map((m) => ({
    name: m.name, alias: m.alias === undefined ? undefined : num(m.alias), type: m.type, value: num(m.value),
  }));
  const seq = payload.seq === undefined ? undefined : num(payload.seq);
  const event = { kind: 'message', type, group, node, device, seq, metrics };
  const bd = metrics.find((m) => m.name === 'bdSeq');
  if (bd) {
    event.bdSeq = bd.value;
  }
  check(topic, `${group}/${node}`, type, device, seq, metrics, event);
  out(event);
});

// check applies the session rules to a message of node key.
function check(topic, key, type, device, seq, metrics, event) {
  const n = nodeState(key);
  if (type === 'NBIRTH') {
    return nodeBirth(topic, n, seq, metrics, event);
  }
  if (type === 'NDEATH') {
    return nodeDeath(topic, n, metrics, event);
  }
  if (n.state !== 'online') {
    if (n.state === 'unknown') {
      // Born before this host listened: ask for a birth, as a host does.
      requestRebirth(key);
      event.ignored = 'node unknown to this host session: rebirth requested';
      return;
    }
    violation('birth-first', topic, `${type} while the node is ${n.state}`);
    return;
  }
  if (seq !== (n.seq + 1) % 256) {
    violation('seq', topic, `seq ${seq} after ${n.seq}`);
  }
  n.seq = seq;
  switch (type) {
    case 'DBIRTH': return deviceBirth(topic, n, device, metrics);
    case 'DDATA': return deviceData(topic, n, device, metrics);
    case 'DDEATH': return deviceDeath(topic, n, device);
    case 'NDATA': return nodeData(topic, n, metrics);
    default: violation('type', topic, `unknown message type ${type}`);
  }
}

function nodeBirth(topic, n, seq, metrics, event) {
  if (seq !== 0) {
    violation('nbirth-seq', topic, `NBIRTH with seq ${seq}`);
  }
  if (event.bdSeq === undefined || typeof event.bdSeq !== 'number') {
    violation('nbirth-bdseq', topic, 'NBIRTH without a numeric bdSeq metric');
  }
  if (!metrics.some((m) => m.name === 'Node Control/Rebirth' && m.type === 'Boolean')) {
    violation('nbirth-rebirth', topic, 'NBIRTH without the boolean Node Control/Rebirth metric');
  }
  Object.assign(n, { state: 'online', bdSeq: event.bdSeq, seq: 0, aliases: new Map(), devices: new Map() });
  declare(topic, n, '', metrics);
}

function nodeDeath(topic, n, metrics, event) {
  if (event.bdSeq === undefined) {
    violation('ndeath-bdseq', topic, 'NDEATH without a bdSeq metric');
  } else if (n.state === 'online' && event.bdSeq !== n.bdSeq) {
    violation('ndeath-bdseq', topic, `NDEATH of bdSeq ${event.bdSeq} while the session's NBIRTH had ${n.bdSeq}`);
  }
  // A death heard before any birth of this host session (one kept for it while it was away)
  // leaves the node unknown: a session the host did not see may have begun since.
  if (n.state === 'online') {
    n.state = 'offline';
  }
}

// declare records the metrics of a birth: each needs a name, an alias and a datatype, and an
// alias names one metric across the node.
function declare(topic, n, device, metrics) {
  const own = new Set();
  for (const m of metrics) {
    if (!m.name || m.alias === undefined || !m.type) {
      violation('birth-metric', topic, `metric ${JSON.stringify(m)} without a name, an alias or a datatype`);
      continue;
    }
    const prev = n.aliases.get(m.alias);
    if (prev && (prev.device !== device || prev.name !== m.name)) {
      violation('alias-unique', topic, `alias ${m.alias} of ${m.name} already names ${prev.device}/${prev.name}`);
    }
    n.aliases.set(m.alias, { device, name: m.name, type: m.type });
    own.add(m.alias);
  }
  return own;
}

function deviceBirth(topic, n, device, metrics) {
  if (!device) {
    violation('topic', topic, 'DBIRTH without a device');
    return;
  }
  n.devices.set(device, { alive: true, aliases: declare(topic, n, device, metrics) });
}

function deviceData(topic, n, device, metrics) {
  const d = n.devices.get(device);
  if (!d || !d.alive) {
    violation('dbirth-first', topic, `DDATA of ${device}, which is not born`);
    return;
  }
  for (const m of metrics) {
    if (m.alias === undefined || !d.aliases.has(m.alias)) {
      violation('alias-declared', topic, `metric ${JSON.stringify(m)} by an alias the DBIRTH did not declare`);
    } else if (typeof m.value !== 'number') {
      violation('value', topic, `metric alias ${m.alias} without a numeric value`);
    }
  }
}

function deviceDeath(topic, n, device) {
  const d = n.devices.get(device);
  if (!d || !d.alive) {
    violation('dbirth-first', topic, `DDEATH of ${device}, which is not born`);
    return;
  }
  d.alive = false;
}

function nodeData(topic, n, metrics) {
  for (const m of metrics) {
    const a = n.aliases.get(m.alias);
    if (m.alias === undefined || !a || a.device !== '') {
      violation('alias-declared', topic, `NDATA metric ${JSON.stringify(m)} not declared by the NBIRTH`);
    }
  }
}

function ncmd(key, body, what) {
  const [group, node] = key.split('/');
  client.publish(`spBv1.0/${group}/NCMD/${node}`, body, { qos: 1 }, (err) => {
    out({ kind: 'sent', what, group, node, err: err ? String(err) : undefined });
  });
}

const asked = new Set();
function requestRebirth(key) {
  if (asked.has(key)) {
    return;
  }
  asked.add(key);
  setTimeout(() => asked.delete(key), 1000);
  ncmd(key, rebirthPayload(), 'rebirth-request');
}

function rebirthPayload() {
  return sparkplug.encodePayload({
    timestamp: Date.now(),
    metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }],
  });
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [what, group, node] = line.trim().split(/\s+/);
  if (what === 'rebirth') {
    ncmd(`${group}/${node}`, rebirthPayload(), what);
  } else if (what === 'garbage') {
    ncmd(`${group}/${node}`, Buffer.from([0x0a, 0xff, 0xff, 0x12, 0x03]), what);
  }
}).on('close', () => client.end(false, () => process.exit(0)));
