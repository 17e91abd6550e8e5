import { html, type SafeHtml } from '../html.ts';
import { layout } from './layout.ts';

export interface PageContext {
  /** Where the form posts: `<prefix>/oauth2/authorize` or `<prefix>/oauth2/device`. */
  action: string;
  clientName: string;
  tenantName: string;
  transaction: string;
  csrf: string;
  /** Device flow: the user code being approved, shown as XXXX-XXXX. */
  userCode?: string;
}

export interface LoginPageOptions {
  username?: string;
  error?: string;
}

/**
 * The login form: one form, labelled fields in tab order (username, password, then the button),
 * the username autofocused (or the password after a failed attempt with a name kept).
 */
export function loginPage(context: PageContext, options: LoginPageOptions = {}): string {
  const username = options.username ?? '';
  const focusPassword = username !== '';
  return layout(
    `Sign in to ${context.clientName}`,
    html`<h1>Sign in to ${context.clientName}</h1>
<p class="tenant">${context.tenantName}</p>
${deviceNotice(context)}
${options.error ? html`<p class="error" role="alert" id="login-error">${options.error}</p>` : null}
<form method="post" action="${context.action}">
<input type="hidden" name="step" value="login">
<input type="hidden" name="tx" value="${context.transaction}">
<input type="hidden" name="csrf" value="${context.csrf}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${username}" autocomplete="username" autocapitalize="none" spellcheck="false" required${focusPassword ? '' : ' autofocus'}${options.error ? html` aria-describedby="login-error"` : ''}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${focusPassword ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function deviceNotice(context: PageContext): SafeHtml | null {
  if (!context.userCode) return null;
  return html`<p>A device showing the code <code>${context.userCode}</code> asks for access. Continue only if you started this on your device.</p>`;
}
