import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Schema } from '@apollo/federation-internals';
import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_QUERY } from '../../bench/dashboard/dashboard.query.js';
import { cachedOperationFromDocument, installOperationCache } from '../../gateway/operation.cache.js';

// The gateway's own copy, as gateway/operation.cache.ts loads it.
const gatewayRequire = createRequire(createRequire(import.meta.url).resolve('@apollo/gateway'));
const internals = gatewayRequire('@apollo/federation-internals') as typeof import('@apollo/federation-internals');
const supergraph = readFileSync('supergraph.graphql', 'utf8');
const apiSchema: Schema = internals.Supergraph.build(supergraph).apiSchema();

const WITH_FRAGMENT = /* GraphQL */ `
  query Page($first: Int) { cases(first: $first) { edges { node { ...Row } } } }
  fragment Row on Case { businessNo stage }
`;

/** What executeQueryPlan passes: a fresh document around the request's operation node and fragments. */
function executorDocument(parsed: DocumentNode): DocumentNode {
  const operation = parsed.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)!;
  return { kind: Kind.DOCUMENT, definitions: [operation, ...parsed.definitions.filter((definition) => definition !== operation)] };
}

describe('the operation cache under the query plan executor', () => {
  it('builds the Operation of a parsed document once, and as Apollo builds it', () => {
    const parsed = parse(DASHBOARD_QUERY);
    const first = cachedOperationFromDocument(apiSchema, executorDocument(parsed), { validate: false });
    const again = cachedOperationFromDocument(apiSchema, executorDocument(parsed), { validate: false });
    expect(again === first).toBe(true);
    expect(first.toString()).toBe(internals.operationFromDocument(apiSchema, executorDocument(parsed), { validate: false }).toString());
  });

  it('builds again for another parse of the same text, other fragments, another schema or another kind of call', () => {
    const parsed = parse(WITH_FRAGMENT);
    const cached = cachedOperationFromDocument(apiSchema, executorDocument(parsed), { validate: false });
    expect(cachedOperationFromDocument(apiSchema, executorDocument(parse(WITH_FRAGMENT)), { validate: false }) === cached).toBe(false);

    const otherFragment = parse(WITH_FRAGMENT.replace('businessNo stage', 'businessNo'));
    const mixed: DocumentNode = { kind: Kind.DOCUMENT, definitions: [parsed.definitions[0]!, otherFragment.definitions[1]!] };
    const rebuilt = cachedOperationFromDocument(apiSchema, mixed, { validate: false });
    expect(rebuilt === cached).toBe(false);
    expect(rebuilt.toString()).not.toContain('stage');

    const otherSchema = internals.Supergraph.build(supergraph).apiSchema();
    expect(cachedOperationFromDocument(otherSchema, executorDocument(parsed), { validate: false }) === cachedOperationFromDocument(apiSchema, executorDocument(parsed), { validate: false })).toBe(false);

    const planned = cachedOperationFromDocument(apiSchema, parsed, { operationName: 'Page' });
    expect(cachedOperationFromDocument(apiSchema, parsed, { operationName: 'Page' }) === planned).toBe(false);
  });

  it('still refuses what Apollo refuses', () => {
    const broken = parse('query { cases { edges { node { ...Missing } } } }');
    expect(() => cachedOperationFromDocument(apiSchema, executorDocument(broken), { validate: false })).toThrow(/Missing/);
  });

  it('is what the gateway’s executor calls once installed', () => {
    installOperationCache();
    expect(internals.operationFromDocument === cachedOperationFromDocument).toBe(true);
  });
});
