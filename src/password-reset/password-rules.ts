import { DomainError } from '../errors/domain-error.ts';

/**
 * The length rule every new password passes (decision D11, ASVS 6.2.1/6.2.9), checked before any
 * hashing so an over-long password costs nothing. Same rule and body as PUT /users/{u}/password.
 */
export function checkPasswordLength(
  password: string,
  rules: { minLength: number; maxLength: number },
  resource: string,
): void {
  const { minLength, maxLength } = rules;
  if (password.length >= minLength && password.length <= maxLength) return;
  throw new DomainError('invalid-data', {
    resource,
    details: {
      password: {
        constraint_id: 'length',
        constraint: { min: minLength, max: maxLength },
        message: `Length must be between ${minLength} and ${maxLength}.`,
      },
    },
  });
}
