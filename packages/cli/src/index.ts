export { createProgram, main } from './program.js';
export { runGenerate, describeSummary } from './generate-command.js';
export { runDemo } from './demo-command.js';
export { runScore, readAds, readScoringRequests, writeScoringFilesFromTraffic } from './score-command.js';
export type { ScoringRequestRecord, ScoreRun } from './score-command.js';
export { runSimulation, describeSimulation, regretSvg, summarizeRuns } from './simulate-command.js';
