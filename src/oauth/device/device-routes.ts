import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../errors/domain-error.ts';
import { clientAddress } from '../../http/client-address.ts';
import { PAGE_ROUTE, PREFLIGHT_ROUTE, refusePreflight } from '../authorize/authorize-routes.ts';
import {
  checkCsrf,
  ensureCsrf,
  type Form,
  handleInteraction,
  type InteractionDeps,
  readForm,
  sendLoginPage,
} from '../authorize/interaction.ts';
import { sendExpired, sendForbidden, sendThrottled } from '../authorize/page-errors.ts';
import { deviceCodePage, deviceDonePage } from '../authorize/pages/device-pages.ts';
import { sendPage } from '../authorize/pages/layout.ts';
import type { DeviceTransaction } from '../authorize/transaction.ts';
import { formatUserCode, normalizeUserCode } from '../codes/user-code.ts';

export interface DeviceRoutesOptions {
  interaction: InteractionDeps;
}

const WRONG_CODE = 'That code is not valid or has expired. Check the code on your device.';

/**
 * The user side of the device flow (RFC 8628 §3.3): GET /oauth2/device asks for the user code
 * (prefilled from `verification_uri_complete`'s `user_code`, still to be confirmed by the user,
 * §5.4); the POSTs then run the login and consent pages. Consent is always asked here, even for
 * clients that skip it in the code flow: the request started on another device (§5.4 remote phishing).
 */
export const deviceRoutes: FastifyPluginAsync<DeviceRoutesOptions> = async (app, options) => {
  const { interaction } = options;
  const action = interaction.actions.device;

  app.get('/oauth2/device', PAGE_ROUTE, async (request, reply) => {
    const csrf = ensureCsrf(interaction, request, reply);
    const given = (request.query as Record<string, unknown>).user_code;
    const typed = typeof given === 'string' ? given.slice(0, 32) : '';
    const normalized = normalizeUserCode(typed);
    const userCode = normalized ? formatUserCode(normalized) : typed;
    return sendPage(reply, 200, deviceCodePage({ action, csrf, userCode }));
  });

  app.post('/oauth2/device', PAGE_ROUTE, async (request, reply) => {
    const form = readForm(request.body);
    if (form.step === 'code') return enterCode(interaction, request, reply, form);
    return handleInteraction(
      interaction,
      request,
      reply,
      form,
      'device',
      async (transaction, loggedIn, decision) => {
        const approved = decision !== 'denied';
        const recorded = await interaction.service.finishDevice(
          transaction as DeviceTransaction,
          loggedIn,
          approved ? 'allowed' : 'denied',
          clientAddress(request),
        );
        if (!recorded) {
          const csrf = form.csrf ?? '';
          return sendPage(reply, 400, deviceCodePage({ action, csrf, error: WRONG_CODE }));
        }
        return sendPage(reply, 200, deviceDonePage(approved));
      },
    );
  });

  app.options('/oauth2/device', PREFLIGHT_ROUTE, async (_request, reply) => refusePreflight(reply));
};

async function enterCode(
  interaction: InteractionDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  form: Form,
): Promise<FastifyReply> {
  const csrf = checkCsrf(request, form);
  if (!csrf) return sendForbidden(reply);
  const action = interaction.actions.device;
  let transaction: DeviceTransaction | null;
  try {
    transaction = await interaction.service.findPendingDevice(
      normalizeUserCode(form.user_code ?? ''),
      clientAddress(request),
    );
  } catch (error) {
    if (error instanceof DomainError && error.code === 'too-many-failed-logins') {
      return sendThrottled(reply, error.options.headers?.['retry-after'] ?? '60');
    }
    throw error;
  }
  if (!transaction) {
    const typed = (form.user_code ?? '').slice(0, 32);
    return sendPage(reply, 400, deviceCodePage({ action, csrf, userCode: typed, error: WRONG_CODE }));
  }
  const view = await interaction.service.clientView(transaction.clientId);
  if (!view) return sendExpired(reply);
  return sendLoginPage(interaction, reply, transaction, view, csrf);
}
