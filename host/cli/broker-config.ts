// `ganglion broker-config`: manage the broker's users file and write mosquitto's password file, ACL (from ROLE_COMMANDS) and mosquitto.conf.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isLoopback, writeMosquittoConfig } from '../bridge/mosquitto.ts';
import { ROLES, type Role } from '../bridge/topics.ts';
import { addUser, loadUsers } from '../bridge/users.ts';

const HELP = `usage: ganglion broker-config --users FILE [--add-user NAME --role ROLE [--robots ID,...]] [--out DIR] [options]

Adds a user to the users file (JSON; scrypt for the embedded broker, PBKDF2 for mosquitto), and/or writes
DIR/passwd, DIR/acl and DIR/mosquitto.conf for a mosquitto 2 broker. The ACL comes from ROLE_COMMANDS:
  viewer    reads everything under ganglion/, publishes nothing
  operator  every command (action, cancel, correction, estop, clear, teleop, teleop_release, arm, disarm)
  planner   action, cancel, correction
  robot     publishes its own robot's topics and replies, reads its commands (needs --robots)
Everyone reads their own replies under ganglion/_reply/<username>/.

  --users FILE        the users file (created by --add-user when missing)
  --add-user NAME     add (or replace) a user; the password is read from $GANGLION_PASSWORD, else stdin
  --role ROLE         viewer | operator | planner | robot
  --robots IDS        comma-separated robot ids the user may act on (robot accounts: speak for)
  --out DIR           write the mosquitto files here
  --host ADDR         listener address (default 127.0.0.1)
  --port N            MQTT listener (default 1883)
  --ws-port N|none    WebSocket listener for the dashboard (default 9001)
  --tls-cert C --tls-key K [--tls-port N]   TLS only: an mqtts listener (default port 8883), the WebSocket
                      listener becomes wss, and there is no plain listener
  --allow-plain-localhost   with TLS, also a plain MQTT listener (--port) on 127.0.0.1 only
  --run-as USER       the account mosquitto runs as (mosquitto started as root otherwise drops to "mosquitto",
                      which must then be able to read DIR/passwd)
`;

const port = (flag: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${flag} ${v}: expected a port number from 1 to 65535`);
  return n;
};

async function readPassword(): Promise<string> {
  if (process.env.GANGLION_PASSWORD) return process.env.GANGLION_PASSWORD;
  if (process.stdin.isTTY) process.stderr.write('password: ');
  // The first line of stdin (never argv: other users can read a process's arguments).
  return readFileSync(0, 'utf8').split('\n')[0]!.replace(/\r$/, '');
}

/** `print` receives what the command reports (stdout by default). */
export async function brokerConfigMain(argv: string[], print: (s: string) => void = (s) => void process.stdout.write(s)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string' }, 'add-user': { type: 'string' }, role: { type: 'string' }, robots: { type: 'string' },
      out: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'ws-port': { type: 'string' },
      'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-port': { type: 'string' }, 'run-as': { type: 'string' },
      'allow-plain-localhost': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    print(HELP);
    return 0;
  }
  if (!values.users) throw new Error('--users FILE is required (see --help)');
  if (!values['add-user'] && !values.out) throw new Error('nothing to do: give --add-user and/or --out (see --help)');
  if (!!values['tls-cert'] !== !!values['tls-key']) throw new Error('--tls-cert and --tls-key go together');
  if (values['allow-plain-localhost'] && !values['tls-cert']) throw new Error('--allow-plain-localhost only means something with --tls-cert/--tls-key (without TLS every listener is plain)');

  if (values['add-user']) {
    const role = values.role as Role | undefined;
    if (!role || !(ROLES as readonly string[]).includes(role)) throw new Error(`--role: one of ${ROLES.join(', ')}`);
    const robots = values.robots?.split(',').map((s) => s.trim()).filter(Boolean);
    const u = await addUser(values.users, values['add-user'], role, await readPassword(), robots ? { robots } : {});
    print(`${values.users}: ${u.username} (${u.role}${u.robots ? ` of ${u.robots.join(', ')}` : ''})\n`);
  }

  if (values.out) {
    const users = loadUsers(values.users);
    const ws = values['ws-port'] === 'none' ? null : port('--ws-port', values['ws-port'], 9001);
    const files = writeMosquittoConfig(values.out, users, {
      host: values.host ?? '127.0.0.1',
      tcp_port: port('--port', values.port, 1883),
      ws_port: ws,
      tls: values['tls-cert'] ? { cert: values['tls-cert'], key: values['tls-key']!, port: port('--tls-port', values['tls-port'], 8883) } : null,
      ...(values['run-as'] ? { run_as_user: values['run-as'] } : {}),
      allow_plain_localhost: !!values['allow-plain-localhost'],
    });
    const host = values.host ?? '127.0.0.1';
    if (!values['tls-cert'] && !isLoopback(host)) {
      print(`warning: plain MQTT on ${host}: passwords cross the network in clear text; add --tls-cert/--tls-key\n`);
    }
    print(`wrote ${files.passwd} (${users.users.length} users), ${files.acl}, ${files.conf}\nstart it with: mosquitto -c ${files.conf}\n`);
  }
  return 0;
}

/** The shape host/cli/main.ts loads subcommands with. */
export const main = (argv: string[]) => brokerConfigMain(argv);
