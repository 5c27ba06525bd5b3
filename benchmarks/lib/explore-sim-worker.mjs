// One simulation seed in its own process (the explore benchmark runs two at a time on two cores).
// argv: JSON of SimulationOptions. Prints the SimulationResult as JSON on stdout.
import { runSimulation } from '@laserkit/cli';

const options = JSON.parse(process.argv[2] ?? '{}');
const result = runSimulation(options, (seed, done) => process.stderr.write(`  seed ${seed}: ${done.toLocaleString('en-US')} impressions\n`));
process.stdout.write(JSON.stringify(result));
