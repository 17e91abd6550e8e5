import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { catalogEntry, type ErrorCode } from '../errors/error-catalog.ts';

/**
 * Answers requests Node's HTTP parser refuses before Fastify sees them (security.md P4, FZ-SMUG,
 * FZ-HDR): both Content-Length and Transfer-Encoding, duplicate Content-Length, CR/LF or NUL in a
 * header, obsolete line folding, headers over http.max_header_bytes. The body takes wazo's api
 * error shape like every other error (U2) instead of Fastify's default, and the connection is
 * always closed, since the framing of anything after the bad request cannot be trusted.
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  answerAndClose(socket, CLIENT_ERROR_CODES[error.code ?? ''] ?? 'bad-request');
}

/**
 * CONNECT never reaches Fastify (Node emits 'connect' and drops the socket when nobody listens):
 * Gatehouse is no proxy, so it answers 405 like any other undeclared method (FZ-METH).
 */
export function refuseConnect(_request: IncomingMessage, socket: Duplex): void {
  answerAndClose(socket, 'method-not-allowed');
}

function answerAndClose(socket: Duplex, code: ErrorCode): void {
  const entry = catalogEntry(code);
  const body = JSON.stringify({
    message: entry.message,
    error_id: code,
    details: {},
    timestamp: Date.now() / 1000,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${entry.status} ${STATUS_CODES[entry.status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}

const CLIENT_ERROR_CODES: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: 'header-too-large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request-timeout',
};
