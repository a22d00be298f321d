import { SerialPort } from 'serialport';
import { PosixMcu } from '../host/link/posix-mcu.ts';
import { encodeFrame, FrameDecoder } from '../host/protocol/frame.ts';
import { encodeMessage, decodePayload } from '../host/protocol/codec.ts';
import { percentile } from './report.ts';
const mcu = new PosixMcu(); const pty = await mcu.start();
const port = new SerialPort({ path: pty, baudRate: 1_000_000, autoOpen: false });
await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
const dec = new FrameDecoder(); let done = () => {}; let chunks = 0;
port.on('data', (d: Buffer) => { chunks++; dec.push(d, (f) => { for (const m of decodePayload(f.payload)) if (m.name === 'pong') done(); }); });
let seq = 1;
port.write(encodeFrame(seq, encodeMessage('identify', {})));
await new Promise(r => setTimeout(r, 100));
const rtts: number[] = [];
for (let i = 0; i < 500; i++) {
  seq = (seq + 1) & 0xff;
  const t0 = process.hrtime.bigint();
  await new Promise<void>((r) => { done = r; port.write(encodeFrame(seq, encodeMessage('ping', { token: i }))); });
  rtts.push(Number(process.hrtime.bigint() - t0) / 1000);
}
console.log('raw ping posix median', percentile(rtts, 50), 'p99', percentile(rtts, 99), 'chunks', chunks);
port.close(); await mcu.stop();
