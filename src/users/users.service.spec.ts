import { ConflictException, NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppConfig } from '../config/app-config.js';
import { loadConfig } from '../config/load-config.js';
import { EmailTakenError } from './email-taken.error.js';
import {
  type ExpectedVersions,
  type IdempotentCreate,
  type IdempotentRequest,
  type NewUser,
  type PageRequest,
  type Unchanged,
  type UserChanges,
  type UserPage,
  type UserRecord,
  UsersRepository,
} from './users.repository.js';
import { UsersService } from './users.service.js';

const record = (id: number, extra: object = {}): UserRecord => ({
  id,
  name: `User ${id}`,
  email: `user-${id}@example.com`,
  createdAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T11:30:00.250Z',
  version: String(100 + id),
  ...extra,
});

/** A record as the API shows it: no version in the body, the version as the ETag. */
const shown = (user: UserRecord) => {
  const { version, ...body } = user;
  return { body, etag: `"${version}"` };
};

const KEY: IdempotentRequest = { key: 'k-1', fingerprint: 'f' };

/** Stands in for the repository: each test sets what its methods do. */
class FakeUsersRepository {
  insert = vi.fn<(user: NewUser) => Promise<UserRecord>>();
  insertOnce =
    vi.fn<
      (
        user: NewUser,
        request: IdempotentRequest,
        ttlHours: number,
      ) => Promise<IdempotentCreate>
    >();
  findById = vi.fn<(id: number) => Promise<UserRecord | undefined>>();
  findPage = vi.fn<(request: PageRequest) => Promise<UserPage>>();
  updatePartial =
    vi.fn<
      (
        id: number,
        changes: UserChanges,
        expected?: ExpectedVersions,
      ) => Promise<UserRecord | Unchanged>
    >();
  deleteById =
    vi.fn<
      (
        id: number,
        expected?: ExpectedVersions,
      ) => Promise<'deleted' | Unchanged>
    >();
}

