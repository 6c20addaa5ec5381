import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/**
 * What the figures depend on; the load average says how busy the machine
 * already was (other people's test suites skew everything).
 */
export function describeMachine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
    date: new Date().toISOString(),
  };
}
