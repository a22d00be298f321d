// `ganglion run` with TLS options and --host: what goes together is checked, a real run serves mqtts/wss only (its bridge and dashboard on them), and off loopback only TLS.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import mqtt from 'mqtt';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunArgs } from '../../host/cli/run.ts';
import { connackCode, freePort, selfSignedCert, tempDir, waitFor } from '../bridge/helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

t.test('TLS options: both files, the port and the plain-localhost opt-in only with them, never with an external broker', async (t) => {
  const a = parseRunArgs(['--tls-cert', 'c.pem', '--tls-key', 'k.pem']);
  t.same(a !== 'help' && a.mqtt?.tls, { certFile: 'c.pem', keyFile: 'k.pem', allowPlainLocalhost: false, port: 8883 }, 'mqtts on 8883 by default, no plain listener');
  const b = parseRunArgs(['--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--tls-port', '0', '--allow-plain-localhost']);
  t.same(b !== 'help' && b.mqtt?.tls, { certFile: 'c.pem', keyFile: 'k.pem', allowPlainLocalhost: true, port: 0 });
  t.equal(b !== 'help' && b.mqtt?.portsAreDefaults, false, 'a --tls-port given is the user\'s: not silently replaced');
  const plain = parseRunArgs([]);
  t.equal(plain !== 'help' && plain.mqtt?.tls, null, 'no TLS options: plain, as before');
  t.throws(() => parseRunArgs(['--tls-cert', 'c.pem']), /--tls-cert and --tls-key go together/);
  t.throws(() => parseRunArgs(['--tls-key', 'k.pem']), /--tls-cert and --tls-key go together/);
  t.throws(() => parseRunArgs(['--allow-plain-localhost']), /--allow-plain-localhost only means something with --tls-cert/);
  t.throws(() => parseRunArgs(['--tls-port', '8883']), /--tls-port only means something with --tls-cert/);
  t.throws(() => parseRunArgs(['--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--broker', 'mqtts://x:8883']), /external broker has its own TLS/);
});

t.test('ganglion run --tls-cert/--tls-key: broker, bridge and dashboard on mqtts/wss', async (t) => {
  const home = tempDir(t, 'ganglion-run-tls-');
  const { key, cert } = selfSignedCert(home);
  const r = spawnSync(process.execPath, [
    path.join(ROOT, 'bin/ganglion.js'), 'run', '--posix', '--demo', 'idle', '--duration', '4', '--report', '2',
    '--tls-cert', cert, '--tls-key', key, '--tls-port', '0', '--mqtt-port', '0', '--ws-port', '0', '--dashboard-port', '0', '--users', path.join(home, 'users.json'),
  ], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: home } });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /broker: embedded \(aedes\) at mqtts:\/\/127\.0\.0\.1:\d+, WebSocket wss:\/\/127\.0\.0\.1:\d+; TLS only;/);
  t.notMatch(r.stdout, /mqtt:\/\/127/, 'no plain MQTT URL anywhere');
  t.match(r.stdout, /\[bridge\] bridge: connected to mqtts:\/\/127\.0\.0\.1:\d+/, 'the bridge is on mqtts');
  t.match(r.stdout, /dashboard: http:\/\/127\.0\.0\.1:\d+/, 'the dashboard is served (its page points at wss)');
  const bad = spawnSync(process.execPath, [path.join(ROOT, 'bin/ganglion.js'), 'run', '--posix', '--demo', 'idle', '--duration', '1', '--tls-cert', key, '--tls-key', key,
    '--mqtt-port', '0', '--ws-port', '0', '--dashboard-port', '0', '--users', path.join(home, 'users.json')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: home } });
  t.not(bad.status, 0, 'a key given as the certificate: the run stops');
  t.match(bad.stderr, /--tls-cert .*key\.pem: not a PEM certificate/);
});

