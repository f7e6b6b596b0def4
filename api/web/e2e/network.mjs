// The network of sites for the hub's browser spec: a Mosquitto of the spec's own (Debian's,
// scripts/deps.sh mosquitto installs it) on a free loopback port with a user per daemon and the
// ACL that gives each its own topics, as cmd/cellforge's TestNetwork runs one; and the hub's
// and sites' files of cmd/cellforge/testdata/net with the spec's own peers, keys and passwords.

import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, outDir, root, startCellforge, waitFor } from './lib.mjs';

// netDir is the network's test files (cmd/cellforge/testdata/net/README.md).
const netDir = path.join(root, 'cmd', 'cellforge', 'testdata', 'net');

// HUB_TOKEN is the hub planner's token in testdata/net/hub.yaml.
export const HUB_TOKEN = 'hub-planner-token-000001';

// program finds a program on PATH or in /usr/sbin (Debian puts mosquitto there), installing
// the package with scripts/deps.sh when it is missing.
function program(name, pkg) {
  const find = () => ['/usr/sbin', '/usr/bin', ...(process.env.PATH || '').split(':')]
    .map((d) => path.join(d, name)).find((f) => existsSync(f));
  let f = find();
  if (!f) {
    execFileSync(path.join(root, 'scripts', 'deps.sh'), [pkg], { stdio: 'inherit' });
    f = find();
  }
  if (!f) throw new Error(`${pkg} installed, but no ${name} found`);
  return f;
}

// acl gives the hub the sites' topics to it and its own to them, and each site only its own.
function acl(sites) {
  let text = 'user hub\ntopic read cellforge/net/v1/to/hub/from/+\ntopic write cellforge/net/v1/to/+/from/hub\n';
  for (const s of sites) {
    text += `\nuser ${s}\ntopic read cellforge/net/v1/to/${s}/from/hub\ntopic write cellforge/net/v1/to/hub/from/${s}\n`;
  }
  return text;
}

// canDial tells whether something accepts TCP connections on 127.0.0.1:port.
function canDial(port) {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

// startNetwork writes the files of the hub and of sites (ids of testdata/net) into a temporary
// directory, starts Mosquitto with their users and ACL, and returns what starts the daemons:
// hub(storeURL, edit) starts `cellforge hub` on hub.yaml with the spec's peers and keys, as
// edit(text) changes it further (an edit that changes nothing throws), site(id, simSpeed) a
// site daemon. Both resolve to startCellforge's
// {base, data, stop}. close() stops the broker and removes the directory; the daemons are the
// caller's to stop first.
export async function startNetwork(name, sites) {
  const dir = mkdtempSync(path.join(tmpdir(), `cellforge-e2e-net-${name}-`));
  const file = (f) => path.join(dir, f);
  const secret = (f, text) => writeFileSync(file(f), text, { mode: 0o600 });
  const users = ['hub', ...sites];
  const passwd = program('mosquitto_passwd', 'mosquitto');
  for (const [i, user] of users.entries()) {
    const pw = randomBytes(16).toString('hex');
    secret(`${user}.mqtt`, pw + '\n');
    secret(`${user}.key`, readFileSync(path.join(netDir, 'keys', `${user}.key`)));
    execFileSync(passwd, ['-b', ...(i === 0 ? ['-c'] : []), file('passwd'), user, pw]);
  }
  secret('acl', acl(sites));
  const port = await freePort();
  secret('mosquitto.conf', [
    `listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${file('passwd')}`,
    `acl_file ${file('acl')}`, ...(process.getuid?.() === 0 ? ['user root'] : []),
    'persistence false', 'log_dest stderr', 'log_type all', '',
  ].join('\n'));
  const log = createWriteStream(path.join(outDir, `${name}.mosquitto.log`));
  const broker = spawn(program('mosquitto', 'mosquitto'), ['-c', file('mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  broker.stdout.on('data', (b) => log.write(b));
  broker.stderr.on('data', (b) => log.write(b));
  let exited = null;
  const exit = new Promise((resolve) => broker.on('exit', (code, signal) => { exited = { code, signal }; resolve(); }));
  process.on('exit', () => { if (!exited) broker.kill('SIGKILL'); });
  await waitFor(async () => {
    if (exited) throw new Error(`mosquitto exited (${JSON.stringify(exited)}); see out/e2e/${name}.mosquitto.log`);
    return canDial(port);
  }, 10000, `mosquitto on port ${port}`);
  const url = `tcp://127.0.0.1:${port}`;

  // The hub's public key, for the sites' network sections, is in hub.yaml's comment.
  const hubText = readFileSync(path.join(netDir, 'hub.yaml'), 'utf8');
  const hubKey = /ed25519:[A-Za-z0-9+/=]+(?=\.\s*$)/m.exec(hubText)[0];

  return {
    async hub(storeURL, edit) {
      let text = hubText;
      const set = { store: `{postgres: "${storeURL}"}`, broker: `{url: "${url}", username: hub, password_file: "${file('hub.mqtt')}"}`,
        key: `"${file('hub.key')}"` };
      for (const [key, value] of Object.entries(set)) {
        const re = new RegExp(`^${key}: .*$`, 'm');
        if (!re.test(text)) throw new Error(`testdata/net/hub.yaml has no line ${key}:`);
        text = text.replace(re, `${key}: ${value}`);
      }
      if (edit) {
        const edited = edit(text);
        if (edited === text) throw new Error('the edit changed nothing in testdata/net/hub.yaml');
        text = edited;
      }
      secret('hub.yaml', text);
      return startCellforge(`${name}-hub`, (data) => ['hub', '--config', file('hub.yaml'), '--data', data, '--listen', '127.0.0.1:0']);
    },
    async site(id, simSpeed) {
      secret(`${id}.yaml`, readFileSync(path.join(netDir, `${id}.yaml`), 'utf8') + `
network:
  broker: {url: "${url}", username: ${id}, password_file: "${file(`${id}.mqtt`)}"}
  key: "${file(`${id}.key`)}"
  hub_key: "${hubKey}"
`);
      return startCellforge(`${name}-${id}`, (data) => ['serve', '--config', file(`${id}.yaml`), '--data', data,
        '--listen', '127.0.0.1:0', '--sim-speed', String(simSpeed)]);
    },
    async close() {
      if (!exited) {
        broker.kill('SIGTERM');
        await exit;
      }
      log.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
