import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Operation, Schema } from '@apollo/federation-internals';
import fc from 'fast-check';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_QUERY } from '../../bench/dashboard/dashboard.query.js';
import { computeResponse, type ComputeResponse } from '../../gateway/result-shaping.js';

// The gateway's own copies, as gateway/result-shaping.ts loads them.
const gatewayRequire = createRequire(createRequire(import.meta.url).resolve('@apollo/gateway'));
const internals = gatewayRequire('@apollo/federation-internals') as typeof import('@apollo/federation-internals');
const SHAPING = gatewayRequire.resolve('@apollo/gateway/dist/resultShaping');

/** Apollo's computeResponse from a fresh load of its module, whatever a gateway started in this process put in the cached one. */
function apolloComputeResponse(): ComputeResponse {
  const cached = gatewayRequire.cache[SHAPING];
  delete gatewayRequire.cache[SHAPING];
  try {
    return (gatewayRequire(SHAPING) as { computeResponse: ComputeResponse }).computeResponse;
  } finally {
    gatewayRequire.cache[SHAPING] = cached;
  }
}

const apollo = apolloComputeResponse();
const apiSchema: Schema = internals.Supergraph.build(readFileSync('supergraph.graphql', 'utf8')).apiSchema();
const operationOf = (query: string): Operation => internals.operationFromDocument(apiSchema, parse(query), { validate: false });

/** A query exercising aliases (Object.prototype's names among them), fragments on an interface and its implementations, @skip/@include and __typename. */
const DIRECTIVES_QUERY = /* GraphQL */ `
  query Directives($withClock: Boolean!, $noShipments: Boolean = false) {
    cases(first: 50) {
      totalCount
      edges {
        node {
          no: businessNo
          kind: __typename
          __proto__: stage
          constructor: clock { toString: status }
          stage
          item {
            ... on ChongqingServiceItem { code name }
            ... on SichuanServiceItem { code department }
            ...ItemFields
          }
          clock @include(if: $withClock) { status paused limitDays }
          shipments @skip(if: $noShipments) { waybillNo state }
        }
      }
    }
  }
  fragment ItemFields on ServiceItem { t: __typename name }
`;

/** Subgraph answers as merged by the gateway, and every kind of wrong value a subgraph could send. */
const leaf = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 8, arbitrary: valid }, fc.constant(null), fc.constant(undefined), fc.constant(42), fc.constant('NOT_A_VALUE'), fc.constant(true));
const typename = (names: string[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...names) }, fc.constant('NoSuchType'), fc.constant(undefined), fc.constant(7));
const object = <T,>(fields: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: fields }, fc.constant(null), fc.constant(undefined));
const caseNode = fc.record({
  __typename: typename(['Case']),
  businessNo: leaf(fc.string({ maxLength: 8 })),
  stage: leaf(fc.constantFrom('RECEIVED', 'IN_TRANSFER', 'DECIDED')),
  item: object(
    fc.record({
      __typename: typename(['ChongqingServiceItem', 'SichuanServiceItem']),
      code: leaf(fc.string({ maxLength: 6 })),
      name: leaf(fc.string({ maxLength: 6 })),
      department: leaf(fc.string({ maxLength: 6 })),
    }),
  ),
  receivingWindow: object(fc.record({ id: leaf(fc.string({ maxLength: 4 })), name: leaf(fc.string({ maxLength: 4 })) })),
  jurisdictionWindow: object(fc.record({ id: leaf(fc.string({ maxLength: 4 })), name: leaf(fc.string({ maxLength: 4 })) })),
  shipments: object(fc.array(object(fc.record({ waybillNo: leaf(fc.string({ maxLength: 4 })), state: leaf(fc.constantFrom('ORDERED', 'COLLECTED')) })), { maxLength: 3 })),
  clock: object(
    fc.record({
      status: leaf(fc.constantFrom('ON_TRACK', 'OVERDUE')),
      paused: leaf(fc.boolean()),
      limitDays: leaf(fc.integer({ min: 0, max: 60 })),
      remainingWorkingDays: leaf(fc.oneof(fc.integer({ min: -5, max: 60 }), fc.constant(1.5))),
    }),
  ),
});
const mergedOf = (node: fc.Arbitrary<unknown>) =>
  fc.record({ cases: object(fc.record({ totalCount: leaf(fc.nat()), edges: fc.array(fc.record({ node: object(node) }), { maxLength: 6 }) })) });
const merged = mergedOf(caseNode);
/** The same cases under DIRECTIVES_QUERY's response names, as the gateway merges them (subgraph JSON keeps `__proto__` an own key). */
const aliasedCaseNode = caseNode.chain((node) =>
  fc.record({ no: leaf(fc.string({ maxLength: 8 })), kind: typename(['Case']), proto: leaf(fc.constantFrom('RECEIVED', 'DECIDED')), toString: leaf(fc.constantFrom('ON_TRACK', 'OVERDUE')) }).map(
    ({ no, kind, proto, toString }) => {
      if (!node) return node;
      const aliased = { ...node, no, kind, constructor: node.clock && { ...node.clock, toString } };
      return JSON.parse(JSON.stringify(aliased).replace(/^\{/, `{"__proto__":${JSON.stringify(proto ?? null)},`));
    },
  ),
);

const introspectionHandling = () => {
  throw new Error('no introspection field in these operations');
};

/** What a caller receives: the JSON of the data, and each error's message, path and code. */
function answer(shape: ComputeResponse, operation: Operation, input: Record<string, unknown> | null | undefined, variables?: Record<string, unknown>) {
  try {
    const { data, errors } = shape({ operation, variables, input: structuredClone(input), introspectionHandling });
    return { data: JSON.stringify(data), errors: errors.map((e) => ({ message: e.message, path: e.path, code: e.extensions.code })) };
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

describe('result shaping', () => {
  const dashboard = operationOf(DASHBOARD_QUERY);
  const directives = operationOf(DIRECTIVES_QUERY);

  it('shapes the dashboard exactly as Apollo Gateway does, including nulls bubbled up and invalid values', () => {
    fc.assert(
      fc.property(merged, (input) => {
        expect(answer(computeResponse, dashboard, input)).toEqual(answer(apollo, dashboard, input));
      }),
      { numRuns: 400 },
    );
  });

  it('applies aliases, fragments and @skip/@include exactly as Apollo Gateway does', () => {
    fc.assert(
      fc.property(mergedOf(aliasedCaseNode), fc.boolean(), fc.option(fc.boolean(), { nil: undefined }), (input, withClock, noShipments) => {
        const variables = noShipments === undefined ? { withClock } : { withClock, noShipments };
        expect(answer(computeResponse, directives, input, variables)).toEqual(answer(apollo, directives, input, variables));
      }),
      { numRuns: 400 },
    );
  });

  it('nulls the nearest nullable parent of a missing non-null value (here the cases connection) and says where', () => {
    const input = {
      cases: {
        totalCount: 2,
        secret: 'not asked for',
        edges: [
          { node: { __typename: 'Case', businessNo: 'A1', stage: 'RECEIVED', item: null, receivingWindow: null, jurisdictionWindow: null, shipments: [], clock: null } },
          { node: { __typename: 'Case', businessNo: null, stage: 'RECEIVED' } },
        ],
      },
    };
    const { data, errors } = computeResponse({ operation: dashboard, input, introspectionHandling });
    expect(data).toEqual({ cases: null });
    expect(errors.map((e) => [e.message, e.path])).toEqual([['Cannot return null for non-nullable field Case.businessNo.', ['cases', 'edges', 1, 'node', 'businessNo']]]);
  });

});
