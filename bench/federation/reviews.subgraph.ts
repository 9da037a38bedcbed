import { find, REVIEW_AUTHOR_ID, REVIEWS, reviewsOfProduct, reviewsOfUser, USERS, type Review } from './federation.data.js';
import type { BenchSubgraph } from './subgraphs.server.js';

const author = find(USERS, (user) => user.id === REVIEW_AUTHOR_ID, 'review author');

export const reviews: BenchSubgraph = {
  name: 'reviews',
  typeDefs: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@provides"])

    type Review @key(fields: "id") {
      id: ID!
      body: String
      product: Product
      author: User @provides(fields: "username")
    }

    type User @key(fields: "id") {
      id: ID!
      username: String @external
      reviews: [Review]
    }

    type Product @key(fields: "upc") {
      upc: String!
      reviews: [Review]
    }
  `,
  resolvers: {
    Review: {
      __resolveReference: ({ id }: { id: string }) => find(REVIEWS, (review) => review.id === id, `review ${id}`),
      product: (review: Review) => ({ upc: review.productUpc }),
      author: () => ({ id: author.id, username: author.username }),
    },
    User: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      reviews: () => reviewsOfUser(),
    },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => ({ upc }),
      reviews: ({ upc }: { upc: string }) => reviewsOfProduct(upc),
    },
  },
};
