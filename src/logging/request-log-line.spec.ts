import { Writable } from 'node:stream';
import { createLogger } from './create-logger.js';
import { requestLogLine } from './request-log-line.js';

const entry = {
  reqId: '0b5f4c8e-7c39-4c83-9a43-3c9f2d9c2c11',
  method: 'GET',
  clientIp: '203.0.113.7',
  route: '/users/:id',
  status: 200,
  ms: 1.25,
};

describe('requestLogLine', () => {
  it('is one JSON line with the request fields', () => {
    const line = requestLogLine(entry, Date.parse('2026-11-24T10:00:00.123Z'));

    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual({
      level: 'info',
      time: '2026-11-24T10:00:00.123Z',
      service: 'users-api',
      ...entry,
      msg: 'request completed',
    });
  });

  it('writes each line with its own time, to the millisecond', () => {
    const times = [0, 0, 1, 1000].map(
      (ms) =>
        JSON.parse(requestLogLine(entry, Date.UTC(2026, 10, 24) + ms)).time,
    );
    expect(times).toEqual([
      '2026-11-24T00:00:00.000Z',
      '2026-11-24T00:00:00.000Z',
      '2026-11-24T00:00:00.001Z',
      '2026-11-24T00:00:01.000Z',
    ]);
  });

  it('escapes the route and the client address, and writes null for an unknown route', () => {
    const odd = JSON.parse(
      requestLogLine({ ...entry, route: '/a"b\\c\n', clientIp: 'x"\\\n' }),
    );
    expect(odd.route).toBe('/a"b\\c\n');
    expect(odd.clientIp).toBe('x"\\\n');
    expect(
      JSON.parse(requestLogLine({ ...entry, route: null })).route,
    ).toBeNull();
  });

  it('writes null for a client address that could not be read, keeping the line JSON', () => {
    const line = requestLogLine({ ...entry, clientIp: undefined });
    expect(JSON.parse(line).clientIp).toBeNull();
  });

  it('is the line the service logger writes for the same entry', () => {
    const written: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
    createLogger('info', sink).info(entry, 'request completed');

    const fromPino = JSON.parse(written[0]) as Record<string, unknown>;
    const ours = JSON.parse(requestLogLine(entry)) as Record<string, unknown>;
    expect(ours).toEqual({ ...fromPino, time: ours.time });
    expect(Object.keys(ours)).toEqual(Object.keys(fromPino));
  });
});
