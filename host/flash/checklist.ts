// The checklist `ganglion doctor` prints: items marked ok/warn/fail, each problem with one hint.

export type Mark = 'ok' | 'warn' | 'fail';

export interface CheckItem {
  mark: Mark;
  text: string;
  /** What to do about a warn or fail: one sentence. */
  hint?: string;
}

export interface CheckSection {
  title: string;
  items: CheckItem[];
}

const MARK_TEXT: Record<Mark, string> = { ok: ' ok ', warn: 'warn', fail: 'FAIL' };

export function renderChecklist(sections: CheckSection[]): string {
  const out: string[] = [];
  for (const s of sections) {
    out.push(s.title);
    for (const i of s.items) {
      out.push(`  [${MARK_TEXT[i.mark]}] ${i.text}`);
      if (i.hint && i.mark !== 'ok') out.push(`         -> ${i.hint}`);
    }
    out.push('');
  }
  const all = sections.flatMap((s) => s.items);
  const fails = all.filter((i) => i.mark === 'fail').length;
  const warns = all.filter((i) => i.mark === 'warn').length;
  out.push(fails + warns === 0 ? 'all good' : `${fails} failure${fails === 1 ? '' : 's'}, ${warns} warning${warns === 1 ? '' : 's'}`);
  return `${out.join('\n')}\n`;
}

export function hasFailures(sections: CheckSection[]): boolean {
  return sections.some((s) => s.items.some((i) => i.mark === 'fail'));
}
