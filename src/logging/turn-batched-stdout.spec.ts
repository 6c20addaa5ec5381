import { setImmediate as endOfTurn } from 'node:timers/promises';
import {
  ATOMIC_WRITE_BYTES,
  TurnBatchedStdout,
} from './turn-batched-stdout.js';

function recordingOutput() {
  const writes: string[] = [];
  return {
    writes,
    out: new TurnBatchedStdout({ write: (c) => writes.push(c) }),
  };
}

const line = (n: number, text = 'x'.repeat(90)) => `{"n":${n},"t":"${text}"}\n`;

describe('TurnBatchedStdout', () => {
  it('writes the lines of one turn together, in order, once the turn ends', async () => {
    const { writes, out } = recordingOutput();
    out.write(line(1));
    out.write(line(2));
    expect(writes).toEqual([]);

    await endOfTurn();
    expect(writes).toEqual([line(1) + line(2)]);

    out.write(line(3));
    await endOfTurn();
    expect(writes).toEqual([line(1) + line(2), line(3)]);
  });

  it('never writes more than a pipe writes atomically, and splits only between lines', async () => {
    const { writes, out } = recordingOutput();
    // Multi-byte text: the limit is in bytes, not characters.
    const lines = Array.from({ length: 200 }, (_, n) =>
      line(n, 'é'.repeat(45)),
    );
    for (const each of lines) out.write(each);
    await endOfTurn();

    expect(writes.length).toBeGreaterThan(1);
    for (const write of writes) {
      expect(Buffer.byteLength(write)).toBeLessThanOrEqual(ATOMIC_WRITE_BYTES);
      expect(write.endsWith('\n')).toBe(true);
    }
    expect(writes.join('')).toBe(lines.join(''));
  });

  it('writes nothing for a turn without lines', async () => {
    const { writes, out } = recordingOutput();
    out.flush();
    await endOfTurn();
    expect(writes).toEqual([]);
  });
});
