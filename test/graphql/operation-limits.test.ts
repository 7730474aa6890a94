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

  it('counts introspection like any field: its depth, and its lists at their mean length in this schema', () => {
    expect(errorsOf('{ __type(name: "Node") { ofType { ofType { name } } } }')).toEqual([]);
    expect(errorsOf('{ __type(name: "Node") { ofType { ofType { ofType { name } } } } }')).toEqual([
      'QUERY_TOO_DEEP',
    ]);
    expect(errorsOf('{ __schema { types { name } } }')).toEqual([]);
    expect(errorsOf('{ __schema { types { name fields { name args { name } } } } }', 5, 1000)).toEqual([]);
    const repeated = Array.from(
      { length: 20 },
      (_, i) => `a${i}: __schema { types { name fields { name } } }`,
    );
    expect(errorsOf(`{ ${repeated.join(' ')} }`, 5, 1000)).toEqual(['QUERY_TOO_COSTLY']);
  });

  it('counts the fields of inline fragments', () => {
    expect(errorsOf('{ node { ... on Node { children { id } } } }', 4, 12)).toEqual([]);
    expect(errorsOf('{ node { ... on Node { children { id child { id } } } } }', 4, 12)).toEqual([
      'QUERY_TOO_COSTLY',
    ]);
  });
});
