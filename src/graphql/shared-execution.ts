import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  print,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Executes a subscription event once per distinct operation: subscribers whose operation (document, operation
 * name, variables) is the same share the result built for an event object, so 1,000 identical subscriptions
 * cost one execution per event instead of 1,000. A result depends only on the operation and the event (the
 * subscription resolvers read nothing per subscriber), which is what makes sharing it correct. Events are the
 * bus's payload objects, delivered as the same object to every listener of one process; a result lives as long
 * as its event object does.
 */
export function sharedExecutionPlugin(): Plugin {
  const printed = new WeakMap<DocumentNode, string>();
  const results = new WeakMap<object, Map<string, Result>>();
  const operationKey = (args: ExecutionArgs) => {
    let text = printed.get(args.document);
    if (text === undefined) {
      text = print(args.document);
      printed.set(args.document, text);
    }
    return `${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}\u0000${text}`;
  };
  const resultFor = (args: ExecutionArgs, key: string, event: unknown): Result => {
    const run = () => execute({ ...args, rootValue: event });
    if (typeof event !== 'object' || event === null) return run();
    let byOperation = results.get(event);
    if (!byOperation) {
      byOperation = new Map();
      results.set(event, byOperation);
    }
    let result = byOperation.get(key);
    if (result === undefined) {
      result = run();
      byOperation.set(key, result);
    }
    return result;
  };
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args) => {
        const stream = await createSourceEventStream(args as ExecutionArgs);
        if (!(Symbol.asyncIterator in stream)) return stream;
        const key = operationKey(args as ExecutionArgs);
        return mapEvents(stream, (event) => resultFor(args as ExecutionArgs, key, event));
      });
    },
  };
}

/**
 * Each item of `source` mapped through `map`. Returning or throwing reaches `source` at once, even while a `next`
 * is pending: a subscriber that leaves releases its bus listener without waiting for another event.
 */
function mapEvents<T, U>(
  source: AsyncIterable<T>,
  map: (item: T) => U | Promise<U>,
): AsyncIterableIterator<U> {
  const iterator = source[Symbol.asyncIterator]();
  return {
    next: async () => {
      const step = await iterator.next();
      return step.done ? step : { done: false, value: await map(step.value) };
    },
    return: async (value?: unknown) => {
      await iterator.return?.(value);
      return { done: true, value: value as U };
    },
    throw: async (error?: unknown) => {
      if (iterator.throw) await iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
