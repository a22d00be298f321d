// Parses avrdude's progress output ("Writing | ####... | 100% 0.52s") from its stderr stream into percentages.

export type FlashPhase = 'write' | 'verify' | 'read';

export interface ProgressEvent {
  phase: FlashPhase;
  /** 0..100 */
  percent: number;
}

/** avrdude draws 50 '#' for 100 %. */
const BAR_CHARS = 50;

/**
 * Streaming parser: feed stderr chunks as they arrive (any chunking), get progress events and the plain
 * lines (everything that is not a progress bar), which an error report shows the tail of.
 */
export class AvrdudeProgress {
  private phase: FlashPhase | null = null;
  private hashes = 0;
  private wrote = false;
  private line = '';
  readonly lines: string[] = [];

  push(chunk: string, onEvent: (e: ProgressEvent) => void): void {
    for (const ch of chunk) {
      if (this.phase) {
        if (ch === '#') {
          this.hashes++;
          onEvent({ phase: this.phase, percent: Math.min(100, Math.round((this.hashes * 100) / BAR_CHARS)) });
        } else if (ch === '\n') {
          this.phase = null; // " | 100% 0.52s" ends the bar
        }
        continue;
      }
      if (ch === '\n' || ch === '\r') {
        if (this.line.trim() !== '') this.lines.push(this.line.trimEnd());
        this.line = '';
        continue;
      }
      this.line += ch;
      const start = this.line.match(/^(Writing|Reading) \| $/);
      if (start) {
        this.phase = start[1] === 'Writing' ? 'write' : this.wrote ? 'verify' : 'read';
        if (this.phase === 'write') this.wrote = true;
        this.hashes = 0;
        this.line = '';
        onEvent({ phase: this.phase, percent: 0 });
      }
    }
  }

  /** The last n plain lines avrdude printed (the partial last line included). */
  tail(n: number): string[] {
    const all = this.line.trim() ? [...this.lines, this.line.trimEnd()] : this.lines;
    return all.slice(-n);
  }
}
