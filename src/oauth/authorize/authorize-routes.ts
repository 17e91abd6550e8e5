import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { clientAddress } from '../../http/client-address.ts';
import { type AuthorizeRequestDeps, type QueryInput, validateAuthorizeRequest } from './authorize-request.ts';
import {
  ensureCsrf,
  handleInteraction,
  type InteractionDeps,
  readForm,
  sendLoginPage,
} from './interaction.ts';
import { handlePageError, sendExpired } from './page-errors.ts';
import { errorPage } from './pages/error-page.ts';
import { sendPage } from './pages/layout.ts';
import { withResponseParameters } from './redirect-uri.ts';
import type { CodeTransaction } from './transaction.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false`: @fastify/cors adds nothing to this route's answers. */
    cors?: false;
  }
}

export interface AuthorizeRoutesOptions {
  interaction: InteractionDeps;
  validation: AuthorizeRequestDeps;
  /** The issuer identifier, for `iss` on error redirects (RFC 9207). */
  issuer: () => string;
}

/**
 * RFC 9700 §2.6: the authorization endpoint offers no CORS. Its pages are navigated to, never
 * fetched; a preflight gets 405 without any Access-Control-* header.
 */
export const NO_CORS = { cors: false } as const;

/**
 * The options of every HTML route: no CORS, errors as pages, and out of the OpenAPI document of
 * wazo's /0.1 API (these are pages for people; docs/oauth.md describes them).
 */
export const PAGE_ROUTE = { config: NO_CORS, errorHandler: handlePageError, schema: { hide: true } };
export const PREFLIGHT_ROUTE = { config: NO_CORS, schema: { hide: true } };

/**
 * GET /oauth2/authorize (RFC 6749 §4.1.1 with OAuth 2.1's rules) shows the login page of a valid
 * request; POST /oauth2/authorize receives the login and consent forms (issue #6 §4, §5).
 * Parameters are checked by hand rather than by a schema: which check fails decides whether the
 * error is a page or a redirect to the client.
 */
export const authorizeRoutes: FastifyPluginAsync<AuthorizeRoutesOptions> = async (app, options) => {
  const { interaction, validation, issuer } = options;

  app.get('/oauth2/authorize', PAGE_ROUTE, async (request, reply) => {
    const result = await validateAuthorizeRequest(validation, request.query as QueryInput);
    if (result.kind === 'page-error') {
      return sendPage(reply, 400, errorPage('This sign-in request is not valid', result.message));
    }
    if (result.kind === 'redirect-error') {
      const location = withResponseParameters(result.redirectUri, {
        error: result.error,
        error_description: result.description,
        state: result.state,
        iss: issuer(),
      });
      return reply.redirect(location, 303);
    }
    const view = await interaction.service.clientView(result.client.clientId);
    if (!view) return sendExpired(reply);
    const csrf = ensureCsrf(interaction, request, reply);
    return sendLoginPage(interaction, reply, result.transaction, view, csrf);
  });

  app.post('/oauth2/authorize', PAGE_ROUTE, async (request, reply) =>
    handleInteraction(
      interaction,
      request,
      reply,
      readForm(request.body),
      'code',
      async (transaction, loggedIn, decision) => {
        const location = await interaction.service.finishCode(
          transaction as CodeTransaction,
          loggedIn,
          decision,
          clientAddress(request),
        );
        // 303, never 307: the browser must not re-post the password to the client (RFC 9700 §4.12).
        return reply.redirect(location, 303);
      },
    ),
  );

  app.options('/oauth2/authorize', PREFLIGHT_ROUTE, async (_request, reply) => refusePreflight(reply));
};

export function refusePreflight(reply: FastifyReply): FastifyReply {
  return reply.code(405).header('allow', 'GET, POST').send();
}
