// Writes the payloads of ../testdata/ with Eclipse Tahu's sparkplug-payload, for the Go
// decoder's tests (payload_test.go says what each holds). Run it again with `node
// make-testdata.js` after npm ci; its output is checked in.
'use strict';

const fs = require('fs');
const path = require('path');
const Long = require('long');
const sparkplug = require('sparkplug-payload').get('spBv1.0');

const ts = 1795334612885;
const payloads = {
  'tahu-nbirth.bin': {
    timestamp: ts, seq: 0, metrics: [
      { name: 'bdSeq', alias: 1, type: 'UInt64', value: 5 },
      { name: 'Node Control/Rebirth', alias: 2, type: 'Boolean', value: false },
    ],
  },
  'tahu-ddata.bin': {
    timestamp: ts, seq: 255, metrics: [
      { alias: 3, timestamp: ts - 1, type: 'Int8', value: -3 },
      { alias: 4, type: 'Int16', value: -300 },
      { alias: 5, type: 'Int32', value: -70000 },
      { alias: 6, type: 'Int64', value: Long.fromNumber(-5000000000) },
      { alias: 7, type: 'UInt8', value: 255 },
      { alias: 8, type: 'UInt16', value: 65535 },
      { alias: 9, type: 'UInt32', value: 4000000000 },
      { alias: 10, type: 'UInt64', value: Long.fromString('18446744073709551615', true) },
      { alias: 11, type: 'Float', value: 1.5 },
      { alias: 12, type: 'Double', value: 21.25 },
      { alias: 13, type: 'Boolean', value: true },
      { alias: 14, type: 'String', value: 'weaving' },
      { name: 'note', type: 'Text', value: 'né' },
      { name: 'unset', type: 'Double', value: null },
    ],
  },
  'tahu-rebirth.bin': {
    timestamp: ts, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }],
  },
  'tahu-dataset.bin': {
    timestamp: ts, seq: 7, metrics: [
      { name: 'table', type: 'DataSet', value: { numOfColumns: 1, columns: ['a'], types: ['Int32'], rows: [[1], [2]] } },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: true, properties: { unit: { type: 'String', value: 'x' } } },
    ],
  },
};

const dir = path.join(__dirname, '..', 'testdata');
fs.mkdirSync(dir, { recursive: true });
for (const [name, p] of Object.entries(payloads)) {
  fs.writeFileSync(path.join(dir, name), sparkplug.encodePayload(p));
}
