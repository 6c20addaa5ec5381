import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';
import { DataSource } from 'typeorm';
import { poolOf } from '../database/pool-of.js';

/**
 * Prometheus metrics, recorded from Fastify's onResponse hook so that every
 * response counts, including ones Fastify answers itself (413, 415, 404).
 * A registry per application, not prom-client's global one, so several
 * instances can live in one process (tests run two replicas side by side).
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly cacheHits: Counter.Internal;
  private readonly cacheMisses: Counter.Internal;
  private readonly series = new Map<
    string,
    {
      requests: Counter.Internal;
      duration: Histogram.Internal<'method' | 'route' | 'status'>;
    }
  >();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectDataSource() dataSource: DataSource,
  ) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
      ],
      registers,
    });
    const cacheLookups = new Counter({
      name: 'cache_lookups_total',
      help: 'Cacheable reads answered from Redis (hit) or PostgreSQL (miss).',
      labelNames: ['result'],
      registers,
    });
    this.cacheHits = cacheLookups.labels('hit');
    this.cacheMisses = cacheLookups.labels('miss');
    const pool = poolOf(dataSource);
    const poolConnections = new Gauge({
      name: 'db_pool_connections',
      help: 'PostgreSQL pool connections, by state.',
      labelNames: ['state'],
      registers: [],
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    this.registry.registerMetric(poolConnections);
    collectDefaultMetrics({ register: this.registry });
  }

  onModuleInit(): void {
    const fastify: FastifyInstance = this.adapterHost.httpAdapter.getInstance();
    fastify.addHook('onResponse', (request, reply, done) => {
      // Unmatched URLs share one label: a label per URL would be unbounded.
      const route = request.routeOptions.url ?? 'unmatched';
      const series = this.seriesFor(request.method, route, reply.statusCode);
      series.requests.inc();
      series.duration.observe(reply.elapsedTime / 1000);
      const cache = reply.getHeader('x-cache');
      if (cache === 'HIT') this.cacheHits.inc();
      else if (cache === 'MISS') this.cacheMisses.inc();
      done();
    });
  }

  /** prom-client hashes label objects on every call; this looks a set up once. */
  private seriesFor(method: string, route: string, status: number) {
    const key = `${method} ${route} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      const labels = [method, route, String(status)];
      series = {
        requests: this.requests.labels(...labels),
        duration: this.duration.labels(...labels),
      };
      this.series.set(key, series);
    }
    return series;
  }
}
