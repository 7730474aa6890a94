import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { answerSizeLimitPlugin } from '../../src/graphql/answer-size-limit.ts';

const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'type Query { text(length: Int!): String! }',
    resolvers: { Query: { text: (_: unknown, args: { length: number }) => 'x'.repeat(args.length) } },
  }),
  plugins: [answerSizeLimitPlugin(1_000)],
  logging: false,
});

async function ask(length: number) {
  const res = await yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `{ text(length: ${length}) }` }),
  });
  return (await res.json()) as { data?: { text: string }; errors?: { extensions: { code: string } }[] };
}

describe('answer size bound', () => {
  it('answers within the bound as is, and replaces a larger answer by ANSWER_TOO_LARGE', async () => {
    expect((await ask(900)).data?.text).toHaveLength(900);
    const large = await ask(1_100);
    expect(large.data).toBeUndefined();
    expect(large.errors?.[0]?.extensions.code).toBe('ANSWER_TOO_LARGE');
  });
});
