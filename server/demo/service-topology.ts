import { hexId, rng } from './random.ts';

// A deterministic microservice topology for the demo, the service-map tests and bench:servicemap:
// user requests through a gateway, browsing with a database, search with an external index, a
// checkout with a cache, a payment provider outside (an external peer) and failures, orders
// handed to a queue, and a call whose server side never arrives. Besides the spans, every trace
// reports the service-graph edges it made, as the generator knows them (`calls`): the ground
// truth the service map is checked against, written down here rather than derived from spans.

export type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal';

export interface TopologySpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** `service.name` of the span's resource. */
  service: string;
  name: string;
  kind: SpanKindName;
  startMs: number;
  endMs: number;
  error: boolean;
  attributes: Record<string, string | number>;
}

/** One service-graph edge the generator made, with Tempo's service-graphs semantics. */
export interface TopologyCall {
  client: string;
  server: string;
  /** `''` for a request between instrumented services (Tempo's empty connection type). */
  type: '' | 'database' | 'messaging_system' | 'virtual_node';
  failed: boolean;
}

export interface TopologyTrace {
  traceId: string;
  kind: 'browse' | 'search' | 'checkout' | 'login';
  spans: TopologySpan[];
  calls: TopologyCall[];
  /** Pairs of (parent service, child service) for every span whose parent has another service. */
  serviceHops: [string, string][];
}

export interface TopologyOptions {
  seed: number;
  traces: number;
  /** The traces start evenly spread over [startMs, endMs). */
  startMs: number;
  endMs: number;
}

export const TOPOLOGY_DEFAULTS = { seed: 7, traces: 2000 };

/** Attribute pair written on the gateway's server spans (strategy "attribute pair" in tests). */
export const GATEWAY_CLIENT_ATTR = 'app.client';
export const GATEWAY_ROUTE_ATTR = 'http.route';

export function* topologyTraces(options: TopologyOptions): Generator<TopologyTrace> {
  const r = rng(options.seed);
  const step = (options.endMs - options.startMs) / Math.max(1, options.traces);
  for (let i = 0; i < options.traces; i += 1) {
    const startMs = Math.floor(options.startMs + i * step + r() * step * 0.5);
    const roll = r();
    const kind: TopologyTrace['kind'] =
      roll < 0.4 ? 'browse' : roll < 0.65 ? 'search' : roll < 0.85 ? 'checkout' : 'login';
    yield new TraceBuilder(r, startMs, kind).build();
  }
}

class TraceBuilder {
  private readonly r: () => number;
  private readonly traceId: string;
  private readonly kind: TopologyTrace['kind'];
  private readonly startMs: number;
  private readonly spans: TopologySpan[] = [];
  private readonly calls: TopologyCall[] = [];

  constructor(r: () => number, startMs: number, kind: TopologyTrace['kind']) {
    this.r = r;
    this.traceId = hexId(r, 32);
    this.kind = kind;
    this.startMs = startMs;
  }

  build(): TopologyTrace {
    const t = this.startMs;
    const client = ['web', 'ios', 'android'][Math.floor(this.r() * 3)];
    switch (this.kind) {
      case 'browse': {
        const gw = this.root('api-gateway', 'GET /products', t, 60 + this.r() * 80, {
          [GATEWAY_CLIENT_ATTR]: client,
          [GATEWAY_ROUTE_ATTR]: '/products',
        });
        const cat = this.call(gw, 'catalog', 'GET /catalog', 5);
        this.database(cat, 'SELECT products', { 'db.system': 'postgresql', 'server.address': 'catalog-db' });
        this.call(gw, 'recommendations', 'GET /recommendations', 10);
        this.call(gw, 'auth', 'POST /token/verify', 2);
        break;
      }
      case 'search': {
        const gw = this.root('api-gateway', 'GET /search', t, 80 + this.r() * 120, {
          [GATEWAY_CLIENT_ATTR]: client,
          [GATEWAY_ROUTE_ATTR]: '/search',
        });
        const search = this.call(gw, 'search', 'GET /search', 5);
        this.database(search, 'search products', { 'db.system': 'elasticsearch', 'server.address': 'search-es' });
        if (this.r() < 0.1) {
          // A call whose server side never arrives (the recommendations service drops it), with no
          // peer attribute: no edge, in Tempo's service graph as here.
          this.lostCall(search, 'GET /related');
        } else {
          this.call(search, 'recommendations', 'GET /related', 5);
        }
        break;
      }
      case 'checkout': {
        const web = this.root('web-frontend', 'POST /checkout', t, 300 + this.r() * 400, {});
        const gw = this.call(web, 'api-gateway', 'POST /api/checkout', 5, false, {
          [GATEWAY_CLIENT_ATTR]: client,
          [GATEWAY_ROUTE_ATTR]: '/api/checkout',
        });
        const checkout = this.call(gw, 'checkout', 'POST /checkout', 5);
        const cart = this.call(checkout, 'cart', 'GET /cart', 5);
        this.database(cart, 'HGETALL', {
          'db.system': 'redis',
          'network.peer.address': '10.0.0.5',
          'network.peer.port': 6379,
        });
        const failed = this.r() < 0.08;
        const pay = this.call(checkout, 'payments', 'POST /charge', 10, failed);
        this.external(pay, 'stripe-api', 'POST /v1/charges', failed);
        if (!failed) {
          const orders = this.call(checkout, 'orders', 'POST /orders', 10);
          this.database(orders, 'INSERT orders', {
            'db.system': 'postgresql',
            'db.name': 'orders',
            'peer.service': 'orders-postgres',
          });
          this.message(orders, 'shipping', 'orders publish', 'orders process');
          this.message(orders, 'notifications', 'orders publish', 'orders notify');
        }
        break;
      }
      case 'login': {
        const gw = this.root('api-gateway', 'POST /login', t, 40 + this.r() * 60, {
          [GATEWAY_CLIENT_ATTR]: client,
          [GATEWAY_ROUTE_ATTR]: '/login',
        });
        const failed = this.r() < 0.05;
        const auth = this.call(gw, 'auth', 'POST /login', 2, failed);
        const users = this.call(auth, 'users', 'GET /users/{id}', 2);
        this.database(users, 'SELECT account', { 'db.system': 'mysql', 'db.name': 'accounts' });
        break;
      }
    }
    const byId = new Map(this.spans.map((s) => [s.spanId, s]));
    const serviceHops: [string, string][] = [];
    for (const s of this.spans) {
      const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      if (parent && parent.service !== s.service) {
        serviceHops.push([parent.service, s.service]);
      }
    }
    return { traceId: this.traceId, kind: this.kind, spans: this.spans, calls: this.calls, serviceHops };
  }