describe('UsersService', () => {
  let service: UsersService;
  let repository: FakeUsersRepository;

  beforeEach(async () => {
    const module = await Test.createTestingModule({
      providers: [
        UsersService,
        { provide: UsersRepository, useClass: FakeUsersRepository },
        {
          provide: AppConfig,
          useValue: loadConfig({ IDEMPOTENCY_TTL_HOURS: '36' }),
        },
      ],
    }).compile();
    service = module.get(UsersService);
    repository = module.get(UsersRepository);
  });

  /** The ETag the service gives a page of these users. */
  const tagOf = async (users: UserRecord[], hasMore: boolean) => {
    repository.findPage.mockResolvedValue({ users, hasMore });
    return (await service.list({ limit: 2, after: 0, email: undefined })).etag;
  };

  describe('create', () => {
    it('inserts the user and answers it in the response shape, with its ETag', async () => {
      repository.insert.mockResolvedValue(record(1));

      const created = await service.create({
        name: 'User 1',
        email: 'user-1@example.com',
      });

      expect(repository.insert).toHaveBeenCalledWith({
        name: 'User 1',
        email: 'user-1@example.com',
      });
      expect(created).toEqual({ ...shown(record(1)), replayed: false });
    });

    it('turns "email taken" into 409 Conflict', async () => {
      repository.insert.mockRejectedValue(new EmailTakenError());

      const attempt = service.create({ name: 'A', email: 'a@example.com' });

      await expect(attempt).rejects.toBeInstanceOf(ConflictException);
      await expect(attempt).rejects.toMatchObject({
        status: 409,
        message: 'email is already in use',
      });
    });

    it('lets any other failure through unchanged', async () => {
      const failure = new Error('Connection terminated');
      repository.insert.mockRejectedValue(failure);

      await expect(
        service.create({ name: 'A', email: 'a@example.com' }),
      ).rejects.toBe(failure);
    });

    it('creates once with an Idempotency-Key, for IDEMPOTENCY_TTL_HOURS', async () => {
      repository.insertOnce.mockResolvedValue({
        outcome: 'created',
        user: record(2),
      });

      const created = await service.create(
        { name: 'User 2', email: 'user-2@example.com' },
        KEY,
      );

      expect(repository.insertOnce).toHaveBeenCalledWith(
        { name: 'User 2', email: 'user-2@example.com' },
        KEY,
        36,
      );
      expect(repository.insert).not.toHaveBeenCalled();
      expect(created).toEqual({ ...shown(record(2)), replayed: false });
    });

    it('answers a replay as the remembered user, marked replayed', async () => {
      repository.insertOnce.mockResolvedValue({
        outcome: 'replayed',
        user: record(3),
      });

      expect(
        await service.create({ name: 'x', email: 'x@example.com' }, KEY),
      ).toEqual({ ...shown(record(3)), replayed: true });
    });

    it.each([
      [
        'mismatch',
        422,
        'Idempotency-Key was already used with a different body',
      ],
      [
        'in-progress',
        409,
        'a request with this Idempotency-Key is still being processed; retry later',
      ],
    ] as const)(
      'answers a key that is %s with %i',
      async (outcome, status, message) => {
        repository.insertOnce.mockResolvedValue({ outcome });

        await expect(
          service.create({ name: 'x', email: 'x@example.com' }, KEY),
        ).rejects.toMatchObject({ status, message });
      },
    );

    it('turns "email taken" under a key into the e-mail 409', async () => {
      repository.insertOnce.mockRejectedValue(new EmailTakenError());

      await expect(
        service.create({ name: 'x', email: 'x@example.com' }, KEY),
      ).rejects.toMatchObject({
        status: 409,
        message: 'email is already in use',
      });
    });
  });

  describe('findOne', () => {
    it('answers the user with its ETag', async () => {
      repository.findById.mockResolvedValue(record(7));
      expect(await service.findOne(7)).toEqual(shown(record(7)));
      expect(repository.findById).toHaveBeenCalledWith(7);
    });

    it('answers 404 naming the id when there is no such user', async () => {
      repository.findById.mockResolvedValue(undefined);

      const attempt = service.findOne(7);

      await expect(attempt).rejects.toBeInstanceOf(NotFoundException);
      await expect(attempt).rejects.toMatchObject({
        status: 404,
        message: 'user 7 not found',
      });
    });
  });

  describe('list', () => {
    it('asks for the page as given and answers it with its meta', async () => {
      repository.findPage.mockResolvedValue({
        users: [record(3), record(5)],
        hasMore: true,
      });

      const page = await service.list({ limit: 2, after: 1, email: undefined });

      expect(repository.findPage).toHaveBeenCalledWith({
        limit: 2,
        after: 1,
        email: undefined,
      });
      expect(page.body).toEqual({
        data: [shown(record(3)).body, shown(record(5)).body],
        meta: { limit: 2, nextAfter: 5 },
      });
      expect(page.etag).toMatch(/^W\/"[\w-]+"$/);
    });

    it('gives no nextAfter when there is no further page, even a full one', async () => {
      repository.findPage.mockResolvedValue({
        users: [record(3), record(5)],
        hasMore: false,
      });

      const page = await service.list({ limit: 2, after: 0, email: undefined });

      expect(page.body.meta).toEqual({ limit: 2, nextAfter: null });
    });

    it('answers an empty page', async () => {
      repository.findPage.mockResolvedValue({ users: [], hasMore: false });

      const page = await service.list({
        limit: 20,
        after: 99,
        email: 'x@example.com',
      });
      expect(page.body).toEqual({
        data: [],
        meta: { limit: 20, nextAfter: null },
      });
      expect(repository.findPage).toHaveBeenCalledWith({
        limit: 20,
        after: 99,
        email: 'x@example.com',
      });
    });

    it('tags a page by the versions on it and whether more follow', async () => {
      const same = await tagOf([record(3), record(5)], false);

      expect(await tagOf([record(3), record(5)], false)).toBe(same);
      expect(
        await tagOf([record(3), record(5, { version: '999' })], false),
      ).not.toBe(same);
      expect(await tagOf([record(3), record(6)], false)).not.toBe(same);
      expect(await tagOf([record(3)], false)).not.toBe(same);
      expect(await tagOf([record(3), record(5)], true)).not.toBe(same);
    });
  });

  describe('update', () => {
    it('changes the user and answers it with its new ETag', async () => {
      repository.updatePartial.mockResolvedValue(record(4, { name: 'New' }));

      const user = await service.update(4, { name: 'New' });

      expect(repository.updatePartial).toHaveBeenCalledWith(
        4,
        { name: 'New' },
        undefined,
      );
      expect(user).toEqual(shown(record(4, { name: 'New' })));
    });

    it('passes the versions If-Match allows to the write', async () => {
      repository.updatePartial.mockResolvedValue(record(4));

      await service.update(4, { name: 'New' }, ['104', '7']);

      expect(repository.updatePartial).toHaveBeenCalledWith(
        4,
        { name: 'New' },
        ['104', '7'],
      );
    });

    it('answers 404 when there is no such user', async () => {
      repository.updatePartial.mockResolvedValue('not-found');

      await expect(service.update(4, { name: 'New' })).rejects.toMatchObject({
        status: 404,
        message: 'user 4 not found',
      });
    });

    it('answers 412 when the version does not match', async () => {
      repository.updatePartial.mockResolvedValue('precondition-failed');

      await expect(
        service.update(4, { name: 'New' }, ['1']),
      ).rejects.toMatchObject({
        status: 412,
        message: 'If-Match does not match the current ETag of the user',
      });
    });

    it('turns "email taken" into 409 Conflict', async () => {
      repository.updatePartial.mockRejectedValue(new EmailTakenError());

      await expect(
        service.update(4, { email: 'taken@example.com' }),
      ).rejects.toBeInstanceOf(ConflictException);
    });
  });

  describe('remove', () => {
    it('deletes the user', async () => {
      repository.deleteById.mockResolvedValue('deleted');
      await expect(service.remove(9)).resolves.toBeUndefined();
      expect(repository.deleteById).toHaveBeenCalledWith(9, undefined);
    });

    it('answers 404 when there is no such user', async () => {
      repository.deleteById.mockResolvedValue('not-found');
      await expect(service.remove(9)).rejects.toMatchObject({
        status: 404,
        message: 'user 9 not found',
      });
    });

    it('answers 412 when the version does not match', async () => {
      repository.deleteById.mockResolvedValue('precondition-failed');
      await expect(service.remove(9, ['3'])).rejects.toMatchObject({
        status: 412,
      });
      expect(repository.deleteById).toHaveBeenCalledWith(9, ['3']);
    });
  });

  it('answers exactly the public fields, with ISO-8601 UTC timestamps', async () => {
    repository.findById.mockResolvedValue(
      record(2, { password: 'secret', created_at: 'raw', internal: true }),
    );

    const { body: user } = await service.findOne(2);

    expect(Object.keys(user).sort()).toEqual([
      'createdAt',
      'email',
      'id',
      'name',
      'updatedAt',
    ]);
    for (const timestamp of [user.createdAt, user.updatedAt]) {
      expect(timestamp).toMatch(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
      );
      expect(new Date(timestamp).toISOString()).toBe(timestamp);
    }
  });
});
