// Worker-thread entry: one emulated node paced to the wall clock, talking to the main thread in checked messages.
import { parentPort, workerData } from 'node:worker_threads';
import { BoardSchema } from '../hw/board.ts';
import { NodeSchema } from '../hw/robot.ts';
import { loadFirmware } from './firmware.ts';
import { EmulatedNode, type PlantFaults } from './node.ts';
import { RealtimePacer } from './pacer.ts';
import { TurnClock } from './turn-clock.ts';
import { ToWorkerSchema, WorkerInitSchema, type Call, type FromWorker, type PinsLow } from './worker-protocol.ts';
import { currentTid, niceThisThread, readNice } from '../util/thread.ts';
import { monoNow_ns } from '../util/mono-clock.ts';
import { zodIssue } from '../util/zod-issue.ts';

const port = parentPort;
if (!port) throw new Error('host/emulator/worker.ts must run in a worker thread (see worker-node.ts)');
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const turns = new TurnClock();

/** When every named pin had gone low for good (see PinsLow), or null while any is high or toggling. */
function pinsLowAt(node: EmulatedNode, pacer: RealtimePacer, names: string[], stale_ms: number): PinsLow | null {
  let last = -1;
  for (const name of names) {
    const since = node.pinLowSince(name, stale_ms);
    if (since === null) return null;
    last = Math.max(last, since);
  }
  return last < 0 ? null : { cycle: last, at_ns: pacer.monoAt_ns(last), ran_ns: turns.timeOf_ns(last) };
}

function dispatch(node: EmulatedNode, pacer: RealtimePacer, c: Call): unknown {
  switch (c.method) {
    case 'snapshot': return node.snapshot();
    case 'stats': return { ...pacer.stats, time_ms: node.time_ms, cycles: node.cycles, nice: readNice(currentTid()) };
    case 'setInput': return node.setInput(...c.args);
    case 'pressEstop': node.pressEstop(); return node.cycles;
    case 'releaseEstop': return node.releaseEstop();
    case 'pressButton': return node.pressButton(...c.args);
    case 'releaseButton': return node.releaseButton(...c.args);
    case 'setPot': return node.setPot(...c.args);
    case 'driveEncoder': return node.driveEncoder(...c.args);
    case 'pinLevel': return node.pinLevel(...c.args);
    case 'pinDuty': return node.pinDuty(c.args[0], c.args[1]);
    case 'pinsLowAt': return pinsLowAt(node, pacer, ...c.args);
  }
}

try {
  const init = WorkerInitSchema.parse(workerData);
  // Yield to the host's own threads (worker-node.ts, EMULATOR_NICE); a platform that refuses keeps the default.
  if (init.nice) niceThisThread(init.nice);
  const node = new EmulatedNode({
    wiring: NodeSchema.parse(init.wiring),
    board: BoardSchema.parse(init.board),
    flash: loadFirmware(init.hexPath),
    eeprom: init.eeprom,
    faults: init.faults as PlantFaults | undefined,
  });
  // Bytes go out after every slice (<= 100 us of emulated time): latency stays below a real USB-serial link's.
  node.onTx((bytes) => post({ type: 'tx', bytes: bytes as Uint8Array<ArrayBuffer> }, [bytes.buffer as ArrayBuffer]));
  const pacer = new RealtimePacer(node, {
    chunk_ms: init.chunk_ms,
    reportLag_ms: init.reportLag_ms,
    onLag: (lag_ms) => post({ type: 'lag', lag_ms }),
    afterTurn: () => turns.record(node.cycles, monoNow_ns()),
  });
  port.on('message', (raw: unknown) => {
    const r = ToWorkerSchema.safeParse(raw);
    if (!r.success) {
      post({ type: 'fatal', error: `bad message to emulator worker: ${zodIssue(r.error)}` });
      return;
    }
    const m = r.data;
    if (m.type === 'rx') {
      node.mcu.writeRx(m.bytes, pacer.cycleAt(m.sent_ns));
      pacer.kick();
    }
    else if (m.type === 'stop') {
      pacer.stop();
      port.close();
    } else {
      try {
        post({ type: 'result', id: m.id, ok: true, value: dispatch(node, pacer, m.call) });
      } catch (e) {
        post({ type: 'result', id: m.id, ok: false, error: (e as Error).message });
      }
    }
  });
  pacer.start();
  post({ type: 'ready', time_ms: node.time_ms });
} catch (e) {
  post({ type: 'fatal', error: (e as Error).message });
}
