import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  /** Fields counted with list sizes: a field with `first: n` costs its subtree n times. */
  maxCost: number;
}

export const DEFAULT_LIMITS: OperationLimits = { maxDepth: 12, maxAliases: 20, maxCost: 20_000 };
/** Also bounds the parser's work before validation even starts. */
export const MAX_TOKENS = 3_000;
const DEFAULT_LIST_SIZE = 20;

function reject(context: ValidationContext, code: string, message: string): void {
  context.reportError(new GraphQLError(message, { extensions: { code } }));
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

    const measure = (set: SelectionSetNode, depth: number, seen: Set<string>): { depth: number; aliases: number; cost: number } => {
      let result = { depth, aliases: 0, cost: 0 };
      for (const selection of set.selections) {
        let inner: { depth: number; aliases: number; cost: number } | null = null;
        if (selection.kind === Kind.FIELD) {
          const alias = selection.alias ? 1 : 0;
          const child = selection.selectionSet ? measure(selection.selectionSet, depth + 1, seen) : { depth, aliases: 0, cost: 0 };
          const first = selection.arguments?.find((a) => a.name.value === 'first');
          const size = first?.value.kind === Kind.INT ? Number(first.value.value) : first ? DEFAULT_LIST_SIZE : 1;
          inner = { depth: child.depth, aliases: child.aliases + alias, cost: 1 + size * child.cost };
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          inner = measure(selection.selectionSet, depth, seen);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (fragment && !seen.has(name)) inner = measure(fragment.selectionSet, depth, new Set([...seen, name]));
        }
        if (inner) {
          result = { depth: Math.max(result.depth, inner.depth), aliases: result.aliases + inner.aliases, cost: result.cost + inner.cost };
        }
      }
      return result;
    };

    return {
      OperationDefinition(operation) {
        const { depth, aliases, cost } = measure(operation.selectionSet, 1, new Set());
        if (depth > limits.maxDepth) reject(context, 'LIMIT.DEPTH', `查询嵌套深度 ${depth} 超过上限 ${limits.maxDepth}`);
        if (aliases > limits.maxAliases) reject(context, 'LIMIT.ALIASES', `查询别名数 ${aliases} 超过上限 ${limits.maxAliases}`);
        if (cost > limits.maxCost) reject(context, 'LIMIT.COST', `查询代价 ${cost} 超过上限 ${limits.maxCost}`);
      },
    };
  };
}
