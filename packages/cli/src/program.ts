import { Command } from 'commander';
import { isLaserError } from '@laserkit/core';
import { registerDemo } from './demo-command.js';
import { registerGenerate } from './generate-command.js';
import { registerScore } from './score-command.js';
import { registerSimulate } from './simulate-command.js';
import { registerTrain } from './train-command.js';

export function createProgram(): Command {
  const program = new Command('laserkit')
    .description('ad response prediction in the style of LinkedIn LASER')
    .version('0.1.0')
    .showHelpAfterError();
  registerGenerate(program);
  registerTrain(program);
  registerScore(program);
  registerSimulate(program);
  registerDemo(program);
  return program;
}

/** Runs the command line; a LaserError becomes one readable line and exit code 2. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (isLaserError(e)) {
      console.error(`laserkit: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
