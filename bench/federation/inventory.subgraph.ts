import { IN_STOCK, shippingEstimate } from './federation.data.js';
import type { BenchSubgraph } from './subgraphs.server.js';

interface InventoryProduct {
  upc: string;
  price?: number;
  weight?: number;
}

export const inventory: BenchSubgraph = {
  name: 'inventory',
  typeDefs: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])

    type Product @key(fields: "upc") {
      upc: String!
      weight: Int @external
      price: Int @external
      inStock: Boolean
      shippingEstimate: Int @requires(fields: "price weight")
    }
  `,
  resolvers: {
    Product: {
      // The representation carries price and weight (the @requires fields); keep them for shippingEstimate.
      __resolveReference: (product: InventoryProduct) => ({ ...product, inStock: IN_STOCK[product.upc] ?? null }),
      shippingEstimate: ({ price, weight }: InventoryProduct) =>
        price === undefined || weight === undefined ? null : shippingEstimate(price, weight),
    },
  },
};
