import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { listSizesOf, measureOperation, PageSizeError } from '../../lib/graphql-limits.js';

const SDL = `
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!]) on FIELD_DEFINITION
  type Query {
    items(first: Int = 20): ItemConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
    tags: [Tag!]! @listSize(assumedSize: 50)
    plain: [Tag!]!
    item: Item
  }
  type Mutation { touch(id: ID!): Item! }
  type ItemConnection { edges: [Edge!]! total: Int! }
  type Edge { node: Item! }
  type Item { id: ID! tags: [Tag!]! @listSize(assumedSize: 5) parent: Item }
  type Tag { name: String! }
`;
const schema = buildSchema(SDL);
const sizes = listSizesOf(SDL);

function measure(query: string, variables?: Record<string, unknown>) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  return measureOperation(schema, document, operation, variables, sizes);
}

describe('measureOperation', () => {
  it('multiplies a connection\'s sized fields by the page asked for, and other lists by their assumed size', () => {
    expect(measure('{ items(first: 3) { edges { node { id } } total } }').cost).toBe(1 + (1 + 3 * (1 + 1)) + 1);
    expect(measure('query ($n: Int) { items(first: $n) { edges { node { id } } } }', { n: 7 }).cost).toBe(1 + 1 + 7 * 2);
    expect(measure('{ items { edges { node { id } } } }').cost).toBe(1 + 1 + 20 * 2);
    expect(measure('{ tags { name } plain { name } item { tags { name } } }').cost).toBe(1 + 50 + (1 + 10) + (1 + (1 + 5)));
  });

  it('measures each fragment once, however often it is spread', () => {
    const levels = 200;
    const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ');
    // Unmemoised, 2^200 visits: this would never return.
    const { cost } = measure(`{ ...F0 } ${fragments} fragment F${levels} on Query { item { id } }`);
    expect(cost).toBe(2 ** levels * 2);
  });

  it('counts nothing @skip or @include turn off', () => {
    const query = 'query ($on: Boolean!) { tags @include(if: $on) { name } item @skip(if: $on) { id } }';
    expect(measure(query, { on: true }).cost).toBe(51);
    expect(measure(query, { on: false }).cost).toBe(2);
  });

  it('refuses page sizes outside 1–100 wherever they come from', () => {
    for (const [query, variables] of [
      ['{ items(first: 0) { total } }', undefined],
      ['{ items(first: -10000000) { total } }', undefined],
      ['query ($n: Int) { items(first: $n) { total } }', { n: 101 }],
      ['query ($n: Int = -1) { items(first: $n) { total } }', undefined],
    ] as const) {
      expect(() => measure(query, variables)).toThrow(PageSizeError);
    }
  });

  it('counts the distinct mutation fields that will run', () => {
    expect(measure('mutation { a: touch(id: 1) { id } b: touch(id: 2) { id } __typename }').mutationFields).toBe(2);
    expect(measure('mutation { ...W ...W } fragment W on Mutation { a: touch(id: 1) { id } b: touch(id: 2) { id } }').mutationFields).toBe(2);
    expect(measure('mutation ($x: Boolean!) { a: touch(id: 1) { id } b: touch(id: 2) @include(if: $x) { id } }', { x: false }).mutationFields).toBe(1);
    expect(measure('{ item { id } }').mutationFields).toBe(0);
  });
});
