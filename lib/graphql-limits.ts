import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  parse,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { MAX_PAGE_SIZE } from './paging.js';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Objects an operation may ask for, counted with list sizes (see operationCost). */
  maxCost: number;
  /** Root fields of one mutation request: each is a write, and each spends the caller's budget. */
  maxMutationFields: number;
}

/**
 * The cost ceiling admits the deep nested query of the public federation benchmark
 * (about 110,000 by this count) and refuses list-in-list-in-list fan-outs beyond it.
 */
export const DEFAULT_LIMITS: OperationLimits = { maxDepth: 12, maxAliases: 20, maxDirectives: 30, maxCost: 250_000, maxMutationFields: 5 };
/** Also bounds the parser's work before validation even starts. */
export const MAX_TOKENS = 3_000;
/** A list field with no `@listSize` in the supergraph. */
const DEFAULT_LIST_SIZE = 10;

/** Apollo Server files every validation error under GRAPHQL_VALIDATION_FAILED; `limit` keeps the specific code (see formatError). */
function limitError(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { limit: code } });
}

/**
 * Depth, aliases and directives of a document, by graphql-armor's rules, which
 * visit each fragment once. They look at the document alone, so Apollo runs them
 * once per distinct document and caches the outcome. Introspection's `__schema`
 * nests `ofType` deeper than any data query needs, so armor leaves it out of the
 * depth; its cost and aliases are counted like any other field's.
 */
export function documentLimitRules(limits: Pick<OperationLimits, 'maxDepth' | 'maxAliases' | 'maxDirectives'> = DEFAULT_LIMITS): ValidationRule[] {
  const report = (code: string, message: (found: string) => string) => [
    (context: ValidationContext | null, error: GraphQLError) => context?.reportError(limitError(code, message(/found (\d+)/.exec(error.message)?.[1] ?? '?'))),
  ];
  const common = { propagateOnRejection: false, exposeLimits: true } as const;
  // Depth counts fields: a fragment spread is a way of writing a selection, not a level of the answer.
  return [
    maxDepthRule({ ...common, flattenFragments: true, n: limits.maxDepth, onReject: report('LIMIT.DEPTH', (n) => `查询嵌套深度 ${n} 超过上限 ${limits.maxDepth}`) }),
    maxAliasesRule({ ...common, n: limits.maxAliases, onReject: report('LIMIT.ALIASES', (n) => `查询别名数 ${n} 超过上限 ${limits.maxAliases}`) }),
    maxDirectivesRule({ ...common, n: limits.maxDirectives, onReject: report('LIMIT.DIRECTIVES', (n) => `查询指令数 ${n} 超过上限 ${limits.maxDirectives}`) }),
  ] as unknown as ValidationRule[];
}

interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
}

/** `Type.field` → its `@listSize` (the cost spec composed into the supergraph). */
export type ListSizes = ReadonlyMap<string, ListSize>;

export function listSizesOf(supergraphSdl: string): ListSizes {
  const sizes = new Map<string, ListSize>();
  for (const definition of parse(supergraphSdl, { noLocation: true }).definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    for (const field of definition.fields ?? []) {
      const directive = field.directives?.find((d) => d.name.value === 'listSize');
      if (!directive) continue;
      const size: ListSize = {};
      for (const argument of directive.arguments ?? []) {
        const { value } = argument;
        if (argument.name.value === 'assumedSize' && value.kind === Kind.INT) size.assumedSize = Number(value.value);
        if ((argument.name.value === 'slicingArguments' || argument.name.value === 'sizedFields') && value.kind === Kind.LIST) {
          size[argument.name.value] = value.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : []));
        }
      }
      sizes.set(`${definition.name.value}.${field.name.value}`, size);
    }
  }
  return sizes;
}

export interface OperationMeasure {
  /** Fields the answer can hold, each list counted at its largest page or assumed size: at least the objects returned. */
  cost: number;
  /** Root fields of a mutation that will run (after @skip/@include). */
  mutationFields: number;
}

export class PageSizeError extends GraphQLError {
  constructor(size: number) {
    super(`first must be between 1 and ${MAX_PAGE_SIZE}, got ${size}`, { extensions: { code: 'INPUT.INVALID_PAGE_SIZE', http: { status: 400 } } });
  }
}

type Variables = Record<string, unknown> | undefined;

/*
 * The gateway's schema is built by @apollo/gateway's own (CommonJS) copy of
 * graphql-js, so graphql's instanceof-based predicates fail on it; the type
 * wrappers are read structurally instead.
 */
function namedType(type: GraphQLOutputType): GraphQLNamedType {
  let current: unknown = type;
  while (current && typeof current === 'object' && 'ofType' in current) current = (current as { ofType: unknown }).ofType;
  return current as GraphQLNamedType;
}

function isList(type: GraphQLOutputType): boolean {
  const nullable = type.constructor.name === 'GraphQLNonNull' ? (type as { ofType: GraphQLOutputType }).ofType : type;
  return nullable.constructor.name === 'GraphQLList';
}

