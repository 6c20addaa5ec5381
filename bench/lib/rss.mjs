import { readdirSync, readFileSync } from 'node:fs';

const MB = 1024 * 1024;

/**
 * Samples the resident memory of a process and of its children (cluster
 * workers) while load runs.
 */
export class RssSampler {
  #pid;
  #timer;
  #peakProcessBytes = 0;
  #peakTotalBytes = 0;

  constructor(pid) {
    this.#pid = pid;
  }

  start(intervalMs = 100) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  /** @returns {{ processMb: number, totalMb: number }} the peaks seen */
  stop() {
    clearInterval(this.#timer);
    this.#sample();
    return {
      processMb: this.#peakProcessBytes / MB,
      totalMb: this.#peakTotalBytes / MB,
    };
  }

  #sample() {
    const { processBytes, totalBytes } = rssBytes(this.#pid);
    this.#peakProcessBytes = Math.max(this.#peakProcessBytes, processBytes);
    this.#peakTotalBytes = Math.max(this.#peakTotalBytes, totalBytes);
  }
}

/**
 * The resident memory of a process and its children now, in MB: the largest
 * process, and all of them (what a container's memory limit counts).
 * @returns {{ processMb: number, totalMb: number }}
 */
export function rssMb(pid) {
  const { processBytes, totalBytes } = rssBytes(pid);
  return { processMb: processBytes / MB, totalMb: totalBytes / MB };
}

function rssBytes(pid) {
  const sizes = processTree(pid).map((each) => statusBytes(each, 'VmRSS'));
  return {
    processBytes: Math.max(...sizes),
    totalBytes: sizes.reduce((sum, size) => sum + size, 0),
  };
}

/** The largest VmHWM (the kernel's own peak RSS) in the process tree, in MB. */
export function highWaterMarkMb(pid) {
  return (
    Math.max(...processTree(pid).map((each) => statusBytes(each, 'VmHWM'))) / MB
  );
}

/**
 * CPU time (user and system) used so far by a process and its children, in
 * seconds: over a load, divided by its requests, what each one cost. The
 * root's count includes its children that exited and were reaped (a
 * PostgreSQL backend that closed, a cluster worker that died), so the total
 * never goes down.
 */
export function cpuSeconds(pid) {
  const [root, ...children] = processTree(pid);
  return children.reduce(
    (sum, each) => sum + cpuFields(each).own,
    cpuFields(root).own + cpuFields(root).reapedChildren,
  );
}

/** utime + stime, and cutime + cstime, of one process, in seconds. */
function cpuFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields 14 to 17, the 12th to 15th after the parenthesised command
    // name, which may hold spaces.
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .slice(11, 15)
      .map((ticks) => Number(ticks) / CLOCK_TICKS);
    return { own: fields[0] + fields[1], reapedChildren: fields[2] + fields[3] };
  } catch {
    // The process has just exited.
    return { own: 0, reapedChildren: 0 };
  }
}

/**
 * A process on this machine that runs `program` (its /proc comm), given its
 * pid or the pid of one of its children; undefined when it runs elsewhere.
 */
export function localProcess(pid, program, { parent = false } = {}) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (!comm.includes(program)) return undefined;
    return parent
      ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      : pid;
  } catch {
    return undefined;
  }
}

// USER_HZ: what /proc/<pid>/stat counts in, 100 on every Linux.
const CLOCK_TICKS = 100;

function processTree(pid) {
  let children = [];
  try {
    // Children are listed per thread, and worker threads may spawn too.
    children = readdirSync(`/proc/${pid}/task`).flatMap((thread) =>
      readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    // The process has just exited.
  }
  return [pid, ...children.flatMap(processTree)];
}

function statusBytes(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}
