// The users file: scrypt and mosquitto hashes verify the right password only, writes are atomic, bad files name the field, broker-config refuses bad arguments.
import t from 'tap';
import { pbkdf2Sync } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerConfigMain } from '../../host/cli/broker-config.ts';
import { addUser, hashPassword, loadUsers, makeUser, removeUser, verifyPassword, verifyUser } from '../../host/bridge/users.ts';
import { tempDir } from './helpers.ts';

const FAST = { scrypt: { N: 1024 }, pbkdf2_iterations: 1000 };

t.test('scrypt hashes: salted, verify the right password only', async (t) => {
  const a = await hashPassword('correct horse', { N: 1024 });
  const b = await hashPassword('correct horse', { N: 1024 });
  t.not(a.salt, b.salt, 'a fresh salt per hash');
  t.not(a.hash, b.hash);
  t.equal(await verifyPassword(a, 'correct horse'), true);
  t.equal(await verifyPassword(a, 'correct horsE'), false);
  t.equal(await verifyPassword(a, ''), false);
});

t.test('the mosquitto hash is PBKDF2-SHA512 in the $7$ format mosquitto 2 reads', async (t) => {
  const u = await makeUser('alice', 'viewer', 'password-1', FAST);
  const [, , iter, salt, hash] = u.mosquitto.split('$');
  t.equal(iter, '1000');
  t.equal(Buffer.from(salt!, 'base64').length, 12, '12-byte salt, like mosquitto_passwd');
  t.equal(pbkdf2Sync('password-1', Buffer.from(salt!, 'base64'), 1000, 64, 'sha512').toString('base64'), hash);
});

t.test('users: add, replace, verify, remove; the file is written atomically with mode 0600', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'users.json');
  await addUser(f, 'op', 'operator', 'operator-pw', FAST);
  await addUser(f, 'bot', 'robot', 'robot-pw-1', { ...FAST, robots: ['ref'] });
  await addUser(f, 'op', 'viewer', 'another-pw', FAST); // replaces
  const users = loadUsers(f).users;
  t.same(users.map((u) => [u.username, u.role]), [['bot', 'robot'], ['op', 'viewer']]);
  t.equal((await verifyUser(users, 'op', 'another-pw'))?.role, 'viewer');
  t.equal(await verifyUser(users, 'op', 'operator-pw'), null, 'the old password no longer works');
  t.equal(await verifyUser(users, 'nobody', 'another-pw'), null);
  t.equal(statSync(f).mode & 0o777, 0o600, 'only the owner reads the hashes');
  t.same(readdirSync(dir), ['users.json'], 'no temporary file left behind');
  t.equal(removeUser(f, 'op'), true);
  t.equal(removeUser(f, 'op'), false);
  t.same(loadUsers(f).users.map((u) => u.username), ['bot']);
  await t.rejects(addUser(f, 'x', 'viewer', 'short'), /at least 8 characters/);
});

t.test('bad users files give an error naming the file and the field', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'users.json');
  const good = JSON.parse(JSON.stringify({ version: 1, users: [await makeUser('op', 'operator', 'operator-pw', FAST)] }));
  const cases: [unknown, RegExp][] = [
    [{ ...good, version: 2 }, /version/],
    [{ version: 1, users: [{ ...good.users[0], role: 'admin' }] }, /users\.0\.role/],
    [{ version: 1, users: [{ ...good.users[0], username: 'a/b' }] }, /users\.0\.username/],
    [{ version: 1, users: [{ ...good.users[0], username: 'state' }] }, /users\.0\.username: .*reserved/],
    [{ version: 1, users: [{ ...good.users[0], scrypt: { ...good.users[0].scrypt, N: 1000 } }] }, /users\.0\.scrypt\.N/],
    [{ version: 1, users: [{ ...good.users[0], mosquitto: 'plaintext' }] }, /users\.0\.mosquitto/],
    [{ version: 1, users: [good.users[0], good.users[0]] }, /users\.1\.username: duplicate/],
    [{ version: 1, users: [{ ...good.users[0], role: 'robot' }] }, /users\.0\.robots: a robot account must name/],
    [{ version: 1, users: [{ ...good.users[0], robots: ['_reply'] }] }, /users\.0\.robots\.0/],
  ];
  for (const [content, err] of cases) {
    writeFileSync(f, JSON.stringify(content));
    t.throws(() => loadUsers(f), err, String(err));
    t.throws(() => loadUsers(f), new RegExp(f.replace(/[.]/g, '\\.')), 'names the file');
  }
  writeFileSync(f, '{ not json');
  t.throws(() => loadUsers(f), /not JSON/);
  t.throws(() => loadUsers(join(dir, 'missing.json')), /cannot read the users file \(ENOENT\)/);
});

t.test('broker-config refuses bad arguments with a clear message', async (t) => {
  const dir = tempDir(t);
  await t.rejects(brokerConfigMain([]), /--users FILE is required/);
  await t.rejects(brokerConfigMain(['--users', join(dir, 'u.json')]), /nothing to do/);
  await t.rejects(brokerConfigMain(['--users', join(dir, 'u.json'), '--add-user', 'x', '--role', 'god']), /--role: one of viewer, operator, planner, robot/);
  await t.rejects(brokerConfigMain(['--users', join(dir, 'u.json'), '--out', dir, '--tls-cert', 'c.pem']), /go together/);
  process.env.GANGLION_PASSWORD = 'viewer-pw-1';
  t.teardown(() => void delete process.env.GANGLION_PASSWORD);
  const lines: string[] = [];
  const print = (x: string) => void lines.push(x);
  await brokerConfigMain(['--users', join(dir, 'u.json'), '--add-user', 'v', '--role', 'viewer'], print);
  await t.rejects(brokerConfigMain(['--users', join(dir, 'u.json'), '--out', join(dir, 'm'), '--port', '70000'], print), /--port 70000/);
  t.equal(await brokerConfigMain(['--users', join(dir, 'u.json'), '--out', join(dir, 'm'), '--ws-port', 'none'], print), 0);
  t.match(lines.join(''), /v \(viewer\)[^]*mosquitto -c /, 'it says what it did and how to start mosquitto');
  const conf = readFileSync(join(dir, 'm', 'mosquitto.conf'), 'utf8');
  t.notMatch(conf, /websockets/, '--ws-port none: no WebSocket listener');
  t.match(conf, /listener 1883 127\.0\.0\.1/, 'defaults: 1883 on 127.0.0.1');
});
