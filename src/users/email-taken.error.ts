/** Another user already has this e-mail address (compared case-insensitively). */
export class EmailTakenError extends Error {
  constructor() {
    super('email is already in use');
    this.name = 'EmailTakenError';
  }
}
