import { Type } from '@sinclair/typebox';
import { Secret } from './config-sections-core.ts';

/** Sections of the configuration about outside services: metrics, mail and the message bus. */

export const MetricsConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve Prometheus metrics at /metrics.' }),
    port: Type.Union([Type.Integer({ minimum: 1, maximum: 65_535 }), Type.Null()], {
      default: null,
      description:
        'When set, /metrics is served without authentication on this separate port (bound to metrics.host) ' +
        'and not on the main port; when null, it is on the main port and needs the auth.metrics.read ACL.',
    }),
    host: Type.String({
      minLength: 1,
      default: '127.0.0.1',
      description: 'Address of the separate metrics port.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const SmtpConfig = Type.Object(
  {
    host: Type.String({
      minLength: 1,
      default: 'localhost',
      description: 'SMTP server (wazo: smtp.hostname).',
    }),
    port: Type.Integer({ minimum: 1, maximum: 65_535, default: 25, description: 'SMTP port.' }),
    secure: Type.Boolean({
      default: false,
      description: 'Connect with TLS from the start (port 465); otherwise STARTTLS is used when offered.',
    }),
    username: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description: 'SMTP AUTH user; no authentication when null.',
    }),
    password: Secret('SMTP AUTH password.'),
    from_address: Type.String({
      minLength: 3,
      default: 'noreply@localhost',
      description: 'Sender address of the emails (wazo: *_from_address).',
    }),
    from_name: Type.String({ default: 'wazo-auth', description: 'Sender display name (wazo: *_from_name).' }),
    timeout_ms: Type.Integer({
      minimum: 100,
      default: 4000,
      description: 'Connection and socket timeout; a request waiting on mail fails after it (wazo: 4 s).',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const EmailConfirmationConfig = Type.Object(
  {
    expiration_seconds: Type.Integer({
      minimum: 1,
      default: 172_800,
      description:
        'Lifetime of the single-use confirmation link token (wazo: email_confirmation_expiration).',
    }),
    subject: Type.String({
      default: 'Confirm your email address',
      description: 'Subject template; {{ name }} placeholders as in body.',
    }),
    body: Type.String({
      default:
        "You've registered a new account on wazo-auth for {{ username }}\n\n" +
        'Click on the following link to confirm this email address:\n\n' +
        '{{ public_url }}/0.1/emails/{{ email_uuid }}/confirm?token={{ token }}\n',
      description:
        'Plain-text body template. Placeholders: {{ username }}, {{ email_address }}, {{ email_uuid }}, ' +
        '{{ user_uuid }}, {{ token }}, {{ public_url }}.',
    }),
    get_response_body: Type.String({
      default: 'Email address confirmed\n',
      description: 'Page returned by GET /0.1/emails/{uuid}/confirm once the address is confirmed.',
    }),
    get_mimetype: Type.String({
      minLength: 1,
      default: 'text/html',
      description: 'Content-Type of that page (wazo: email_confirmation_get_mimetype).',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const PasswordResetConfig = Type.Object(
  {
    expiration_seconds: Type.Integer({
      minimum: 1,
      default: 172_800,
      description: 'Lifetime of the single-use reset link token (wazo: password_reset_expiration).',
    }),
    subject: Type.String({ default: 'Reset your password', description: 'Subject template.' }),
    body: Type.String({
      default:
        'Hello {{ username }},\n\nIf you did not ask to reset your password, please ignore this email.\n\n' +
        'To reset your password, send the new one with this token:\n\n' +
        'POST {{ public_url }}/0.1/users/password/reset?user_uuid={{ user_uuid }}&token={{ token }}\n',
      description:
        'Plain-text body template. Placeholders: {{ username }}, {{ email_address }}, {{ user_uuid }}, ' +
        '{{ token }}, {{ public_url }}. Point it at the page of your web app that posts the new password.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const AmqpConfig = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Publish the wazo-bus events (§3.14) to RabbitMQ; when false they only reach the log.',
    }),
    uri: Type.String({
      pattern: '^amqps?://',
      default: 'amqp://guest:guest@127.0.0.1:5672/',
      description: 'Broker URI (amqp:// or amqps://); its password is never logged nor shown by GET /config.',
      secret: true,
    }),
    exchange_name: Type.String({
      minLength: 1,
      maxLength: 255,
      default: 'xivo',
      description: 'Exchange the events are published to (declared durable if missing).',
    }),
    exchange_type: Type.Union(
      ['topic', 'direct', 'fanout', 'headers'].map((t) => Type.Literal(t)),
      { default: 'topic', description: 'Type of the exchange (wazo: topic).' },
    ),
    buffer_limit: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 10_000,
      description:
        'Events kept in memory while the broker is unreachable; when full the oldest are dropped ' +
        '(counted in gatehouse_events_dropped_total).',
    }),
    connect_timeout_ms: Type.Integer({
      minimum: 100,
      default: 5000,
      description: 'Time allowed to open a broker connection.',
    }),
    reconnect_max_delay_ms: Type.Integer({
      minimum: 100,
      default: 30_000,
      description: 'Longest wait between reconnection attempts (the wait doubles from 250 ms up to it).',
    }),
    close_timeout_ms: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 2000,
      description: 'On shutdown, how long buffered events may take to reach the broker.',
    }),
  },
  { additionalProperties: false, default: {} },
);
