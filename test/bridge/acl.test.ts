// The ACL rules against ROLE_COMMANDS, topic by topic, and the MQTT wire helpers the MQTT 5 front relies on.
import t from 'tap';
import { mayPublish, mayReceive, maySubscribe, mayUseResponseTopic, memoMayPublish, memoMayReceive, topicMatches, type Identity } from '../../host/bridge/acl.ts';
import { Framer, readVarint, varint, walkProps } from '../../host/bridge/mqtt-wire.ts';
import { COMMANDS, ROLE_COMMANDS, ROLES } from '../../host/bridge/topics.ts';

const id = (role: Identity['role'], username: string = role, robots: string[] | null = null): Identity => ({ username, role, robots });

t.test('topic filters match as MQTT specifies', async (t) => {
  t.ok(topicMatches('ganglion/#', 'ganglion/a/state'));
  t.ok(topicMatches('ganglion/#', 'ganglion'), '# includes the parent level');
  t.ok(topicMatches('ganglion/+/state', 'ganglion/a/state'));
  t.notOk(topicMatches('ganglion/+/state', 'ganglion/a/b/state'));
  t.notOk(topicMatches('ganglion/+', 'ganglion/a/state'));
  t.ok(topicMatches('telemetry/+', 'telemetry/base'));
});

t.test('commands: each role publishes exactly the commands ROLE_COMMANDS gives it', async (t) => {
  for (const role of ROLES) {
    for (const c of COMMANDS) {
      const allowed = (ROLE_COMMANDS[role] as readonly string[]).includes(c);
      t.equal(mayPublish(id(role), `ganglion/ref/cmd/${c}`), allowed, `${role} ${allowed ? 'may' : 'may not'} send ${c}`);
    }
  }
  t.notOk(mayPublish(id('operator'), 'ganglion/ref/cmd/selfdestruct'), 'no command outside the list');
  t.notOk(mayPublish(id('operator'), 'ganglion/_reply/cmd/estop'), 'the reply subtree is no robot');
  t.notOk(mayPublish(id('operator', 'o', ['a']), 'ganglion/b/cmd/estop'), 'robots restriction');
  t.ok(mayPublish(id('operator', 'o', ['a']), 'ganglion/a/cmd/estop'));
});

t.test('robot accounts publish their own out-topics and replies, nothing else', async (t) => {
  const r = id('robot', 'bot', ['ref']);
  for (const topic of ['status', 'state', 'telemetry/base', 'cadence', 'link', 'events', 'skill/status', 'skills', 'tunnel/base/up']) {
    t.ok(mayPublish(r, `ganglion/ref/${topic}`), topic);
  }
  t.ok(mayPublish(r, 'ganglion/_reply/op/123'));
  t.notOk(mayPublish(r, 'ganglion/other/state'));
  t.notOk(mayPublish(r, 'ganglion/ref/cmd/estop'));
  t.notOk(mayPublish(r, 'ganglion/ref/telemetry/base/extra'));
  t.notOk(mayPublish(r, 'elsewhere/x'));
});

t.test('subscriptions and deliveries: own replies only; robots one may see', async (t) => {
  const v = id('viewer', 'view');
  t.ok(maySubscribe(v, 'ganglion/#'));
  t.ok(maySubscribe(v, 'ganglion/+/state'));
  t.ok(maySubscribe(v, 'ganglion/_reply/view/#'));
  t.notOk(maySubscribe(v, 'ganglion/_reply/op/#'));
  t.notOk(maySubscribe(v, 'ganglion/_reply/+/#'));
  t.notOk(maySubscribe(v, 'ganglion/_reply/#'));
  t.notOk(maySubscribe(v, '#'));
  t.notOk(maySubscribe(v, '+/ref/state'));
  t.ok(mayReceive(v, 'ganglion/ref/state'));
  t.ok(mayReceive(v, 'ganglion/ref/cmd/estop'), 'commands are visible (the dashboard shows who did what)');
  t.notOk(mayReceive(v, 'ganglion/ref/tunnel/base/up'), 'raw MCU tunnel frames are for robot accounts');
  t.notOk(mayReceive(v, 'ganglion/_reply/op/1'));
  t.ok(mayReceive(v, 'ganglion/_reply/view/1'));
  const r = id('robot', 'bot', ['ref']);
  t.ok(mayReceive(r, 'ganglion/ref/cmd/estop'));
  t.ok(mayReceive(r, 'ganglion/ref/tunnel/base/down'));
  t.notOk(mayReceive(r, 'ganglion/other/cmd/estop'));
  t.notOk(maySubscribe(r, 'ganglion/other/#'));
});

