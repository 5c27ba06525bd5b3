// Minimal declarations for the parts of jstat the tests use as an independent reference.
declare module 'jstat' {
  interface JStat {
    normal: { cdf(x: number, mean: number, sd: number): number };
    beta: { cdf(x: number, a: number, b: number): number; pdf(x: number, a: number, b: number): number };
    gammaln(x: number): number;
  }
  const jstat: { jStat: JStat };
  export default jstat;
}
