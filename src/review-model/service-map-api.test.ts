import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exploreTraceQL, serviceMapTraceQL, type ServiceMapQuery } from './service-map-api.ts';

const q = (extra: Partial<ServiceMapQuery>): ServiceMapQuery => ({
  from: 0,
  to: 1,
  strategy: 'serviceGraph',
  ...extra,
});

describe('service map TraceQL', () => {
  it('appends the select() each strategy needs to the filter (or its default)', () => {
    assert.equal(
      serviceMapTraceQL(q({})),
      '{ span:kind = client || span:kind = server || span:kind = producer || span:kind = consumer } | select(span:parentID, span:kind, span:status, resource.service.name, .db.system, .db.name, .peer.service, .server.address, .network.peer.address, .network.peer.port)',
    );
    assert.equal(
      serviceMapTraceQL(q({ strategy: 'parentChild', tag: 'team', filter: '{ resource.service.namespace = "x" }' })),
      '{ resource.service.namespace = "x" } | select(span:parentID, span:status, resource.service.name, .team)',
    );
    assert.equal(
      serviceMapTraceQL(q({ strategy: 'attributePair' })),
      '{ .gerrit.owner != nil && .gerrit.reviewer != nil } | select(span:status, resource.service.name, .gerrit.owner, .gerrit.reviewer)',
    );
  });

  it('asks Explore for exactly one node or edge, with values quoted', () => {
    assert.equal(
      exploreTraceQL(q({ strategy: 'attributePair' }), { source: 'olga', target: 'a"b' }),
      '{ (.gerrit.owner != nil && .gerrit.reviewer != nil) && .gerrit.owner = "olga" && .gerrit.reviewer = "a\\"b" }',
    );
    assert.equal(
      exploreTraceQL(q({}), { source: 'gw', target: 'users', type: '' }),
      '{ resource.service.name = "gw" } > { resource.service.name = "users" }',
    );
    assert.equal(
      exploreTraceQL(q({}), { source: 'user', target: 'gw', type: 'virtual_node' }),
      '{ resource.service.name = "gw" && nestedSetParent = -1 }',
    );
    assert.match(
      exploreTraceQL(q({}), { source: 'cart', target: '10.0.0.5:6379', type: 'database' }),
      /resource.service.name = "cart" && \(span:kind = client \|\| span:kind = producer\) && \(.peer.service = "10.0.0.5"/,
    );
    assert.equal(exploreTraceQL(q({ strategy: 'parentChild' }), { node: 'gw' }), '{ resource.service.name = "gw" }');
    assert.equal(
      exploreTraceQL(q({ strategy: 'parentChild', filter: '{ a = 1 } >> { b = "}" }' }), { node: 'gw' }),
      '{ a = 1 } >> { b = "}" } && { resource.service.name = "gw" }',
      'a structural filter is kept whole',
    );
  });
});
