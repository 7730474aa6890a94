import {
  type ASTVisitor,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  isUnionType,
  Kind,
  SchemaMetaFieldDef,
  type SelectionSetNode,
  TypeMetaFieldDef,
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
 * A validation rule, run before execution, refusing operations deeper than `maxDepth` (QUERY_TOO_DEEP) or
 * estimated costlier than `maxCost` (QUERY_TOO_COSTLY), fragments expanded and every field counted, introspection
 * (`__schema`, `__type`, `__typename`) included: a list field's children count once per expected element, the
 * `first` or `limit` of the field or of the connection holding it, else LIST_SIZE; an introspection list counts
 * its longest instance in this schema (e.g. `types` the number of types), so a query repeating introspection
 * costs what it would answer.
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
      const introspection = introspectionListSizes(schema);
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
            child = fieldCost(selection, type, depth + 1, seen, pending);
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            const on = selection.typeCondition && schema.getType(selection.typeCondition.name.value);
            child = walk(selection.selectionSet, isCompositeType(on) ? on : type, depth, seen, pending);
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
        const field = fieldDefinition(schema, parent, node.name.value);
        if (!field || !node.selectionSet) return { cost: 1, depth };
        const named = getNamedType(field.type);
        const requested = requestedSize(node);
        const isList = isListType(getNullableType(field.type));
        const listed = introspection.get(`${parent.name}.${field.name}`);
        const size = isList ? (listed ?? pending ?? requested ?? LIST_SIZE) : 1;
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

/** A field of `parent` by name, the introspection fields `__schema` and `__type` of the query root included. */
function fieldDefinition(
  schema: GraphQLSchema,
  parent: GraphQLCompositeType,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (parent === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

const listSizesBySchema = new WeakMap<GraphQLSchema, ReadonlyMap<string, number>>();

/** The longest instance in `schema` of each introspection list (`__Type.fields`: the most fields of a type). */
function introspectionListSizes(schema: GraphQLSchema): ReadonlyMap<string, number> {
  const known = listSizesBySchema.get(schema);
  if (known) return known;
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  const mean = (counts: number[]) =>
    Math.max(1, Math.ceil(counts.reduce((a, b) => a + b, 0) / counts.length));
  const fieldsOf = (t: (typeof types)[number]) =>
    isObjectType(t) || isInterfaceType(t) ? Object.values(t.getFields()) : [];
  const args = mean([
    ...types.flatMap((t) => fieldsOf(t).map((f) => f.args.length)),
    ...directives.map((d) => d.args.length),
  ]);
  const sizes = new Map<string, number>([
    ['__Schema.types', types.length],
    ['__Schema.directives', directives.length],
    ['__Type.fields', mean(types.map((t) => fieldsOf(t).length))],
    ['__Type.interfaces', mean(types.map((t) => (isObjectType(t) ? t.getInterfaces().length : 0)))],
    ['__Type.possibleTypes', mean(types.map((t) => (isUnionType(t) ? t.getTypes().length : 0)))],
    ['__Type.enumValues', mean(types.map((t) => (isEnumType(t) ? t.getValues().length : 0)))],
    [
      '__Type.inputFields',
      mean(types.map((t) => (isInputObjectType(t) ? Object.keys(t.getFields()).length : 0))),
    ],
    ['__Field.args', args],
    ['__Directive.args', args],
  ]);
  listSizesBySchema.set(schema, sizes);
  return sizes;
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
