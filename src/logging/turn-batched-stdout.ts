import pino from 'pino';

/** Where batches go: stdout (synchronous) unless a test supplies its own. */
export interface LineSink {
  write(chunk: string): unknown;
}

// PIPE_BUF on Linux: writes up to this size to a pipe are atomic, so lines of
// processes sharing stdout (CLUSTER_WORKERS, Docker's log pipe) never
// interleave within a line.
export const ATOMIC_WRITE_BYTES = 4096;

/**
 * Stdout, written once per turn of the event loop with the lines logged in
 * that turn (split so no write exceeds ATOMIC_WRITE_BYTES). A write per
 * line, even an asynchronous one, cost more than the line itself under load
 * (a request line each). Writes are synchronous, as Node's own stdout is for
 * files and pipes: a line is never held in memory while the reader is slow,
 * and what is pending is written on exit.
 */
export class TurnBatchedStdout {
  private pending = '';
  private pendingBytes = 0;
  private flushScheduled = false;

  constructor(
    private readonly sink: LineSink = pino.destination({ dest: 1, sync: true }),
  ) {
    process.once('exit', this.flush);
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.pendingBytes + bytes > ATOMIC_WRITE_BYTES) this.flush();
    this.pending += line;
    this.pendingBytes += bytes;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.endOfTurn);
    }
  }

  readonly flush = (): void => {
    if (this.pending === '') return;
    const lines = this.pending;
    this.pending = '';
    this.pendingBytes = 0;
    this.sink.write(lines);
  };

  private readonly endOfTurn = (): void => {
    this.flushScheduled = false;
    this.flush();
  };
}