t.test('the memo gives mayReceive\'s answers, per identity, and stays bounded', async (t) => {
  const receives = memoMayReceive(8);
  const ids = [id('viewer'), id('operator', 'op', ['r1']), id('robot', 'r1', ['r1']), id('planner')];
  const topics = ['ganglion/r1/state', 'ganglion/r2/state', 'ganglion/r1/tunnel/base/down', 'ganglion/_reply/op/7', 'ganglion/_reply/viewer/1', 'other/x', 'ganglion/r1/cmd/estop'];
  let checked = 0;
  for (let round = 0; round < 3; round++) {
    for (const who of ids) {
      for (const topic of topics) {
        t.equal(receives(who, topic), mayReceive(who, topic), `${who.username} ${topic} (round ${round})`);
        checked++;
      }
    }
  }
  // 20 distinct reply topics through a memo of 8: answers stay right after it is cleared.
  for (let i = 0; i < 20; i++) t.equal(receives(ids[1]!, `ganglion/_reply/op/${i}`), true);
  t.equal(receives(ids[0]!, 'ganglion/_reply/op/3'), false, 'another identity does not share the memo');
  t.ok(checked === 84);
});

t.test('the publish memo gives mayPublish\'s answers, per identity, bounded, and long topics are decided afresh', async (t) => {
  const publishes = memoMayPublish(4);
  const ids = [id('viewer'), id('operator', 'op', ['r1']), id('robot', 'r1', ['r1'])];
  const long = `ganglion/r1/telemetry/${'x'.repeat(300)}`;
  const tooDeep = `${long}/more`;
  const topics = ['ganglion/r1/cmd/estop', 'ganglion/r2/cmd/estop', 'ganglion/r1/state', 'ganglion/r1/telemetry/arm', 'ganglion/_reply/op/7', 'ganglion/r1/cmd/selfdestruct', 'other/x', long, tooDeep];
  for (let round = 0; round < 3; round++) {
    for (const who of ids) for (const topic of topics) t.equal(publishes(who, topic), mayPublish(who, topic), `${who.username} ${topic.slice(0, 40)} (round ${round})`);
  }
  t.equal(publishes(ids[2]!, long), true, 'a long topic is still decided: one telemetry level');
  t.equal(publishes(ids[2]!, tooDeep), false, 'and one level too many');
});

t.test('response topics: only under the sender\'s own reply subtree', async (t) => {
  t.ok(mayUseResponseTopic(id('operator', 'op'), 'ganglion/_reply/op/abc'));
  t.notOk(mayUseResponseTopic(id('operator', 'op'), 'ganglion/_reply/view/abc'));
  t.notOk(mayUseResponseTopic(id('operator', 'op'), 'ganglion/_reply/op'));
  t.notOk(mayUseResponseTopic(id('operator', 'op'), 'ganglion/_reply/op/+'));
  t.notOk(mayUseResponseTopic(id('operator', 'op'), 'ganglion/ref/cmd/estop'));
});

t.test('wire helpers: varints, framing across chunk boundaries, size limit, property walking', async (t) => {
  for (const n of [0, 127, 128, 16383, 16384, 2_097_151, 268_435_455]) t.equal(readVarint(varint(n), 0)!.value, n, `varint ${n}`);
  t.equal(readVarint(Buffer.from([0x80]), 0), null, 'truncated: wait for more');
  const pkt = (n: number) => Buffer.concat([Buffer.from([0x30]), varint(n), Buffer.alloc(n, 7)]);
  const stream = Buffer.concat([pkt(3), pkt(200), pkt(0)]);
  const got: number[] = [];
  const f = new Framer(1000);
  for (let i = 0; i < stream.length; i += 5) f.push(stream.subarray(i, i + 5), (p) => got.push(p.length));
  t.same(got, [5, 203, 2], 'whole packets out of 5-byte chunks');
  t.throws(() => new Framer(100).push(pkt(200), () => {}), /over the 100-byte limit/);
  const props = Buffer.concat([Buffer.from([0x08, 0, 3]), Buffer.from('a/b'), Buffer.from([0x09, 0, 2, 1, 2]), Buffer.from([0x26, 0, 1, 0x6b, 0, 1, 0x76]), Buffer.from([0x02, 0, 0, 0, 5])]);
  const w = walkProps(props);
  t.same(w.map((p) => p.id), [0x08, 0x09, 0x26, 0x02]);
  t.equal(w[0]!.value!.toString(), 'a/b');
  t.throws(() => walkProps(Buffer.from([0x7f])), /unknown MQTT 5 property/);
  t.throws(() => walkProps(Buffer.from([0x08, 0, 9, 1])), /truncated/);
});
