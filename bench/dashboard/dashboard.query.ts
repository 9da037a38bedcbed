/**
 * The domain dashboard of a 通办 window: its open cases with what five subgraphs know
 * about each. The benchmark and the fetch-count test send this one document.
 */
export const DASHBOARD_QUERY = /* GraphQL */ `
  query Dashboard($first: Int!) {
    cases(first: $first) {
      totalCount
      edges {
        node {
          businessNo
          stage
          item {
            __typename
            code
            name
            department
          }
          receivingWindow {
            id
            name
          }
          jurisdictionWindow {
            id
            name
          }
          shipments {
            waybillNo
            state
          }
          clock {
            status
            paused
            limitDays
            remainingWorkingDays
          }
        }
      }
    }
  }
`;

export interface DashboardCase {
  businessNo: string;
  stage: string;
  item: { __typename: string; code: string; name: string; department: string } | null;
  receivingWindow: { id: string; name: string } | null;
  jurisdictionWindow: { id: string; name: string } | null;
  /** The dashboard shows the last one's state: the latest shipment. */
  shipments: { waybillNo: string; state: string }[] | null;
  clock: { status: string; paused: boolean; limitDays: number; remainingWorkingDays: number } | null;
}

export interface DashboardData {
  cases: { totalCount: number; edges: { node: DashboardCase }[] };
}

export function dashboardBody(first: number): string {
  return JSON.stringify({ query: DASHBOARD_QUERY, variables: { first } });
}

/** The cases of an answer by business number, so that answers compare whatever order the ledger lists them in. */
export function casesByNumber(data: DashboardData): Map<string, DashboardCase> {
  return new Map(data.cases.edges.map((edge) => [edge.node.businessNo, edge.node]));
}

/**
 * Where an answer first departs from the expected cases, in words; undefined when
 * it has every case, no other, each exactly as expected, and no errors.
 */
export function dashboardDifference(answer: { data?: DashboardData | null; errors?: unknown[] }, expected: DashboardCase[]): string | undefined {
  if (answer.errors?.length) return `errors: ${JSON.stringify(answer.errors).slice(0, 500)}`;
  if (!answer.data) return 'no data';
  const { totalCount, edges } = answer.data.cases;
  if (totalCount !== expected.length || edges.length !== expected.length) {
    return `${edges.length} of ${totalCount} cases instead of ${expected.length}`;
  }
  const actual = casesByNumber(answer.data);
  for (const kase of expected) {
    const found = actual.get(kase.businessNo);
    if (!found) return `case ${kase.businessNo} is missing`;
    if (JSON.stringify(found) !== JSON.stringify(kase)) {
      return `case ${kase.businessNo} is ${JSON.stringify(found)}, expected ${JSON.stringify(kase)}`;
    }
  }
  return undefined;
}
