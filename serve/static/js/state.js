/* What the parts of the page share: the service's limits, the policy's sector, the last analysis. */

export const state = {
  config: null,
  policySector: null,
  analysis: null,
  complaint: "",
  channel: null,
};
