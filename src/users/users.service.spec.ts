import { ConflictException, NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EmailTakenError } from './email-taken.error.js';
import {
  type NewUser,
  type PageRequest,
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
  ...extra,
});

/** Stands in for the repository: each test sets what its methods do. */
class FakeUsersRepository {
  insert = vi.fn<(user: NewUser) => Promise<UserRecord>>();
  findById = vi.fn<(id: number) => Promise<UserRecord | undefined>>();
  findPage = vi.fn<(request: PageRequest) => Promise<UserPage>>();
  updatePartial =
    vi.fn<
      (id: number, changes: UserChanges) => Promise<UserRecord | undefined>
    >();
  deleteById = vi.fn<(id: number) => Promise<boolean>>();
}

describe('UsersService', () => {
  let service: UsersService;
  let repository: FakeUsersRepository;

  beforeEach(async () => {
    const module = await Test.createTestingModule({
      providers: [
        UsersService,
        { provide: UsersRepository, useClass: FakeUsersRepository },
      ],
    }).compile();
    service = module.get(UsersService);
    repository = module.get(UsersRepository);
  });

  describe('create', () => {
    it('inserts the user and answers it in the response shape', async () => {
      repository.insert.mockResolvedValue(record(1));

      const user = await service.create({
        name: 'User 1',
        email: 'user-1@example.com',
      });

      expect(repository.insert).toHaveBeenCalledWith({
        name: 'User 1',
        email: 'user-1@example.com',
      });
      expect(user).toEqual(record(1));
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
  });

  describe('findOne', () => {
    it('answers the user', async () => {
      repository.findById.mockResolvedValue(record(7));
      expect(await service.findOne(7)).toEqual(record(7));
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
      expect(page).toEqual({
        data: [record(3), record(5)],
        meta: { limit: 2, nextAfter: 5 },
      });
    });

    it('gives no nextAfter when there is no further page, even a full one', async () => {
      repository.findPage.mockResolvedValue({
        users: [record(3), record(5)],
        hasMore: false,
      });

      const page = await service.list({ limit: 2, after: 0, email: undefined });

      expect(page.meta).toEqual({ limit: 2, nextAfter: null });
    });

    it('answers an empty page', async () => {
      repository.findPage.mockResolvedValue({ users: [], hasMore: false });

      expect(
        await service.list({ limit: 20, after: 99, email: 'x@example.com' }),
      ).toEqual({ data: [], meta: { limit: 20, nextAfter: null } });
      expect(repository.findPage).toHaveBeenCalledWith({
        limit: 20,
        after: 99,
        email: 'x@example.com',
      });
    });
  });

  describe('update', () => {
    it('changes the user and answers it', async () => {
      repository.updatePartial.mockResolvedValue(record(4, { name: 'New' }));

      const user = await service.update(4, { name: 'New' });

      expect(repository.updatePartial).toHaveBeenCalledWith(4, { name: 'New' });
      expect(user).toEqual(record(4, { name: 'New' }));
    });

    it('answers 404 when there is no such user', async () => {
      repository.updatePartial.mockResolvedValue(undefined);

      await expect(service.update(4, { name: 'New' })).rejects.toMatchObject({
        status: 404,
        message: 'user 4 not found',
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
      repository.deleteById.mockResolvedValue(true);
      await expect(service.remove(9)).resolves.toBeUndefined();
      expect(repository.deleteById).toHaveBeenCalledWith(9);
    });

    it('answers 404 when there is no such user', async () => {
      repository.deleteById.mockResolvedValue(false);
      await expect(service.remove(9)).rejects.toMatchObject({
        status: 404,
        message: 'user 9 not found',
      });
    });
  });

  it('answers exactly the public fields, with ISO-8601 UTC timestamps', async () => {
    repository.findById.mockResolvedValue(
      record(2, { password: 'secret', created_at: 'raw', internal: true }),
    );

    const user = await service.findOne(2);

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
