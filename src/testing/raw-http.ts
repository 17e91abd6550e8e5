import { connect } from 'node:net';

/** What came back on a raw socket: the first response's status and headers, the body text, and how the socket ended. */
export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection (FIN or reset) before `timeoutMs`. */
  closed: boolean;
  raw: string;
}

/**
 * Sends bytes exactly as given on a fresh TCP connection and reads until the server closes it or
 * `timeoutMs` passes: for requests fetch cannot express (two Content-Length headers, CR/LF in a
 * header, bare LF, smuggling framing, methods such as TRACE) — security.md FZ-SMUG, FZ-HDR, FZ-METH.
 */
export function sendRaw(origin: string, request: string | Buffer, timeoutMs = 2000): Promise<RawReply> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseReply(Buffer.concat(chunks).toString('latin1'), closed));
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(request);
  });
}

function parseReply(raw: string, closed: boolean): RawReply {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? raw : raw.slice(0, headEnd);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? Number.NaN);
  const rest = headEnd < 0 ? '' : raw.slice(headEnd + 4);
  const body = Number.isFinite(length) ? rest.slice(0, length) : rest;
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body, closed, raw };
}
