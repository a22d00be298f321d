// `ganglion run` with TLS options: what goes together is checked, and a real run serves mqtts/wss only, its bridge and dashboard on them.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunArgs } from '../../host/cli/run.ts';
import { selfSignedCert, tempDir } from '../bridge/helpers.ts';

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
