// The Beta prior of the Bernoulli Thompson sampling policy that logged the Open Bandit Dataset's
// "bts" data, per campaign and item: posterior Beta(alpha_j, beta_j) fixed over the logged week.
// Published with the dataset's reference pipeline (st-tech/zr-obp, obp/policy/conf/prior_bts.yaml,
// Apache-2.0; Saito et al., "Open Bandit Dataset and Pipeline", NeurIPS 2021 Datasets and Benchmarks).
export const OBD_BTS_PRIOR = {
  men: {
    alpha: [47, 8, 62, 142, 3, 6, 100, 48, 23, 71, 61, 13, 16, 518, 30, 7, 4, 23, 8, 10, 11, 11, 18, 121, 11, 4, 32, 30, 9, 22, 6, 23, 5, 54],
    beta: [
      12198, 3566, 15993, 35522, 2367, 3100, 24665, 13210, 7061, 18061, 17449, 5644, 6787, 111326, 8776, 3334, 2271, 7389, 2659, 3665, 4724, 3561, 5085, 27407, 4601, 2923, 8897, 8654, 4000,
      6580, 3174, 6766, 2602, 14506,
    ],
  },
  women: {
    alpha: [12, 7, 984, 13, 15, 15, 11, 14, 9, 200, 72, 3, 14, 49, 1278, 3, 325, 14, 27, 14, 169, 48, 47, 18, 40, 12, 447, 46, 5, 3, 5, 7, 35, 34, 99, 30, 880, 51, 182, 6, 45, 39, 10, 24, 72, 229],
    beta: [
      3612, 3173, 204484, 4517, 4765, 5331, 4131, 4728, 4028, 44280, 17918, 2309, 4339, 12922, 270771, 2480, 68475, 5129, 7367, 5819, 38026, 13047, 11604, 5394, 10912, 4439, 94485, 10700, 2679,
      2319, 2578, 3288, 9566, 9775, 20120, 7317, 172026, 13673, 37329, 3365, 10911, 10734, 4278, 7574, 16826, 47462,
    ],
  },
};