t.test('--host: checked, and anything but loopback only with TLS', async (t) => {
  const host = (argv: string[]) => { const a = parseRunArgs(argv); return a !== 'help' && a.mqtt?.host; };
  t.equal(host([]), '127.0.0.1', 'the default: this machine only');
  t.equal(host(['--host', '127.0.0.1']), '127.0.0.1', 'loopback may be plain');
  t.equal(host(['--host', '0.0.0.0', '--tls-cert', 'c.pem', '--tls-key', 'k.pem']), '0.0.0.0', 'every interface, with TLS');
  t.equal(host(['--host', 'fd00::2', '--tls-cert', 'c.pem', '--tls-key', 'k.pem']), 'fd00::2', 'an IPv6 LAN address, with TLS');
  for (const h of ['0.0.0.0', '192.0.2.2', 'robot.lan']) {
    t.throws(() => parseRunArgs(['--host', h]), new RegExp(`--host ${h.replace(/\./g, '\\.')} is not a loopback address: plain MQTT there would carry the passwords in clear text, so it is served TLS only; give --tls-cert FILE --tls-key FILE`), `${h} without TLS: refused, saying why and how`);
  }
  t.throws(() => parseRunArgs(['--host', 'not a host', '--tls-cert', 'c.pem', '--tls-key', 'k.pem']), /--host "not a host": not an IP address or host name/, 'not an address: refused naming it');
  t.throws(() => parseRunArgs(['--host', '0.0.0.0', '--broker', 'mqtts://x:8883']), /--host sets where the embedded broker listens/, 'meaningless with an external broker: refused');
});

/** What a plain TCP connect to host:port gets: 'connected' or the error code (ECONNREFUSED). */
const tcpConnect = (port: number, host: string) =>
  new Promise<string>((r) => {
    const s = netConnect(port, host);
    s.once('connect', () => (s.destroy(), r('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message));
  });

t.test('ganglion run --host 0.0.0.0: TLS only on every interface; plain TCP refused, TLS accepted on the LAN address; without a certificate a clear error', async (t) => {
  const home = tempDir(t, 'ganglion-run-host-');
  const lan = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';
  if (lan === '127.0.0.1') t.comment('no non-loopback IPv4 address here: the listeners are checked on 127.0.0.1 instead');
  const { key, cert } = selfSignedCert(home, lan === '127.0.0.1' ? [] : [lan]);
  const users = path.join(home, 'users.json');
  const runArgs = (extra: string[]) => [path.join(ROOT, 'bin/ganglion.js'), 'run', '--posix', '--demo', 'idle', '--host', '0.0.0.0', '--users', users, '--dashboard-port', '0', '--ws-port', '0', ...extra];

  const missing = spawnSync(process.execPath, runArgs(['--duration', '1']), { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: home } });
  t.not(missing.status, 0, 'no certificate: the run does not start');
  t.match(missing.stderr, /--host 0\.0\.0\.0 is not a loopback address: .* served TLS only; give --tls-cert FILE --tls-key FILE/, 'and says why and what to give');

  const plainPort = await freePort();
  const child = spawn(process.execPath, runArgs(['--duration', '30', '--tls-cert', cert, '--tls-key', key, '--tls-port', '0', '--mqtt-port', String(plainPort)]),
    { cwd: ROOT, env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
  });
  const line = await waitFor(() => /broker: embedded \(aedes\) at mqtts:\/\/127\.0\.0\.1:(\d+).*/.exec(out), 90_000, `the broker line (output so far: ${out.slice(-400)})`);
  t.match(line[0], /TLS only on 0\.0\.0\.0 \(every interface\)/, 'the run says it serves TLS only on every interface');
  await waitFor(() => /bridge: connected to mqtts:/.test(out), 30_000, 'the bridge on mqtts');
  const tlsPort = Number(line[1]);
  const operator = readFileSync(path.join(home, 'credentials.txt'), 'utf8').split('\n').find((l) => l.startsWith('operator\t'))!.split('\t')[2]!;
  t.equal(await tcpConnect(plainPort, lan), 'ECONNREFUSED', `plain TCP on --mqtt-port at ${lan}: refused (no plain listener)`);
  // allowRetries false: the attempt ends when the broker closes the connection (connackCode would wait for a CONNACK).
  const plainOnTls = await mqtt.connectAsync(`mqtt://${lan}:${tlsPort}`, { protocolVersion: 5, username: 'operator', password: operator, connectTimeout: 3000, reconnectPeriod: 0 }, false)
    .then((c) => (c.end(true), 'CONNACK 0'), (e: Error) => e.message);
  t.not(plainOnTls, 'CONNACK 0', `plain MQTT spoken to the TLS port at ${lan}: no login (${plainOnTls})`);
  t.equal(await connackCode(`mqtts://${lan}:${tlsPort}`, { protocolVersion: 5, username: 'operator', password: operator, ca: readFileSync(cert), rejectUnauthorized: true }), 0,
    `mqtts at ${lan} with the certificate's CA: logged in`);
  child.kill('SIGINT');
  t.equal(await exited, 0, 'the run stops cleanly');
});