/**
 * What one operation, with these variables, can make the gateway fetch. Each
 * fragment is measured once, so the work is linear in the document whatever its
 * spreads. Page sizes are read from the variables (a `first: $n` counts as the
 * `n` sent, or the largest page when none is), and a selection that
 * `@skip`/`@include` turns off costs nothing.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Variables,
  listSizes: ListSizes,
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const defaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) defaults.set(definition.variable.name.value, definition.defaultValue);
  }
  const valueOf = (node: ValueNode): unknown => {
    if (node.kind === Kind.VARIABLE) {
      const name = node.name.value;
      if (variables && variables[name] !== undefined) return variables[name];
      const fallback = defaults.get(name);
      return fallback ? valueOf(fallback) : undefined;
    }
    if (node.kind === Kind.INT) return Number(node.value);
    if (node.kind === Kind.BOOLEAN) return node.value;
    if (node.kind === Kind.NULL) return null;
    return undefined;
  };
  const included = (directives: readonly DirectiveNode[] | undefined): boolean => {
    for (const directive of directives ?? []) {
      const condition = directive.arguments?.find((a) => a.name.value === 'if');
      if (!condition) continue;
      const value = valueOf(condition.value);
      if (directive.name.value === 'skip' && value === true) return false;
      if (directive.name.value === 'include' && value === false) return false;
    }
    return true;
  };
  const pageSize = (given: unknown, declaredDefault: unknown): number => {
    const size = given ?? declaredDefault ?? MAX_PAGE_SIZE;
    // Not an integer at all: argument coercion refuses it; until then it counts as the largest page.
    if (typeof size !== 'number' || !Number.isInteger(size)) return MAX_PAGE_SIZE;
    if (size < 1 || size > MAX_PAGE_SIZE) throw new PageSizeError(size);
    return size;
  };

  const fragmentCosts = new Map<string, number>();
  const costOf = (set: SelectionSetNode, parent: GraphQLNamedType | undefined, sized?: { fields: string[]; size: number }): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (!included(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) {
        const field = parent && 'getFields' in parent ? (parent.getFields()[selection.name.value] as GraphQLField<unknown, unknown> | undefined) : undefined;
        const listSize = parent ? listSizes.get(`${parent.name}.${selection.name.value}`) : undefined;
        const slicing = listSize?.slicingArguments ?? (field?.args.some((a) => a.name === 'first') ? ['first'] : []);
        let size = 1;
        const argument = slicing.length ? selection.arguments?.find((a) => slicing.includes(a.name.value)) : undefined;
        if (sized?.fields.includes(selection.name.value)) {
          size = sized.size;
        } else if (slicing.length) {
          const declared = field?.args.find((a) => slicing.includes(a.name))?.defaultValue;
          size = pageSize(argument ? valueOf(argument.value) : undefined, declared);
        } else if (field && isList(field.type)) {
          size = listSize?.assumedSize ?? DEFAULT_LIST_SIZE;
        }
        const childSizing = listSize?.sizedFields?.length ? { fields: listSize.sizedFields, size } : undefined;
        const child = selection.selectionSet ? costOf(selection.selectionSet, field ? namedType(field.type) : undefined, childSizing) : 0;
        // A connection's size multiplies its sized fields (edges), not the connection object itself.
        cost += childSizing ? 1 + child : 1 + size * child;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) ?? undefined) : parent;
        cost += costOf(selection.selectionSet, type, sized);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment) continue;
        const key = sized ? `${name}\0${sized.fields.join(',')}\0${sized.size}` : name;
        let fragmentCost = fragmentCosts.get(key);
        if (fragmentCost === undefined) {
          // Validation has refused cycles already; the mark keeps a cycle from recursing if it ever got here.
          fragmentCosts.set(key, 0);
          fragmentCost = costOf(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined, sized);
          fragmentCosts.set(key, fragmentCost);
        }
        cost += fragmentCost;
      }
    }
    return cost;
  };

  const root = schema.getRootType(operation.operation) ?? undefined;
  const cost = costOf(operation.selectionSet, root);
  let mutationFields = 0;
  if (operation.operation === 'mutation') {
    // Fields sharing a response key execute once, so the writes are the distinct keys at the root.
    const fragmentKeys = new Map<string, Set<string>>();
    const rootKeys = (set: SelectionSetNode): Set<string> => {
      const keys = new Set<string>();
      for (const selection of set.selections) {
        if (!included(selection.directives)) continue;
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value !== '__typename') keys.add(selection.alias?.value ?? selection.name.value);
          continue;
        }
        let inner: Set<string> | undefined;
        if (selection.kind === Kind.INLINE_FRAGMENT) inner = rootKeys(selection.selectionSet);
        else {
          const name = selection.name.value;
          inner = fragmentKeys.get(name);
          const fragment = fragments.get(name);
          if (!inner && fragment) {
            fragmentKeys.set(name, new Set());
            inner = rootKeys(fragment.selectionSet);
            fragmentKeys.set(name, inner);
          }
        }
        for (const key of inner ?? []) keys.add(key);
      }
      return keys;
    };
    mutationFields = rootKeys(operation.selectionSet).size;
  }
  return { cost, mutationFields };
}

/** The refusal of an operation over its cost or mutation limits, as the caller sees it. */
export function checkMeasure(measure: OperationMeasure, limits: OperationLimits = DEFAULT_LIMITS): void {
  if (measure.cost > limits.maxCost) {
    throw new GraphQLError(`查询代价 ${measure.cost} 超过上限 ${limits.maxCost}`, { extensions: { code: 'LIMIT.COST', http: { status: 400 } } });
  }
  if (measure.mutationFields > limits.maxMutationFields) {
    throw new GraphQLError(`一次请求至多 ${limits.maxMutationFields} 个变更，收到 ${measure.mutationFields} 个`, {
      extensions: { code: 'LIMIT.MUTATIONS', http: { status: 400 } },
    });
  }
}
