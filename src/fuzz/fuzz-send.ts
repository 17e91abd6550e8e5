import { connect } from 'node:net';
import { authHeaders, type ExpandedCase, type FuzzTargets } from './fuzz-case.ts';

/** A response as read off the socket, with how long it took and how the connection ended. */
export interface FuzzReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Number of HTTP responses seen on the connection (1 unless something was smuggled through). */
  responses: number;
  closed: boolean;
  timedOut: boolean;
  ms: number;
}

const TIMEOUT_MS = 10_000;

/**
 * Every fuzz request goes over its own raw TCP connection (Connection: close), so header values
 * fetch would refuse (CR, NUL, Latin-1), any method and exact framing reach the server as written.
 */
export function sendCase(
  origin: string,
  prefix: string,
  c: ExpandedCase,
  targets: FuzzTargets,
): Promise<FuzzReply> {
  return sendBytes(origin, c.raw !== undefined ? encode(c.raw) : buildRequest(prefix, c, targets));
}

function buildRequest(prefix: string, c: ExpandedCase, targets: FuzzTargets): Buffer {
  const body = c.bodyBytes ?? (c.body === undefined ? undefined : Buffer.from(c.body, 'utf8'));
  const headers: Record<string, string> = {
    Host: 'fuzz.local',
    ...authHeaders(c.auth, targets),
    ...c.headers,
  };
  const lines = [`${c.method} ${prefix}${c.path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close', '', '');
  const head = encode(lines.join('\r\n'));
  return body ? Buffer.concat([head, body]) : head;
}

/** Latin-1 when every character fits (header bytes as written), UTF-8 otherwise. */
function encode(text: string): Buffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range test is the point
  return Buffer.from(text, /^[\u0000-\u00ff]*$/.test(text) ? 'latin1' : 'utf8');
}

function sendBytes(origin: string, bytes: Buffer): Promise<FuzzReply> {
  const { hostname, port } = new URL(origin);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean, timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parse(Buffer.concat(chunks)), closed, timedOut, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false, true), TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish(true, false));
    socket.on('error', () => finish(true, false));
    socket.write(bytes, () => {});
  });
}

function parse(data: Buffer): Pick<FuzzReply, 'status' | 'headers' | 'body' | 'responses'> {
  const text = data.toString('utf8');
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? text : text.slice(0, headEnd);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = headEnd < 0 ? '' : text.slice(headEnd + 4);
  const length = Number(headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(length))
    body = data
      .subarray(Buffer.byteLength(text.slice(0, headEnd + 4)))
      .subarray(0, length)
      .toString('utf8');
  const responses = text.match(/(^|\r\n)HTTP\/1\.[01] \d{3} /g)?.length ?? 0;
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body, responses };
}
