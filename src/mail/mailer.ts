/** Someone an email is sent to or from. */
export interface MailAddress {
  name: string | null;
  address: string;
}

export interface MailMessage {
  to: MailAddress;
  from: MailAddress;
  subject: string;
  /** Plain text, as wazo-auth sends (MIMEText). */
  text: string;
}

/** How the server sends email; SMTP in production, anything that records messages in unit tests. */
export interface Mailer {
  /** Resolves once the server accepted the message; rejects when it did not. */
  send(message: MailMessage): Promise<void>;
}