  private span(
    parent: TopologySpan | undefined,
    service: string,
    name: string,
    kind: SpanKindName,
    startMs: number,
    durationMs: number,
    error: boolean,
    attributes: Record<string, string | number> = {},
  ): TopologySpan {
    const s: TopologySpan = {
      traceId: this.traceId,
      spanId: hexId(this.r, 16),
      parentSpanId: parent?.spanId,
      service,
      name,
      kind,
      startMs,
      endMs: startMs + Math.max(1, Math.round(durationMs)),
      error,
      attributes,
    };
    this.spans.push(s);
    return s;
  }

  /** A root server span: the edge user → service. */
  private root(
    service: string,
    name: string,
    startMs: number,
    durationMs: number,
    attributes: Record<string, string | number>,
  ): TopologySpan {
    this.calls.push({ client: 'user', server: service, type: 'virtual_node', failed: false });
    return this.span(undefined, service, name, 'server', startMs, durationMs, false, attributes);
  }

  /** A window inside the parent for a child call. */
  private window(parent: TopologySpan, share: number): { startMs: number; durationMs: number } {
    const room = parent.endMs - parent.startMs;
    const startMs = parent.startMs + Math.floor(room * 0.05 + this.r() * room * 0.2);
    return { startMs, durationMs: Math.max(2, room * share * (0.5 + this.r() * 0.4)) };
  }

  /** client span in the caller, server span in `service`: one edge. */
  private call(
    parent: TopologySpan,
    service: string,
    name: string,
    networkMs: number,
    failed = false,
    serverAttributes: Record<string, string | number> = {},
  ): TopologySpan {
    const w = this.window(parent, 0.6);
    const clientSpan = this.span(parent, parent.service, name, 'client', w.startMs, w.durationMs, failed, {
      'server.address': service,
    });
    this.calls.push({ client: parent.service, server: service, type: '', failed });
    return this.span(
      clientSpan,
      service,
      name,
      'server',
      w.startMs + networkMs / 2,
      Math.max(1, w.durationMs - networkMs),
      failed,
      serverAttributes,
    );
  }

  /** A client span with db.* attributes: a database edge at once, no server span. */
  private database(parent: TopologySpan, name: string, attributes: Record<string, string | number>): void {
    const w = this.window(parent, 0.4);
    this.span(parent, parent.service, name, 'client', w.startMs, w.durationMs, false, attributes);
    const server =
      (attributes['peer.service'] as string | undefined) ??
      (attributes['server.address'] as string | undefined) ??
      (attributes['network.peer.address'] !== undefined
        ? `${String(attributes['network.peer.address'])}${attributes['network.peer.port'] !== undefined ? `:${String(attributes['network.peer.port'])}` : ''}`
        : undefined) ??
      String(attributes['db.name']);
    this.calls.push({ client: parent.service, server, type: 'database', failed: false });
  }

  /** A client span to a service outside (peer.service), whose server side Tempo never sees. */
  private external(parent: TopologySpan, peer: string, name: string, failed: boolean): void {
    const w = this.window(parent, 0.7);
    this.span(parent, parent.service, name, 'client', w.startMs, w.durationMs, failed, { 'peer.service': peer });
    this.calls.push({ client: parent.service, server: peer, type: 'virtual_node', failed });
  }

  /** A client span without a peer attribute whose server side never arrives: no edge at all. */
  private lostCall(parent: TopologySpan, name: string): void {
    const w = this.window(parent, 0.3);
    this.span(parent, parent.service, name, 'client', w.startMs, w.durationMs, true, {});
  }

  /** producer → consumer through a queue: a messaging edge. */
  private message(parent: TopologySpan, consumer: string, produceName: string, consumeName: string): void {
    const w = this.window(parent, 0.1);
    const producer = this.span(parent, parent.service, produceName, 'producer', w.startMs, w.durationMs, false, {
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders',
    });
    // The consumer runs after the request ends: its span may outlive its parent, as with real queues.
    this.span(
      producer,
      consumer,
      consumeName,
      'consumer',
      producer.endMs + 20 + this.r() * 200,
      30 + this.r() * 100,
      false,
      {
        'messaging.system': 'kafka',
      },
    );
    this.calls.push({ client: parent.service, server: consumer, type: 'messaging_system', failed: false });
  }
}
