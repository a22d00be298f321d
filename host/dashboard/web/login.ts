// The login form: username and password go straight to the broker (never to the dashboard server); a refusal is shown as the broker gave it.
import { byId } from './dom.ts';

export interface Credentials {
  url: string;
  username: string;
  password: string;
}

export class LoginForm {
  private readonly form = byId<HTMLFormElement>('login-form');
  private readonly error = byId('login-error');
  private readonly url = byId('login-broker');
  private readonly username = byId<HTMLInputElement>('login-username');
  private readonly password = byId<HTMLInputElement>('login-password');
  private readonly submit = byId<HTMLButtonElement>('login-submit');

  /** The broker is the one the server names: the page's CSP lets it connect there and nowhere else. */
  constructor(private readonly brokerWsUrl: string, private readonly login: (c: Credentials) => Promise<void>) {
    this.url.textContent = brokerWsUrl;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.attempt();
    });
  }

  private async attempt(): Promise<void> {
    this.error.textContent = '';
    this.submit.disabled = true;
    this.submit.textContent = 'connecting…';
    try {
      await this.login({ url: this.brokerWsUrl, username: this.username.value.trim(), password: this.password.value });
      // The password is not kept in the page once the broker has accepted it.
      this.password.value = '';
    } catch (e) {
      this.error.textContent = (e as Error).message;
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = 'Log in';
    }
  }

  show(visible: boolean): void {
    byId('login-view').hidden = !visible;
    if (visible) this.username.focus();
  }
}
