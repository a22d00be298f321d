// Intel-hex parser: turns a firmware .hex into the flash image avr8js executes (it has no loader of its own).

/** Parse Intel-hex text into a flash image of `flashBytes`; unwritten bytes stay 0xFF like erased flash. */
export function parseIntelHex(text: string, flashBytes = 0x8000): Uint8Array {
  const flash = new Uint8Array(flashBytes).fill(0xff);
  let base = 0;
  let sawEof = false;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    const where = `hex line ${n + 1}`;
    if (line[0] !== ':' || line.length < 11 || line.length % 2 === 0) throw new Error(`${where}: not an Intel-hex record`);
    const bytes = new Uint8Array((line.length - 1) / 2);
    for (let i = 0; i < bytes.length; i++) {
      const b = Number.parseInt(line.substr(1 + i * 2, 2), 16);
      if (Number.isNaN(b)) throw new Error(`${where}: bad hex digit`);
      bytes[i] = b;
    }
    const len = bytes[0]!;
    if (bytes.length !== len + 5) throw new Error(`${where}: length byte says ${len}, record holds ${bytes.length - 5}`);
    let sum = 0;
    for (const b of bytes) sum = (sum + b) & 0xff;
    if (sum !== 0) throw new Error(`${where}: checksum mismatch`);
    const addr = (bytes[1]! << 8) | bytes[2]!;
    const type = bytes[3]!;
    const data = bytes.subarray(4, 4 + len);
    if (type === 0x00) {
      const at = base + addr;
      if (at + len > flashBytes) throw new Error(`${where}: data at 0x${at.toString(16)} is beyond the ${flashBytes}-byte flash`);
      flash.set(data, at);
    } else if (type === 0x01) {
      sawEof = true;
      break;
    } else if (type === 0x02) {
      base = ((data[0]! << 8) | data[1]!) * 16;
    } else if (type === 0x04) {
      base = ((data[0]! << 8) | data[1]!) << 16;
    }
    // 0x03/0x05 (start address records) do not matter to an AVR: it always starts at the reset vector.
  }
  if (!sawEof) throw new Error('hex file has no end-of-file record (truncated?)');
  return flash;
}
