// The messages between the page and its connection worker (connection-worker.ts): requests one way, events and answers the other.
import type { CommandName, ReplyPayload, Role } from '../../bridge/topics.ts';
import type { Refusal } from './connection.ts';
import type { Incoming } from './messages.ts';

/** Where the dashboard server serves the worker's bundle. */
export const WORKER_URL = '/connection-worker.js';

/** Page -> worker. `id` pairs a command (or a refusable send) with its answer. */
export type ToWorker =
  | { t: 'login'; url: string; username: string; password: string }
  | { t: 'follow'; robot: string | null; previous: string | null }
  | { t: 'command'; id: number; robot: string; name: CommandName; body: object }
  | { t: 'send'; id: number | null; robot: string; name: CommandName; body: object }
  | { t: 'close' };

/** Worker -> page. Messages come in batches: one postMessage for everything that one WebSocket frame carried. */
export type FromWorker =
  | { t: 'login'; ok: true; role: Role | null }
  | { t: 'login'; ok: false; error: string }
  | { t: 'messages'; items: { msg: Incoming; arrivedWallMs: number }[] }
  | { t: 'bad'; topic: string; error: string }
  | { t: 'link'; state: 'online' | 'offline' | 'reconnecting'; detail?: string }
  | { t: 'role'; role: Role }
  | { t: 'reply'; id: number; reply: ReplyPayload }
  /** A send that asked to hear back: the broker took it (refusal null) or refused it. */
  | { t: 'settled'; id: number; refusal: Refusal | null };
