// `ganglion doctor [--port path ...]`: checks the toolchain and firmware builds, lists serial ports and asks each who it is, and warns of plain broker listeners on a network.
import { existsSync } from 'node:fs';
import { listenerIsLocal, mosquittoListeners, type ConfListener } from '../bridge/mosquitto-listeners.ts';
import { findPorts, dialoutCheck, portAccess } from '../flash/ports.ts';
import { hasFailures, renderChecklist, type CheckItem, type CheckSection } from '../flash/checklist.ts';
import { firmwareChecks, toolchainChecks } from '../flash/toolchain.ts';
import { probePort, type ProbeResult } from '../link/probe.ts';
import { SerialTransport } from '../link/serial.ts';
import { PROTO_HASH } from '../protocol/messages.gen.ts';
import { CONSTANTS } from '../protocol/messages.ts';
import { firmataItem } from './firmata-doctor.ts';
import { parseCommand } from './args.ts';

const SYSTEM_MOSQUITTO_CONF = '/etc/mosquitto/mosquitto.conf';

const USAGE = `usage: ganglion doctor [--port path ...] [--probe-ms n] [--mosquitto-conf FILE ...]

Checks node, make, avr-gcc, avrdude and simavr, which firmware images are built, lists serial ports
(udev, /dev/ttyUSB*, /dev/ttyACM* and every --port), whether this user may open them, and which
firmware answers on each. Reads the listeners of each mosquitto configuration (default
${SYSTEM_MOSQUITTO_CONF} when it exists) and warns of a plain one that is not on loopback: passwords
would cross the network in clear text. Exits non-zero only when something fails.
  --probe-ms  how long to wait for a board to answer (default 2500: opening a port resets an Arduino,
              whose bootloader then waits about a second before the firmware starts)
  --mosquitto-conf FILE   a mosquitto.conf to check (repeatable), e.g. one \`ganglion broker-config --out\` wrote
`;

/** One item per listener: TLS, or plain on loopback, is fine; plain on a network is a warning (as broker-config's). */
export function listenerItem(l: ConfListener): CheckItem {
  const where = `${l.address ?? 'every interface'}:${l.port}${l.line ? ` (${l.file}:${l.line})` : ` (${l.file}: no listener configured, mosquitto's local-only default)`}`;
  if (l.tls) return { mark: 'ok', text: `TLS listener on ${where}` };
  if (listenerIsLocal(l)) return { mark: 'ok', text: `plain listener on ${where}: this machine only` };
  return {
    mark: 'warn',
    text: `plain MQTT listener on ${where}: passwords cross the network in clear text`,
    hint: 'make it TLS (ganglion broker-config --tls-cert C --tls-key K writes no plain listener unless --allow-plain-localhost), or bind it to 127.0.0.1',
  };
}

export function brokerSection(file: string): CheckSection {
  if (!existsSync(file)) return { title: `broker ${file}`, items: [{ mark: 'fail', text: `${file} does not exist`, hint: 'give the mosquitto.conf the broker runs with (ganglion broker-config --out DIR writes DIR/mosquitto.conf)' }] };
  try {
    return { title: `broker ${file}`, items: mosquittoListeners(file).map(listenerItem) };
  } catch (e) {
    return { title: `broker ${file}`, items: [{ mark: 'fail', text: `cannot read ${file}: ${(e as Error).message}` }] };
  }
}

const hex32 = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;

function mcuName(code: number): string {
  return Object.entries(CONSTANTS.MCU).find(([, v]) => v === code)?.[0].toLowerCase() ?? `mcu ${code}`;
}

/** What the probe found, as one checklist item. */
export function identityItem(port: string, r: ProbeResult | null): CheckItem {
  if (!r) {
    return {
      mark: 'warn',
      text: `no Ganglion firmware answered on ${port}`,
      hint: `flash it: ganglion flash --board <uno|nano|mega2560> --port ${port} (or another program is using the port)`,
    };
  }
  const who = `Ganglion firmware ${r.fw_major}.${r.fw_minor} on ${mcuName(r.mcu)}, node "${r.nodeId || '(unset)'}"`;
  if (r.compatible) return { mark: 'ok', text: `${who}; protocol hash ${hex32(r.proto_hash)} matches this host` };
  return {
    mark: 'fail',
    text: `${who}; protocol hash ${hex32(r.proto_hash)} differs from this host's ${hex32(PROTO_HASH)}`,
    hint: `reflash it with this checkout's firmware: ganglion flash --board <board> --port ${port}`,
  };
}

async function probe(port: string, probeMs: number): Promise<CheckItem> {
  // Every board profile runs its host link at 1 Mbaud, so one rate probes any of them.
  const transport = new SerialTransport({ path: port, baudRate: 1_000_000 });
  try {
    const found = await probePort(transport, probeMs);
    // Not Ganglion's firmware at 1 Mbaud: maybe StandardFirmata at its 57600 (firmata-doctor.ts).
    if (!found) await transport.close();
    return (!found && (await firmataItem(port, probeMs))) || identityItem(port, found);
  } catch (e) {
    return { mark: 'fail', text: `cannot talk to ${port}: ${(e as Error).message}` };
  } finally {
    if (transport.isOpen) await transport.close();
  }
}

export async function doctor(extraPorts: string[], probeMs: number, mosquittoConfs: string[] = []): Promise<CheckSection[]> {
  const sections: CheckSection[] = [
    { title: 'toolchain', items: toolchainChecks() },
    { title: 'firmware builds', items: firmwareChecks() },
    { title: 'serial access', items: [dialoutCheck()] },
  ];
  const ports = await findPorts(extraPorts);
  if (ports.length === 0) {
    sections.push({
      title: 'serial ports',
      items: [{ mark: 'warn', text: 'no serial ports found', hint: 'plug a board in (a charge-only USB cable shows nothing), or name one with --port' }],
    });
  }
  for (const p of ports) {
    const items = portAccess(p.path);
    if (items.every((i) => i.mark === 'ok')) items.push(await probe(p.path, probeMs));
    sections.push({ title: `port ${p.path}${p.description ? ` (${p.description})` : ''}`, items });
  }
  for (const conf of mosquittoConfs) sections.push(brokerSection(conf));
  return sections;
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand('doctor', USAGE, argv, { port: { type: 'string', multiple: true }, 'probe-ms': { type: 'string' }, 'mosquitto-conf': { type: 'string', multiple: true } });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const probeMs = values['probe-ms'] === undefined ? 2500 : Number(values['probe-ms']);
  if (!Number.isInteger(probeMs) || probeMs <= 0) {
    process.stderr.write(`ganglion doctor: --probe-ms must be a positive whole number of milliseconds, not "${values['probe-ms']}"\n`);
    return 2;
  }
  const confs = values['mosquitto-conf'] ?? (existsSync(SYSTEM_MOSQUITTO_CONF) ? [SYSTEM_MOSQUITTO_CONF] : []);
  const sections = await doctor(values.port ?? [], probeMs, confs);
  process.stdout.write(renderChecklist(sections));
  return hasFailures(sections) ? 1 : 0;
}
