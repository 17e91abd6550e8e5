import { html } from '../html.ts';
import { layout } from './layout.ts';
import { deviceNotice, type PageContext } from './login-page.ts';

export interface ConsentPageOptions {
  /** The logged-in proof (signed), posted back with the decision. */
  login: string;
  /** Who is signed in, shown so that a shared computer's user notices. */
  username: string;
  scopes: Array<{ name: string; description: string }>;
}

/** Allow and Deny are two submit buttons of one form: Tab reaches both, Enter or Space press them. */
export function consentPage(context: PageContext, options: ConsentPageOptions): string {
  return layout(
    `Allow ${context.clientName}?`,
    html`<h1>Allow ${context.clientName} to access your account?</h1>
<p class="tenant">${context.tenantName}</p>
${deviceNotice(context)}
<p>Signed in as <strong>${options.username}</strong>.</p>
${
  options.scopes.length > 0
    ? html`<p>${context.clientName} asks to:</p>
<ul class="scopes">${options.scopes.map((s) => html`<li><strong>${s.name}</strong>: ${s.description}</li>`)}</ul>`
    : html`<p>${context.clientName} asks for no particular permission.</p>`
}
<form method="post" action="${context.action}">
<input type="hidden" name="step" value="consent">
<input type="hidden" name="tx" value="${context.transaction}">
<input type="hidden" name="login" value="${options.login}">
<input type="hidden" name="csrf" value="${context.csrf}">
<button type="submit" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  );
}
