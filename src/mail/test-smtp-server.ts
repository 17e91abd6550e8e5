import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message as the test SMTP server received it. */
export interface ReceivedMail {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  from: string;
  subject: string;
  text: string;
  /** The To header as written, with the display name. */
  toHeader: string;
}

/**
 * Test-only: a real SMTP server on 127.0.0.1 (random port) that keeps every message it accepts,
 * parsed with mailparser. Recipients whose address contains `rejected` are refused with 550,
 * so failure paths go through real SMTP too.
 */
export interface TestSmtpServer {
  port: number;
  messages: ReceivedMail[];
  /** Messages sent to this address (case-insensitive). */
  to(address: string): ReceivedMail[];
  /** Waits until `count` messages went to the address, failing after `timeoutMs`. */
  waitFor(address: string, count?: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.includes('rejected')) {
        const error = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          messages.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            toHeader: headerText(parsed.to),
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const to = (address: string) =>
    messages.filter((m) => m.to.some((r) => r.toLowerCase() === address.toLowerCase()));
  return {
    port,
    messages,
    to,
    async waitFor(address, count = 1, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (to(address).length < count) {
        if (Date.now() > deadline) throw new Error(`no mail to ${address} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return to(address);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function headerText(value: unknown): string {
  if (Array.isArray(value)) return value.map(headerText).join(', ');
  if (value && typeof value === 'object' && 'text' in value) return String(value.text);
  return '';
}

/** The link token in a mail's text (the `token=` parameter of its link). */
export function tokenIn(mail: ReceivedMail): string {
  const match = /token=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(mail.text);
  if (!match?.[1]) throw new Error(`no token in mail: ${mail.text}`);
  return match[1];
}
