export { createProgram, main } from './program.js';
export { runGenerate, describeSummary } from './generate-command.js';
export { runDemo } from './demo-command.js';
