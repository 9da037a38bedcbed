import {
  GraphQLError,
  Kind,
  type GraphQLNamedType,
  type GraphQLInputType,
  type GraphQLOutputType,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  /** Fields counted with list sizes: a field with `first: n` costs its subtree n times, any other list 10 times. */
  maxCost: number;
}

/**
 * The cost ceiling admits the deep nested query of the public federation benchmark
 * (about 110,000 by this count) and refuses list-in-list-in-list fan-outs beyond it.
 */
export const DEFAULT_LIMITS: OperationLimits = { maxDepth: 12, maxAliases: 20, maxCost: 250_000 };
/** Also bounds the parser's work before validation even starts. */
export const MAX_TOKENS = 3_000;
const DEFAULT_LIST_SIZE = 10;

/** Apollo Server files every validation error under GRAPHQL_VALIDATION_FAILED; `limit` keeps the specific code (see formatError). */
/*
 * The gateway's schema is built by @apollo/gateway's own (CommonJS) copy of
 * graphql-js, so graphql's instanceof-based predicates fail on it; the type
 * wrappers are read structurally instead.
 */
function namedType(type: GraphQLOutputType | GraphQLInputType): GraphQLNamedType {
  let current: unknown = type;
  while (current && typeof current === 'object' && 'ofType' in current) current = (current as { ofType: unknown }).ofType;
  return current as GraphQLNamedType;
}

function isList(type: GraphQLOutputType | GraphQLInputType): boolean {
  const nullable = type.constructor.name === "GraphQLNonNull" ? (type as { ofType: GraphQLOutputType }).ofType : type;
  return nullable.constructor.name === 'GraphQLList';
}

function reject(context: ValidationContext, code: string, message: string): void {
  context.reportError(new GraphQLError(message, { extensions: { limit: code } }));
}

/**
 * Depth, aliases and cost of an operation, computed over its fragments once,
 * so that one request cannot make the gateway fan out unbounded work to the
 * subgraphs and platforms behind it.
 */
export function operationLimitRule(limits: OperationLimits = DEFAULT_LIMITS): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }

    const schema = context.getSchema();
    type Measure = { depth: number; aliases: number; cost: number };

    const measure = (set: SelectionSetNode, parent: GraphQLNamedType | undefined, depth: number, seen: Set<string>): Measure => {
      let result: Measure = { depth, aliases: 0, cost: 0 };
      for (const selection of set.selections) {
        let inner: Measure | null = null;
        if (selection.kind === Kind.FIELD) {
          const field = parent && 'getFields' in parent ? parent.getFields()[selection.name.value] : undefined;
          const type = field ? namedType(field.type) : undefined;
          const child = selection.selectionSet ? measure(selection.selectionSet, type, depth + 1, seen) : { depth, aliases: 0, cost: 0 };
          const first = selection.arguments?.find((a) => a.name.value === 'first');
          const size =
            first?.value.kind === Kind.INT ? Number(first.value.value) : first || (field && isList(field.type)) ? DEFAULT_LIST_SIZE : 1;
          inner = { depth: child.depth, aliases: child.aliases + (selection.alias ? 1 : 0), cost: 1 + size * child.cost };
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
          inner = measure(selection.selectionSet, type ?? undefined, depth, seen);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (fragment && !seen.has(name)) {
            inner = measure(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined, depth, new Set([...seen, name]));
          }
        }
        if (inner) {
          result = { depth: Math.max(result.depth, inner.depth), aliases: result.aliases + inner.aliases, cost: result.cost + inner.cost };
        }
      }
      return result;
    };

    return {
      OperationDefinition(operation) {
        const root = schema.getRootType(operation.operation) ?? undefined;
        const { depth, aliases, cost } = measure(operation.selectionSet, root, 1, new Set());
        if (depth > limits.maxDepth) reject(context, 'LIMIT.DEPTH', `查询嵌套深度 ${depth} 超过上限 ${limits.maxDepth}`);
        if (aliases > limits.maxAliases) reject(context, 'LIMIT.ALIASES', `查询别名数 ${aliases} 超过上限 ${limits.maxAliases}`);
        if (cost > limits.maxCost) reject(context, 'LIMIT.COST', `查询代价 ${cost} 超过上限 ${limits.maxCost}`);
      },
    };
  };
}
