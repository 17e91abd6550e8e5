import nodemailer, { type Transporter } from 'nodemailer';
import type { Mailer, MailMessage } from './mailer.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  username: string | null;
  password: string | null;
  timeoutMs: number;
}

/**
 * Sends over SMTP with nodemailer, one connection per message (mail is rare here; no pool to
 * keep alive). Timeouts are short because a request waits on the send, as in wazo-auth (4 s).
 */
export class SmtpMailer implements Mailer {
  readonly #transport: Transporter;

  constructor(settings: SmtpSettings) {
    this.#transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      auth: settings.username ? { user: settings.username, pass: settings.password ?? '' } : undefined,
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs,
    });
  }

  async send(message: MailMessage): Promise<void> {
    await this.#transport.sendMail({
      from: toNodemailer(message.from),
      to: toNodemailer(message.to),
      subject: message.subject,
      text: message.text,
    });
  }
}

function toNodemailer(address: MailMessage['to']) {
  return address.name ? { name: address.name, address: address.address } : address.address;
}
