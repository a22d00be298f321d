// The active skill with its progress (skill/status, state) and the skill list with affordances now (skills), with a form to run one.
import type { SkillStatusPayload, SkillsPayload, StatePayload } from '../../bridge/topics.ts';
import { el, byId, fmt } from './dom.ts';

export class SkillsPanel {
  private readonly active = byId('active-skill');
  private readonly progress = byId<HTMLProgressElement>('skill-progress');
  private readonly list = byId<HTMLTableSectionElement>('skill-rows');
  private readonly mode = byId('robot-mode');
  private readonly actionSkill = byId<HTMLInputElement>('action-skill');
  private readonly actionArgs = byId<HTMLTextAreaElement>('action-args');
  private listSignature = '';

  render(state: StatePayload | null, status: SkillStatusPayload | null, skills: SkillsPayload | null): void {
    this.mode.textContent = state ? `${state.mode}${state.estop.latched ? ` — E-STOP latched: ${state.estop.reason ?? ''}` : ''}` : 'no state yet';
    this.mode.dataset.mode = state?.mode ?? '';
    this.mode.classList.toggle('bad', !!state?.estop.latched);

    // skill/status is the event stream; the state carries the running skill's progress every second. Show the newer.
    const running = state?.active_skill ?? null;
    const fromStatus = status && (!state || status.at_ms >= state.at_ms || !running);
    if (fromStatus && status) {
      this.active.textContent = `${status.skill} (${status.request_id ?? 'local'}): ${status.state}, ${fmt(status.elapsed_s, 1)} s${status.reason ? ` — ${status.reason}` : ''}`;
      this.active.dataset.state = status.state;
      this.active.dataset.skill = status.skill;
      this.setProgress(status.progress, status.state === 'running' ? null : status.state === 'done' ? 1 : 0);
    } else if (running) {
      this.active.textContent = `${running.skill} (${running.request_id ?? 'local'}): running, ${fmt(running.elapsed_s, 1)} s`;
      this.active.dataset.state = 'running';
      this.active.dataset.skill = running.skill;
      this.setProgress(running.progress, null);
    } else {
      this.active.textContent = 'no skill running';
      this.active.dataset.state = '';
      this.active.dataset.skill = '';
      this.setProgress(null, 0);
    }

    // The skill list is republished every second, mostly unchanged: rebuild the table only when it changed.
    const signature = JSON.stringify(skills?.skills.map((s) => [s.name, s.affordance]) ?? null);
    if (signature === this.listSignature) return;
    this.listSignature = signature;
    this.list.replaceChildren(
      ...(skills?.skills ?? []).map((s) => {
        const a = s.affordance;
        const pick = el('button', { type: 'button', class: 'small', title: 'fill the action form with this skill' }, 'use');
        pick.addEventListener('click', () => {
          this.actionSkill.value = s.name;
          if (!this.actionArgs.value.trim()) this.actionArgs.value = '{}';
        });
        return el('tr', { 'data-skill': s.name, title: s.description },
          el('td', {}, s.name),
          el('td', { 'data-field': 'affordance' }, el('meter', { min: 0, max: 1, value: a?.value ?? 0 }), ` ${a ? fmt(a.value, 2) : '–'}`, el('small', {}, a?.reason ?? '')),
          el('td', {}, pick));
      }),
    );
  }

  /** `ifUnknown` null: a running skill that cannot tell its progress (the bar shows activity, not a number). */
  private setProgress(p: number | null, ifUnknown: number | null): void {
    const v = p ?? ifUnknown;
    if (v === null) this.progress.removeAttribute('value');
    else this.progress.value = Math.max(0, Math.min(1, v));
  }
}
