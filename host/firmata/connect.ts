// Opens a StandardFirmata board over any Transport: version handshake with clear refusals, then a ready johnny-five Board.
import type { EventEmitter } from 'node:events';
import type { Board } from '../hw/board.ts';
import type { Transport } from '../link/transport.ts';
import { FrameDecoder } from '../protocol/frame.ts';
import { j5, type FirmataIo } from './j5.ts';
import { FirmataPort } from './port.ts';

export interface FirmataConnection {
  port: FirmataPort;
  io: FirmataIo;
  board: EventEmitter & { io: FirmataIo; isReady: boolean };
  /** What the board reported: protocol version (REPORT_VERSION) and firmware name + version (REPORT_FIRMWARE). */
  protocol: { major: number; minor: number };
  firmware: { name: string; major: number; minor: number };
}

export interface ConnectOptions {
  transport: Transport;
  /** The board profile (kind "firmata"): which protocol version to accept. */
  board: Board;
  /** [ms] how long to wait for the board to answer (default 8000: an Uno resets when its port opens, ~2 s). */
  timeout_ms?: number;
}

/** [ms] how often the version query is repeated while nothing answers (a resetting board misses the first). */
const QUERY_EVERY_MS = 1000;

function flashHint(board: Board, where: string): string {
  return `flash it with: ganglion flash --board ${board.id} --port ${where}`;
}

/** Why a port that answered is not a usable Firmata board, or null when it may still be one. */
function notFirmata(bytes: Uint8Array, board: Board, where: string): string | null {
  const dec = new FrameDecoder();
  let frames = 0;
  dec.push(bytes, () => frames++);
  if (frames > 0) {
    return `${where} answers with Ganglion frames (${frames} valid): that board runs Ganglion's own firmware, not StandardFirmata. ` +
      `Use a Ganglion board profile for it (e.g. "uno") in the robot file, or ${flashHint(board, where)}`;
  }
  return null;
}

export async function connectFirmata(o: ConnectOptions): Promise<FirmataConnection> {
  const { board, transport } = o;
  const spec = board.firmata;
  if (board.kind !== 'firmata' || !spec) throw new Error(`board ${board.id} is not a Firmata board (kind "${board.kind}"); connect it with a Ganglion session`);
  const where = transport.name;
  const timeout_ms = o.timeout_ms ?? 8000;
  const { five, Firmata } = j5();
  const port = new FirmataPort(transport);
  const seen: number[] = [];
  const collect = (b: Buffer) => {
    if (seen.length < 4096) seen.push(...b);
  };
  port.on('data', collect);
  // firmata-io asks for the version itself only after reportVersionTimeout; we ask at once and repeat (see QUERY_EVERY_MS).
  const io = new Firmata(port, { reportVersionTimeout: 60_000 });
  let timer: NodeJS.Timeout | null = null;
  let query: NodeJS.Timeout | null = null;
  const cleanup = () => {
    if (timer) clearTimeout(timer);
    if (query) clearInterval(query);
    port.off('data', collect);
  };
  try {
    const versioned = new Promise<{ major: number; minor: number }>((resolve, reject) => {
      timer = setTimeout(() => {
        const why = seen.length === 0
          ? `${where} is silent: nothing answered the Firmata version query in ${timeout_ms} ms. Check the cable and the port, and that the board runs StandardFirmata; ${flashHint(board, where)}`
          : notFirmata(Uint8Array.from(seen), board, where) ??
            `${where} sent ${seen.length} bytes in ${timeout_ms} ms but no Firmata version report: not a Firmata board at ${board.baud} baud? ${flashHint(board, where)}`;
        reject(new Error(why));
      }, timeout_ms);
      io.once('reportversion', () => resolve({ major: io.version.major ?? -1, minor: io.version.minor ?? -1 }));
      port.once('error', (e: Error) => reject(new Error(`${where}: ${e.message}`)));
    });
    // johnny-five must exist before the port opens: it reaches "ready" only after seeing firmata-io's "connect".
    const j5board = new five.Board({ io, repl: false, debug: false, sigint: false, timeout: timeout_ms });
    j5board.on('error', () => {}); // reported through the promises below, never as an unhandled 'error'
    await port.open();
    const ask = () => {
      io.reportVersion(() => {});
      io.queryFirmware(() => {});
    };
    ask();
    query = setInterval(ask, QUERY_EVERY_MS);
    const protocol = await versioned;
    // A version report can hide in another firmware's bytes: Ganglion frames on the same port settle it.
    const ganglion = notFirmata(Uint8Array.from(seen), board, where);
    if (ganglion) throw new Error(ganglion);
    if (protocol.major !== spec.protocol_major || protocol.minor < spec.protocol_min_minor) {
      throw new Error(
        `${where} runs Firmata protocol ${protocol.major}.${protocol.minor}; board ${board.id} needs ${spec.protocol_major}.${spec.protocol_min_minor} or a later ${spec.protocol_major}.x ` +
          `(StandardFirmata 2.5 speaks 2.5). ${flashHint(board, where)}`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      if (j5board.isReady) return resolve();
      timer = setTimeout(() => reject(new Error(`${where} reported Firmata ${protocol.major}.${protocol.minor} but did not finish the capability query in ${timeout_ms} ms`)), timeout_ms);
      j5board.once('ready', () => resolve());
      j5board.once('error', (e: Error) => reject(new Error(`${where}: ${e.message}`)));
    });
    const fw = io.firmware;
    return { port, io, board: j5board, protocol, firmware: { name: fw.name ?? '?', major: fw.version?.major ?? -1, minor: fw.version?.minor ?? -1 } };
  } catch (e) {
    cleanup();
    await transport.close().catch(() => {});
    throw e;
  } finally {
    cleanup();
  }
}
