import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientAddress } from '../../http/client-address.ts';
import { formatUserCode } from '../codes/user-code.ts';
import type { AuthorizeService, ClientView } from './authorize-service.ts';
import { type CsrfCookieSettings, csrfCookie, csrfMatches, newCsrfToken, readCsrfCookie } from './csrf.ts';
import { sendExpired, sendForbidden, sendThrottled } from './page-errors.ts';
import { consentPage } from './pages/consent-page.ts';
import { sendPage } from './pages/layout.ts';
import { loginPage, type PageContext } from './pages/login-page.ts';
import { formActionSource } from './redirect-uri.ts';
import type { LoggedIn, Transaction, TransactionSeal } from './transaction.ts';

/** What the login and consent steps of both flows share. */
export interface InteractionDeps {
  service: AuthorizeService;
  seal: TransactionSeal;
  cookie: CsrfCookieSettings;
  /** Form targets: `<prefix>/oauth2/authorize` and `<prefix>/oauth2/device`. */
  actions: { code: string; device: string };
}

export type Form = Record<string, string | null>;

const FIELDS = ['step', 'tx', 'csrf', 'username', 'password', 'login', 'decision', 'user_code'];

/** The posted form with one value per known field (a repeated or missing field reads as null). */
export function readForm(body: unknown): Form {
  const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const form: Form = {};
  for (const name of FIELDS) {
    const value = input[name];
    form[name] = typeof value === 'string' ? value : null;
  }
  return form;
}

/** The browser's CSRF value, set now when it has none (a first visit, or an expired browser session). */
export function ensureCsrf(deps: InteractionDeps, request: FastifyRequest, reply: FastifyReply): string {
  const existing = readCsrfCookie(request);
  if (existing) return existing;
  const value = newCsrfToken();
  reply.header('set-cookie', csrfCookie(value, deps.cookie));
  return value;
}

/** The cookie value when the form's `csrf` field matches it; null means answer 403. */
export function checkCsrf(request: FastifyRequest, form: Form): string | null {
  const cookie = readCsrfCookie(request);
  return csrfMatches(cookie, form.csrf ?? null) ? cookie : null;
}

export function pageContext(
  deps: InteractionDeps,
  transaction: Transaction,
  view: ClientView,
  blob: string,
  csrf: string,
): PageContext {
  return {
    action: deps.actions[transaction.flow],
    clientName: view.client.name,
    tenantName: view.tenantName,
    transaction: blob,
    csrf,
    ...(transaction.flow === 'device' ? { userCode: formatUserCode(transaction.userCode) } : {}),
  };
}

/** form-action must also allow the client's origin: the flow ends in a redirect there. */
export function formActionsOf(transaction: Transaction): string[] {
  return transaction.flow === 'code' ? [formActionSource(transaction.redirectUri)] : [];
}

export function sendLoginPage(
  deps: InteractionDeps,
  reply: FastifyReply,
  transaction: Transaction,
  view: ClientView,
  csrf: string,
): FastifyReply {
  const blob = deps.seal.sealTransaction(transaction, csrf);
  return sendPage(
    reply,
    200,
    loginPage(pageContext(deps, transaction, view, blob, csrf)),
    formActionsOf(transaction),
  );
}

export type Finish = (
  transaction: Transaction,
  loggedIn: LoggedIn,
  decision: 'allowed' | 'denied' | 'skipped',
) => Promise<FastifyReply>;

/** A posted form whose CSRF value and transaction were verified. */
interface Step {
  form: Form;
  csrf: string;
  blob: string;
  transaction: Transaction;
  view: ClientView;
  context: PageContext;
}

/**
 * POST of the login or consent form, for either flow. `finish` ends the flow once the user
 * decided (or consent is skipped): it sends the redirect or the device's result page.
 */
export async function handleInteraction(
  deps: InteractionDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  form: Form,
  flow: Transaction['flow'],
  finish: Finish,
): Promise<FastifyReply> {
  const csrf = checkCsrf(request, form);
  if (!csrf) return sendForbidden(reply);
  const blob = form.tx ?? '';
  const transaction = deps.seal.openTransaction(blob, csrf);
  if (!transaction || transaction.flow !== flow) return sendExpired(reply);
  const view = await deps.service.clientView(transaction.clientId);
  if (!view) return sendExpired(reply);
  const step: Step = {
    form,
    csrf,
    blob,
    transaction,
    view,
    context: pageContext(deps, transaction, view, blob, csrf),
  };
  if (form.step === 'login') return loginStep(deps, request, reply, step, finish);
  if (form.step === 'consent') return consentStep(deps, reply, step, finish);
  return sendExpired(reply);
}

/** The password, through the wazo login's gate; then the consent page (or the end, skip_consent). */
async function loginStep(
  deps: InteractionDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  step: Step,
  finish: Finish,
): Promise<FastifyReply> {
  const { form, transaction, view, context } = step;
  const outcome = await deps.service.login(view.client, {
    username: form.username ?? '',
    password: form.password ?? '',
    remoteAddr: clientAddress(request),
    userAgent: String(request.headers['user-agent'] ?? ''),
  });
  if (outcome.kind === 'throttled') return sendThrottled(reply, outcome.retryAfter);
  const actions = formActionsOf(transaction);
  if (outcome.kind === 'failed') {
    const page = loginPage(context, {
      username: form.username ?? '',
      error: 'Invalid username or password.',
    });
    return sendPage(reply, 401, page, actions);
  }
  if (transaction.flow === 'code' && view.client.skipConsent)
    return finish(transaction, outcome.loggedIn, 'skipped');
  const login = deps.seal.sealLogin(step.blob, step.csrf, outcome.loggedIn);
  const scopes = await deps.service.scopeDescriptions(view.client, transaction.scope);
  const page = consentPage(context, { login, username: outcome.loggedIn.login, scopes });
  return sendPage(reply, 200, page, actions);
}

/** Allow or Deny, with the logged-in proof of this transaction and browser. */
async function consentStep(deps: InteractionDeps, reply: FastifyReply, step: Step, finish: Finish) {
  const { form } = step;
  const loggedIn = deps.seal.openLogin(form.login ?? null, step.blob, step.csrf);
  if (!loggedIn || !(await deps.service.stillEnabled(loggedIn))) return sendExpired(reply);
  if (form.decision !== 'allow' && form.decision !== 'deny') return sendExpired(reply);
  return finish(step.transaction, loggedIn, form.decision === 'allow' ? 'allowed' : 'denied');
}
