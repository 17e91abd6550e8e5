import { html } from '../html.ts';
import { layout } from './layout.ts';

/** A page for what cannot be reported to the client: unknown client, bad redirect URI, CSRF. */
export function errorPage(title: string, message: string): string {
  return layout(
    title,
    html`<h1>${title}</h1>
<p class="error" role="alert">${message}</p>
<p>Return to the application and try again.</p>`,
  );
}
