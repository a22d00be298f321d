// MCU link health per node (state, watchdog, RTT, retransmits, CRC errors, lost telemetry) and the executor's cadence line.
import type { CadencePayload, LinkPayload } from '../../bridge/topics.ts';
import { byId, fmt, syncRows } from './dom.ts';

export class LinkPanel {
  private readonly rows = byId<HTMLTableSectionElement>('link-rows');
  private readonly cadenceLine = byId('cadence-line');
  private readonly warning = byId('link-warning');

  render(link: LinkPayload | null, cadence: CadencePayload | null): void {
    syncRows(this.rows, 'node', Object.entries(link?.nodes ?? {}).map(([node, n]) => ({
      key: node,
      cells: [
        { text: node },
        { text: n.board_kind, class: n.board_kind === 'firmata' ? 'bad' : '', field: 'board' },
        { text: n.state, class: n.state === 'connected' ? 'good' : 'bad', field: 'state' },
        { text: n.armed ? 'armed' : 'disarmed', class: n.armed ? 'good' : '', field: 'armed' },
        { text: n.watchdog_tripped ? 'TRIPPED' : 'ok', class: n.watchdog_tripped ? 'bad' : 'good', field: 'watchdog' },
        { text: fmt(n.rtt_ms, 2), class: 'num' },
        { text: fmt(n.rtt_p99_ms, 2), class: 'num' },
        { text: String(n.retransmits), class: 'num' },
        { text: String(n.crc_errors), class: n.crc_errors ? 'num bad' : 'num' },
        { text: String(n.telemetry_lost), class: 'num' },
        { text: String(n.reconnects), class: 'num' },
        { text: n.faults.join(', ') || 'none', class: n.faults.length ? 'bad' : '' },
      ],
    })));
    // A board kind's warning (Firmata: SIGKILL or a cut cable leaves the last state), once however many nodes share it.
    const byText = new Map<string, string[]>();
    for (const [node, n] of Object.entries(link?.nodes ?? {})) if (n.warning) byText.set(n.warning, [...(byText.get(n.warning) ?? []), node]);
    const warnings = [...byText].map(([text, nodes]) => `${nodes.join(', ')}: ${text}`).join(' ');
    if (this.warning.textContent !== warnings) this.warning.textContent = warnings;
    const line = cadence ? cadence.line : 'no cadence report yet';
    if (this.cadenceLine.textContent !== line) this.cadenceLine.textContent = line;
  }
}
