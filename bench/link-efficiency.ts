// Benchmark 3: frame overhead and link use for 1 kHz setpoints plus 1 kHz telemetry of 4 motors at 1 Mbaud.
import { FRAME, MESSAGES, payloadBytes } from '../host/protocol/messages.ts';
import type { Figure } from './report.ts';
import { measureEmulatedLinkBytes } from './emulated-link.ts';

const BAUD = 1_000_000;
/** UART 8N1 carries 10 bits per byte. */
const BYTES_PER_S = BAUD / 10;
const KLIPPER_OVERHEAD_BYTES = 5;

const frameBytes = (name: string) => FRAME.MIN_BYTES + 1 + payloadBytes(MESSAGES.find((m) => m.name === name)!);

export async function run(): Promise<Figure[]> {
  const STATUS_DIV = 10;
  const down = frameBytes('set_motors') * 1000;
  const up = frameBytes('telemetry') * 1000 + (frameBytes('status') * 1000) / STATUS_DIV;
  const measured = await measureEmulatedLinkBytes({ telemetryHz: 1000, statusDiv: STATUS_DIV, setpointHz: 1000, seconds: 1 });
  return [
    { name: 'frame overhead', value: FRAME.MIN_BYTES, unit: 'bytes', baseline: { label: 'Klipper', value: KLIPPER_OVERHEAD_BYTES }, goal: '<= 5 bytes', pass: FRAME.MIN_BYTES <= 5 },
    {
      name: 'host->MCU use, set_motors (4 motors) at 1 kHz, by the message table',
      value: (100 * down) / BYTES_PER_S, unit: '% of 1 Mbaud',
      baseline: { label: 'frame size', value: frameBytes('set_motors'), unit: 'bytes' }, goal: '<= 50 %', pass: down / BYTES_PER_S <= 0.5,
    },
    {
      name: `MCU->host use, telemetry at 1 kHz + status every ${STATUS_DIV}th, by the message table`,
      value: (100 * up) / BYTES_PER_S, unit: '% of 1 Mbaud',
      baseline: { label: 'telemetry frame', value: frameBytes('telemetry'), unit: 'bytes' }, goal: '<= 50 %', pass: up / BYTES_PER_S <= 0.5,
    },
    {
      name: 'host->MCU use measured on the emulated UART (1 s emulated)',
      value: (100 * measured.downBytes) / (BYTES_PER_S * measured.seconds), unit: '% of 1 Mbaud',
      baseline: { label: 'by the table', value: (100 * down) / BYTES_PER_S, unit: '%' }, goal: '<= 50 %', pass: measured.downBytes / (BYTES_PER_S * measured.seconds) <= 0.5,
    },
    {
      name: 'MCU->host use measured on the emulated UART (1 s emulated)',
      value: (100 * measured.upBytes) / (BYTES_PER_S * measured.seconds), unit: '% of 1 Mbaud',
      baseline: { label: 'by the table', value: (100 * up) / BYTES_PER_S, unit: '%' }, goal: '<= 50 %', pass: measured.upBytes / (BYTES_PER_S * measured.seconds) <= 0.5,
      note: `${measured.telemetryFrames} telemetry frames received, ${measured.telemetryLost} lost`,
    },
  ];
}
