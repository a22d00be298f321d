// World text (labels, memory, failure reasons) goes to the LLM only inside delimited, JSON-escaped data blocks that the system prompt declares to be data.
import { randomBytes } from 'node:crypto';

export const DATA_OPEN = '<<<DATA';
export const DATA_CLOSE = '>>>';

/** A fresh marker per block: text in the world cannot guess it, so it cannot close a block early. */
export function newNonce(): string {
  return randomBytes(6).toString('hex');
}

/**
 * JSON with every '<', '>' and '&' escaped (\u003c...), so nothing inside can look like a block's end
 * marker or markup, whatever a label says. JSON.stringify already escapes quotes and control characters.
 */
export function escapeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `<<<DATA nonce\n{json}\nDATA nonce>>>`: one data block. */
export function dataBlock(value: unknown, nonce: string = newNonce()): string {
  return `${DATA_OPEN} ${nonce}\n${escapeJson(value)}\nDATA ${nonce}${DATA_CLOSE}`;
}

/** The JSON inside every data block of a text, in order (for tests and the scripted LLM). */
export function readDataBlocks(text: string): unknown[] {
  const out: unknown[] = [];
  const re = /<<<DATA ([0-9a-f]+)\n([\s\S]*?)\nDATA \1>>>/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(JSON.parse(m[2]!));
  return out;
}

/** The text with every data block cut out: what remains is what the system and the planner wrote. */
export function outsideDataBlocks(text: string): string {
  return text.replace(/<<<DATA ([0-9a-f]+)\n[\s\S]*?\nDATA \1>>>/g, '');
}
