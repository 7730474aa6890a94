import { describe, expect, it } from 'vitest';
import { startHealthMetricsServer } from '../../../src/services/http/health-metrics.ts';
import { Metrics } from '../../../src/services/http/metrics.ts';

describe('Prometheus metrics and health', () => {
  it('renders counters with escaped labels, cumulative histogram buckets and scrape-time gauges', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const requests = metrics.counter('x_requests_total', 'Requests');
    requests.inc({ api: 'rest', path: 'a"b' });
    requests.inc({ path: 'a"b', api: 'rest' }, 2);
    const latency = metrics.histogram('x_latency_seconds', 'Latency', [0.1, 1]);
    latency.observe(0.05);
    latency.observe(0.5);
    latency.observe(3);
    let open = 7;
    metrics.gauge('x_open', 'Open', () => [{ labels: { stage: 'QC_FORMED' }, value: open }]);
    open = 8;
    expect(await metrics.render()).toBe(
      [
        '# HELP x_requests_total Requests',
        '# TYPE x_requests_total counter',
        'x_requests_total{api="rest",path="a\\"b"} 3',
        '# HELP x_latency_seconds Latency',
        '# TYPE x_latency_seconds histogram',
        'x_latency_seconds_bucket{le="0.1"} 1',
        'x_latency_seconds_bucket{le="1"} 2',
        'x_latency_seconds_bucket{le="+Inf"} 3',
        'x_latency_seconds_sum 3.55',
        'x_latency_seconds_count 3',
        '# HELP x_open Open',
        '# TYPE x_open gauge',
        'x_open{stage="QC_FORMED"} 8',
        '',
      ].join('\n'),
    );
    expect(() => metrics.counter('x_open', 'again')).toThrow(/exists/);
  });

  it('appends the default process metrics (CPU, resident memory, heap, event-loop lag) unless told not to', async () => {
    const text = await new Metrics().render();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ])
      expect(text).toContain(`# TYPE ${name} `);
    expect(await new Metrics({ processMetrics: false }).render()).toBe('');
  });

  it('serves /metrics and /healthz (503 when unhealthy), 405 for another method on them, 404 for anything else', async () => {
    const metrics = new Metrics();
    metrics.counter('x_total', 'X').inc();
    let ok = true;
    const server = await startHealthMetricsServer('127.0.0.1:0', {
      metrics,
      health: () => ({ ok, head: '5' }),
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('x_total 1');
      const healthy = await fetch(`${base}/healthz`);
      expect([healthy.status, await healthy.json()]).toEqual([200, { ok: true, head: '5' }]);
      ok = false;
      expect((await fetch(`${base}/healthz`)).status).toBe(503);
      const post = await fetch(`${base}/healthz`, { method: 'POST' });
      expect([
        post.status,
        post.headers.get('allow'),
        ((await post.json()) as { error: { code: string } }).error.code,
      ]).toEqual([405, 'GET, HEAD', 'METHOD_NOT_ALLOWED']);
      expect((await fetch(`${base}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
