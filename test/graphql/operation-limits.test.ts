import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationLimitsRule } from '../../src/graphql/operation-limits.ts';

const schema = buildSchema(`
  type Query { node: Node, nodes(first: Int): Connection, list: [Node!]! }
  type Connection { nodes: [Node!]! }
  type Node { id: ID!, child: Node, children: [Node!]! }
`);

function errorsOf(query: string, maxDepth = 4, maxCost = 100) {
  return validate(schema, parse(query), [...specifiedRules, operationLimitsRule({ maxDepth, maxCost })]).map(
    (e) => e.extensions.code,
  );
}

describe('operation limits (validation rule)', () => {
  it('refuses an operation deeper than maxDepth, fragments included, with QUERY_TOO_DEEP', () => {
    expect(errorsOf('{ node { child { child { id } } } }')).toEqual([]);
    expect(errorsOf('{ node { child { child { child { id } } } } }')).toEqual(['QUERY_TOO_DEEP']);
    expect(
      errorsOf('{ node { ...deep } } fragment deep on Node { child { child { child { id } } } }'),
    ).toEqual(['QUERY_TOO_DEEP']);
  });

  it('multiplies list children by first/limit (a connection sizes its nodes) or 10, with QUERY_TOO_COSTLY', () => {
    expect(errorsOf('{ list { id } }')).toEqual([]);
    expect(errorsOf('{ list { children { id } } }')).toEqual(['QUERY_TOO_COSTLY']);
    expect(errorsOf('{ nodes(first: 5) { nodes { id child { id } } } }')).toEqual([]);
    expect(errorsOf('{ nodes(first: 50) { nodes { id child { id } } } }')).toEqual(['QUERY_TOO_COSTLY']);
    expect(errorsOf('query ($n: Int) { nodes(first: $n) { nodes { id } } }')).toEqual(['QUERY_TOO_COSTLY']);
  });

  it('lets introspection through (GraphiQL needs it)', () => {
    expect(
      errorsOf('{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }'),
    ).toEqual([]);
  });
});
