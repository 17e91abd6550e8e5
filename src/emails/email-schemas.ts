import { Type } from '@sinclair/typebox';
import { UuidString } from '../http/common-schemas.ts';

/** Wire shapes of wazo's user_email and email_confirm plugins (§2.4). */

const EMAIL_PATTERN = '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$';

export const EmailAddress = Type.String({ pattern: EMAIL_PATTERN, minLength: 3, maxLength: 254 });

const UserEmailItem = Type.Object(
  { address: EmailAddress, main: Type.Optional(Type.Boolean({ default: false })) },
  { additionalProperties: false },
);

const AdminEmailItem = Type.Object(
  {
    address: EmailAddress,
    main: Type.Optional(Type.Boolean({ default: false })),
    confirmed: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  },
  { additionalProperties: false },
);

export const UserEmailsBody = Type.Object(
  { emails: Type.Array(UserEmailItem, { maxItems: 100 }) },
  { additionalProperties: false },
);

export const AdminEmailsBody = Type.Object(
  { emails: Type.Array(AdminEmailItem, { maxItems: 100 }) },
  { additionalProperties: false },
);

export const EmailItem = Type.Object({
  uuid: Type.String(),
  address: Type.String(),
  main: Type.Boolean(),
  confirmed: Type.Boolean(),
});

export const EmailList = Type.Array(EmailItem);

export const UserEmailParams = Type.Object({ user_uuid: UuidString() });

export const UserEmailConfirmParams = Type.Object({ user_uuid: UuidString(), email_uuid: UuidString() });

export const EmailConfirmParams = Type.Object({ email_uuid: UuidString() });

export const TokenQuery = Type.Object({
  token: Type.Optional(Type.String({ description: 'The link token; wins over X-Auth-Token (wazo §1.2).' })),
});
