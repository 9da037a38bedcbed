import { find, PRODUCTS, TOP_PRODUCTS_DEFAULT } from './federation.data.js';
import type { BenchSubgraph } from './subgraphs.server.js';

export const products: BenchSubgraph = {
  name: 'products',
  typeDefs: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

    type Query {
      topProducts(first: Int = ${TOP_PRODUCTS_DEFAULT}): [Product]
    }

    type Product @key(fields: "upc") {
      upc: String!
      name: String
      price: Int
      weight: Int
    }
  `,
  resolvers: {
    Query: {
      topProducts: (_: unknown, { first }: { first: number }) => PRODUCTS.slice(0, first),
    },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => find(PRODUCTS, (product) => product.upc === upc, `product ${upc}`),
    },
  },
};
