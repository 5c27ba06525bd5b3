export { createTraffic, sigmoid } from './traffic.js';
export type { Traffic, TrafficRow, TrueModel, TrafficPopulation } from './traffic.js';
export { resolveTrafficOptions, DEFAULT_TRAFFIC_OPTIONS, DEFAULT_TERM_SCALES } from './traffic-options.js';
export type { TrafficOptions, ResolvedTrafficOptions, TermScales } from './traffic-options.js';
export {
  TRAFFIC_FORMAT_MAGIC,
  TRAFFIC_FORMAT_VERSION,
  readTrafficFile,
  parseHeader,
  parseTrafficRow,
  formatHeader,
  formatRow,
  formatSvmlightRow,
  ChunkedFileWriter,
} from './traffic-file.js';
export type { TrafficFileHeader, ReadTrafficOptions } from './traffic-file.js';
export { writeTraffic, serializeTruth, TrafficSummarizer } from './generate.js';
export type { WriteTrafficOptions, TrafficSummary, TrafficFileFormat } from './generate.js';
export { warmnessOf, summarizeWarmness, WARMNESS_BUCKETS, DEFAULT_WARMNESS_EDGES } from './warmness.js';
export type { Warmness, WarmnessSummary } from './warmness.js';
export { loadObd, obdClickRate, OBD_DEFAULT_DIR, OBD_POLICIES, OBD_CAMPAIGNS } from './obd.js';
export type { ObdLog, ObdItemContext, LoadObdOptions, ObdPolicy, ObdCampaign } from './obd.js';
