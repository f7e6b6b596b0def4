// A PostgreSQL server of a spec's own, for the specs of a daemon whose order book is on
// PostgreSQL: Debian's server (scripts/deps.sh postgresql installs it), in a temporary
// directory, on a free loopback port, run as the postgres user when the spec runs as root, as
// store/postgres/pgtest runs one for the Go tests. The spec stops it (cleanly, or as a crash
// would) and starts it again to take the database away from the daemon.

import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, outDir, root, waitFor } from './lib.mjs';

// binDir is the directory of initdb and postgres, installing Debian's server when missing.
function binDir() {
  const find = () => {
    try {
      const d = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
      if (existsSync(path.join(d, 'initdb'))) return d;
    } catch { /* no pg_config */ }
    const base = '/usr/lib/postgresql';
    const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
    for (const v of versions) {
      const d = path.join(base, v, 'bin');
      if (existsSync(path.join(d, 'initdb'))) return d;
    }
    return '';
  };
  let d = find();
  if (!d) {
    execFileSync(path.join(root, 'scripts', 'deps.sh'), ['postgresql'], { stdio: 'inherit' });
    d = find();
  }
  if (!d) throw new Error('postgresql installed, but no initdb found');
  return d;
}

// startPostgres initialises a server and starts it; the server's log goes to
// out/e2e/NAME.postgres.log. It returns the URL of its database (for --store) and stop (a clean,
// fast shutdown), kill (an immediate shutdown, as a crash), start (again) and close (stop and
// remove its directory).
export async function startPostgres(name) {
  const bin = binDir();
  const dir = mkdtempSync(path.join(tmpdir(), `cellforge-e2e-pg-${name}-`));
  const ids = {};
  if (process.getuid && process.getuid() === 0) {
    ids.uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    ids.gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, ids.uid, ids.gid);
  }
  const data = path.join(dir, 'data');
  execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8',
    '--locale=C', '--no-sync'], { ...ids, stdio: 'ignore' });
  const port = await freePort();
  const log = createWriteStream(path.join(outDir, `${name}.postgres.log`));
  let child = null;
  let exit = null;

  const ready = () => {
    try {
      execFileSync(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]);
      return true;
    } catch {
      return false;
    }
  };
  const start = async () => {
    if (child) throw new Error('the server is running');
    child = spawn(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=on'], { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b) => log.write(b));
    child.stderr.on('data', (b) => log.write(b));
    exit = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(ready, 60000, `postgres on port ${port} to accept connections`);
  };
  const signal = async (sig) => {
    if (!child) return;
    child.kill(sig);
    await exit;
    child = null;
  };
  await start();
  process.on('exit', () => { if (child) child.kill('SIGQUIT'); });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    start,
    stop: () => signal('SIGINT'),
    kill: () => signal('SIGQUIT'),
    close: async () => {
      await signal('SIGINT');
      log.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
