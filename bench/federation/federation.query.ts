import {
  find,
  IN_STOCK,
  PRODUCTS,
  REVIEW_AUTHOR_ID,
  reviewsOfProduct,
  reviewsOfUser,
  shippingEstimate,
  TOP_PRODUCTS_DEFAULT,
  USERS,
  type Product,
  type Review,
  type User,
} from './federation.data.js';

/** The public benchmark's query, verbatim: three levels of reviews, products and authors across all four subgraphs. */
export const QUERY = `fragment User on User {
      id
      username
      name
    }

    fragment Review on Review {
      id
      body
    }

    fragment Product on Product {
      inStock
      name
      price
      shippingEstimate
      upc
      weight
    }

    query TestQuery {
      users {
        ...User
        reviews {
          ...Review
          product {
            ...Product
            reviews {
              ...Review
              author {
                ...User
                reviews {
                  ...Review
                  product {
                    ...Product
                  }
                }
              }
            }
          }
        }
      }
      topProducts {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }`;

/** The request body every target receives (the public benchmark sends no operationName either). */
export const REQUEST_BODY = JSON.stringify({ query: QUERY });

/**
 * The answer the query must get, worked out from the data directly rather than
 * through any GraphQL server, with fields in the query's order: a gateway passes
 * only if its planning, entity fetches, @requires and @provides all came out right.
 */
export function expectedResponse(): unknown {
  const author = find(USERS, (user) => user.id === REVIEW_AUTHOR_ID, 'review author');
  const productOf = (review: Review) => find(PRODUCTS, (product) => product.upc === review.productUpc, `product ${review.productUpc}`);
  const userFields = (user: User) => ({ id: user.id, username: user.username, name: user.name });
  const reviewFields = (review: Review) => ({ id: review.id, body: review.body });
  const productFields = (product: Product) => ({
    inStock: IN_STOCK[product.upc] ?? null,
    name: product.name,
    price: product.price,
    shippingEstimate: shippingEstimate(product.price, product.weight),
    upc: product.upc,
    weight: product.weight,
  });
  const authorWithReviews = () => ({
    ...userFields(author),
    reviews: reviewsOfUser().map((review) => ({ ...reviewFields(review), product: productFields(productOf(review)) })),
  });
  const productReviews = (product: Product) =>
    reviewsOfProduct(product.upc).map((review) => ({ ...reviewFields(review), author: authorWithReviews() }));

  return {
    data: {
      users: USERS.map((user) => ({
        ...userFields(user),
        reviews: reviewsOfUser().map((review) => {
          const product = productOf(review);
          return { ...reviewFields(review), product: { ...productFields(product), reviews: productReviews(product) } };
        }),
      })),
      topProducts: PRODUCTS.slice(0, TOP_PRODUCTS_DEFAULT).map((product) => ({
        ...productFields(product),
        reviews: productReviews(product),
      })),
    },
  };
}
