import {
  type ASTVisitor,
  type FieldNode,
  type GraphQLCompositeType,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { apiError } from './api-error.ts';

export interface OperationLimits {
  /** Deepest field nesting allowed, counting the root field as 1. */
  readonly maxDepth: number;
  /** Highest estimated cost: every field 1, times the size of each list it sits in. */
  readonly maxCost: number;
}

/** The size assumed for a list without a `first`/`limit` argument, or with one given by a variable. */
const LIST_SIZE = 10;
const VARIABLE_LIST_SIZE = 100;

/**
 * A validation rule refusing operations deeper than `maxDepth` (QUERY_TOO_DEEP) or estimated costlier than
 * `maxCost` (QUERY_TOO_COSTLY), fragments expanded; introspection (`__schema`, `__type`) is free, so GraphiQL works. A list field's children count once per expected element:
 * the `first` or `limit` of the field or of the connection holding it, else LIST_SIZE.
 */
export function operationLimitsRule(limits: OperationLimits) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const schema = context.getSchema();
      const root =
        operation.operation === 'query'
          ? schema.getQueryType()
          : operation.operation === 'mutation'
            ? schema.getMutationType()
            : schema.getSubscriptionType();
      if (!root) return;
      const walk = (
        set: SelectionSetNode,
        type: GraphQLCompositeType,
        depth: number,
        seen: Set<string>,
        pending?: number,
      ): { cost: number; depth: number } => {
        let cost = 0;
        let deepest = depth;
        for (const selection of set.selections) {
          let child: { cost: number; depth: number } | undefined;
          if (selection.kind === Kind.FIELD) {
            if (selection.name.value.startsWith('__')) continue;
            child = fieldCost(selection, type, depth + 1, seen, pending);
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            child = walk(selection.selectionSet, type, depth, seen, pending);
          } else if (!seen.has(selection.name.value)) {
            const fragment = context.getFragment(selection.name.value);
            if (fragment) {
              const next = new Set(seen).add(selection.name.value);
              const on = schema.getType(fragment.typeCondition.name.value);
              child = walk(fragment.selectionSet, isCompositeType(on) ? on : type, depth, next, pending);
            }
          }
          if (child) {
            cost += child.cost;
            deepest = Math.max(deepest, child.depth);
          }
        }
        return { cost, depth: deepest };
      };
      const fieldCost = (
        node: FieldNode,
        parent: GraphQLCompositeType,
        depth: number,
        seen: Set<string>,
        pending: number | undefined,
      ) => {
        const field = isObjectType(parent) ? parent.getFields()[node.name.value] : undefined;
        if (!field || !node.selectionSet) return { cost: 1, depth };
        const named = getNamedType(field.type);
        const requested = requestedSize(node);
        const isList = isListType(getNullableType(field.type));
        const size = isList ? (pending ?? requested ?? LIST_SIZE) : 1;
        const inner = isCompositeType(named)
          ? walk(node.selectionSet, named, depth, seen, isList ? undefined : requested)
          : { cost: 0, depth };
        return { cost: 1 + size * inner.cost, depth: inner.depth };
      };
      const total = walk(operation.selectionSet, root, 0, new Set());
      if (total.depth > limits.maxDepth) {
        context.reportError(
          apiError('QUERY_TOO_DEEP', `query depth ${total.depth} exceeds the limit ${limits.maxDepth}`),
        );
      } else if (total.cost > limits.maxCost) {
        context.reportError(
          apiError('QUERY_TOO_COSTLY', `query cost ${total.cost} exceeds the limit ${limits.maxCost}`),
        );
      }
    },
  });
}

/**
 * The page size a field asks for with `first` or `limit` (VARIABLE_LIST_SIZE when given by a variable), or
 * undefined. It sizes the field's own list, or the first list below it (a connection's `nodes`).
 */
function requestedSize(node: FieldNode): number | undefined {
  const arg = node.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'limit');
  if (!arg) return undefined;
  return arg.value.kind === Kind.INT ? Math.max(1, Number(arg.value.value)) : VARIABLE_LIST_SIZE;
}
