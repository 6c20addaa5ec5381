import type { UserRecord } from '../../src/users/users.repository.js';
import { UsersRepository } from '../../src/users/users.repository.js';
import type { TestApp } from './test-app.js';

/**
 * Wraps the running app's repository (the real one, on the real database) to
 * count reads by id and, when asked, hold them after the row is read and
 * before the response goes on: the window in which a write can race a read.
 */
export class FindByIdSpy {
  calls = 0;
  private hold?: Promise<void>;
  private readonly reached: (() => void)[] = [];

  constructor(testApp: Pick<TestApp, 'app'>) {
    const repository = testApp.app.get(UsersRepository);
    const findById = repository.findById.bind(repository);
    repository.findById = async (
      id: number,
    ): Promise<UserRecord | undefined> => {
      this.calls += 1;
      const user = await findById(id);
      if (this.hold) {
        this.reached.splice(0).forEach((notify) => notify());
        await this.hold;
      }
      return user;
    };
  }

  /** Holds every read until `release` settles; resolves when one is held. */
  holdUntil(release: Promise<void>): Promise<void> {
    this.hold = release.finally(() => (this.hold = undefined));
    return new Promise((resolve) => this.reached.push(resolve));
  }
}
