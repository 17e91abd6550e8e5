import { html } from '../html.ts';
import { layout } from './layout.ts';

/** RFC 8628 §3.3: the page where the user types the code their device shows. */
export function deviceCodePage(options: {
  action: string;
  csrf: string;
  userCode?: string;
  error?: string;
}): string {
  return layout(
    'Connect a device',
    html`<h1>Connect a device</h1>
${options.error ? html`<p class="error" role="alert" id="code-error">${options.error}</p>` : null}
<form method="post" action="${options.action}">
<input type="hidden" name="step" value="code">
<input type="hidden" name="csrf" value="${options.csrf}">
<label for="user_code">Code shown on your device</label>
<input type="text" id="user_code" name="user_code" value="${options.userCode ?? ''}" placeholder="XXXX-XXXX" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32" required autofocus${options.error ? html` aria-describedby="code-error"` : ''}>
<button type="submit">Continue</button>
</form>`,
  );
}

export function deviceDonePage(approved: boolean): string {
  const title = approved ? 'Device connected' : 'Access denied';
  const message = approved
    ? 'You can return to your device; it will continue shortly.'
    : 'The device was not given access. You can close this page.';
  return layout(title, html`<h1>${title}</h1><p>${message}</p>`);
}
