// The robots the broker knows (retained status topics across ganglion/+/status), online or not, and the selector.
import { el, byId } from './dom.ts';
import type { RobotView } from './store.ts';

export class RobotsPanel {
  private readonly list = byId<HTMLUListElement>('robot-list');
  private readonly select = byId<HTMLSelectElement>('robot-select');

  constructor(private readonly onSelect: (robot: string) => void) {
    this.select.addEventListener('change', () => this.onSelect(this.select.value));
  }

  render(robots: Iterable<RobotView>, selected: string | null): void {
    const all = [...robots].sort((a, b) => Number(b.online) - Number(a.online) || a.id.localeCompare(b.id));
    this.list.replaceChildren(
      ...all.map((r) =>
        el('li', { class: r.online ? 'online' : 'offline', 'data-robot': r.id, 'data-online': r.online ? 'true' : 'false' },
          el('span', { class: 'dot' }), `${r.id} `, el('small', {}, r.online ? `online, ${r.version}` : 'offline')),
      ),
    );
    const options = all.map((r) => el('option', { value: r.id, selected: r.id === selected }, `${r.id}${r.online ? '' : ' (offline)'}`));
    this.select.replaceChildren(el('option', { value: '', disabled: true, selected: selected === null }, all.length ? 'choose a robot' : 'no robots yet'), ...options);
  }
}
