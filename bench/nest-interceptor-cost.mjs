// What one NestJS interceptor costs per request, with nothing of the service
// around it: two routes of a bare Nest + Fastify app answer `{"status":"ok"}`,
// one through an interceptor that only calls `next.handle()`. Each is loaded
// twice, alternately, with `npm run bench`'s default connections, threads and
// warm-up.
// Usage: node bench/nest-interceptor-cost.mjs [seconds per run, default 5]
import 'reflect-metadata';
import { Controller, Get, Module, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { freePort } from './lib/free-port.mjs';
import { pickDriver } from './lib/load/driver.mjs';
import { fixedGet } from './lib/load/plans.mjs';
import { describeMachine } from './lib/machine.mjs';
import { parseOptions } from './lib/options.mjs';

class PassThroughInterceptor {
  intercept(_context, next) {
    return next.handle();
  }
}

/** A controller with one GET route at `path`, as `@Controller(path)` would declare it. */
function statusController(path, classDecorators = []) {
  class StatusController {
    status() {
      return { status: 'ok' };
    }
  }
  const { prototype } = StatusController;
  Get()(
    prototype,
    'status',
    Object.getOwnPropertyDescriptor(prototype, 'status'),
  );
  for (const decorate of classDecorators) decorate(StatusController);
  Controller(path)(StatusController);
  return StatusController;
}

class BareModule {}
Module({
  controllers: [
    statusController('plain'),
    statusController('intercepted', [UseInterceptors(PassThroughInterceptor)]),
  ],
})(BareModule);

const seconds = Number(process.argv[2] ?? 5);
const { connections, threads, warmup } = parseOptions([]);
const settings = { duration: seconds, connections, threads };
const before = describeMachine();
const app = await NestFactory.create(BareModule, new FastifyAdapter(), {
  logger: false,
});
const port = await freePort();
await app.listen(port, '127.0.0.1');
const url = `http://127.0.0.1:${port}`;
const driver = pickDriver(undefined);

const rps = { plain: [], intercepted: [] };
for (const route of warmup > 0 ? Object.keys(rps) : []) {
  await driver.run(url, fixedGet(`/${route}`), {
    ...settings,
    duration: warmup,
  });
}
for (let round = 0; round < 2; round++) {
  for (const route of Object.keys(rps)) {
    const result = await driver.run(url, fixedGet(`/${route}`), settings);
    if (result.socketErrors + result.non2xx > 0) {
      throw new Error(`/${route}: errors under load`);
    }
    rps[route].push(result.rps);
  }
}
await app.close();

const best = (values) => Math.max(...values);
const usPerRequest = (requestsPerSecond) => 1e6 / requestsPerSecond;
const after = describeMachine();
console.log(
  `${after.cpu}, ${after.cores} cores, Node ${after.node}; ` +
    `${driver.name} ${driver.version}, ${connections} connections, ` +
    `${driver.name === 'wrk' ? threads : 1} threads, ${warmup} s of warm-up per route, ` +
    `${seconds} s per run; load average ${before.loadAverage.join(' ')} before, ` +
    `${after.loadAverage.join(' ')} after`,
);
for (const [route, values] of Object.entries(rps)) {
  console.log(
    `GET /${route}: ${values.map((v) => Math.round(v)).join(', ')} req/s`,
  );
}
const extra =
  usPerRequest(best(rps.intercepted)) - usPerRequest(best(rps.plain));
console.log(
  `one pass-through interceptor: ${extra.toFixed(1)} µs more per request (best runs), ` +
    `${Math.round((100 * best(rps.intercepted)) / best(rps.plain))}% of the plain route's throughput`,
);
console.log(
  'µs per request is 1 / throughput: it equals CPU time per request only when ' +
    'the server process is saturated (one core at 100%); on a busy machine it ' +
    'also counts time spent waiting for a core.',
);
