import { EMAIL_TAKEN } from '../common/error-messages.js';

/** Another user already has this e-mail address (compared case-insensitively). */
export class EmailTakenError extends Error {
  constructor() {
    super(EMAIL_TAKEN);
    this.name = 'EmailTakenError';
  }
}
