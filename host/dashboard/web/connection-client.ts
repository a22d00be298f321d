// The page's side of its MQTT connection: the same login, follow, command and send as Connection, carried out by the connection worker.
import type { CommandName, ReplyPayload, Role } from '../../bridge/topics.ts';
import type { ConnectionHandlers, Refusal } from './connection.ts';
import { WORKER_URL, type FromWorker, type ToWorker } from './connection-protocol.ts';

export class RemoteConnection {
  private seq = 0;
  private readonly replies = new Map<number, (r: ReplyPayload) => void>();
  private readonly refusals = new Map<number, (r: Refusal) => void>();

  private constructor(
    private readonly worker: Worker,
    readonly username: string,
    /** The role the broker says this login has (null until it says: the broker's ACL still decides). */
    public role: Role | null,
    private readonly handlers: ConnectionHandlers,
    /** What the worker sent before its login answer (a retained message in the SUBACK's frame): handled first. */
    early: FromWorker[],
  ) {
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
    // A worker that dies after login (a script error) is a lost connection, said as one.
    worker.onerror = (e) => handlers.link('offline', `the connection worker failed: ${e.message}`);
    for (const m of early) this.receive(m);
  }

  /** Connects as `username` from a new worker; rejects with the broker's refusal in words, as Connection.login does. */
  static login(url: string, username: string, password: string, handlers: ConnectionHandlers): Promise<RemoteConnection> {
    const worker = new Worker(WORKER_URL, { type: 'module', name: `mqtt ${username}` });
    return new Promise((resolve, reject) => {
      worker.onerror = (e) => {
        worker.terminate();
        reject(new Error(`the connection worker failed to start: ${e.message}`));
      };
      const early: FromWorker[] = [];
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        const m = e.data;
        if (m.t !== 'login') return void early.push(m);
        if (!m.ok) {
          worker.terminate();
          reject(new Error(m.error));
          return;
        }
        resolve(new RemoteConnection(worker, username, m.role, handlers, early));
      };
      RemoteConnection.post(worker, { t: 'login', url, username, password });
    });
  }

  private static post(worker: Worker, m: ToWorker): void {
    worker.postMessage(m);
  }

  private receive(m: FromWorker): void {
    switch (m.t) {
      case 'messages': for (const { msg, arrivedWallMs } of m.items) this.handlers.message(msg, arrivedWallMs); return;
      case 'bad': this.handlers.bad(m.topic, m.error); return;
      case 'link': this.handlers.link(m.state, m.detail); return;
      case 'role':
        this.role = m.role;
        this.handlers.role(m.role);
        return;
      case 'reply':
        this.replies.get(m.id)?.(m.reply);
        this.replies.delete(m.id);
        return;
      case 'settled': {
        const onRefused = this.refusals.get(m.id);
        this.refusals.delete(m.id);
        if (m.refusal) onRefused?.(m.refusal);
        return;
      }
      case 'login': return;
    }
  }

  /** Follow one robot's topics (and stop following the previous one). */
  follow(robot: string | null, previous: string | null): void {
    RemoteConnection.post(this.worker, { t: 'follow', robot, previous });
  }

  /** A command with a reply (validated, timed out and matched in the worker, as Connection.command does). */
  command(robot: string, name: CommandName, body: object): Promise<ReplyPayload> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      RemoteConnection.post(this.worker, { t: 'command', id, robot, name, body });
    });
  }

  /** A command without a reply; `onRefused` hears of a broker refusal. */
  send(robot: string, name: CommandName, body: object, onRefused?: (r: Refusal) => void): void {
    let id: number | null = null;
    if (onRefused) {
      id = ++this.seq;
      this.refusals.set(id, onRefused);
    }
    RemoteConnection.post(this.worker, { t: 'send', id, robot, name, body });
  }

  close(): void {
    RemoteConnection.post(this.worker, { t: 'close' });
    this.replies.clear();
    this.refusals.clear();
  }
}
