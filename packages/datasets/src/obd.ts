import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LaserError, checkOneOf, stripByteOrderMark } from '@laserkit/core';

/**
 * Loader for the Open Bandit Dataset sample (Saito, Aihara, Matsutani, Narita, "Open Bandit
 * Dataset and Pipeline", NeurIPS Datasets and Benchmarks 2021; Apache-2.0): logged impressions
 * of a fashion-recommendation widget under a uniform-random and a Bernoulli-Thompson-sampling
 * policy, with the exact propensity of each shown item. Ground truth for off-policy evaluation.
 */
export const OBD_POLICIES = ['random', 'bts'] as const;
export const OBD_CAMPAIGNS = ['men', 'women'] as const;
export type ObdPolicy = (typeof OBD_POLICIES)[number];
export type ObdCampaign = (typeof OBD_CAMPAIGNS)[number];

/** The copy shipped in this repository's datasets/obd (two levels above this package's src/ or dist/). */
export const OBD_DEFAULT_DIR = fileURLToPath(new URL('../../../datasets/obd', import.meta.url));

export interface ObdLog {
  readonly policy: ObdPolicy;
  readonly campaign: ObdCampaign;
  readonly rows: number;
  /** Number of items (actions) in the campaign. */
  readonly items: number;
  readonly timestamp: readonly string[];
  readonly itemId: Int32Array;
  /** 1 (left), 2 (center) or 3 (right). */
  readonly position: Int8Array;
  readonly click: Uint8Array;
  /** Probability with which the logging policy showed this item at this position. */
  readonly propensity: Float64Array;
  /** Hashed categorical user features, `userFeatures[f][row]`. */
  readonly userFeatures: readonly (readonly string[])[];
  /** User-item affinity scores, row-major: `affinity[row * items + item]`. */
  readonly affinity: Float32Array;
  readonly itemContext: ObdItemContext;
}

export interface ObdItemContext {
  readonly items: number;
  /** item_feature_0: a numeric feature (price-like, standardized). */
  readonly numeric: Float64Array;
  /** item_feature_1..3: hashed categories, `categorical[f][item]`. */
  readonly categorical: readonly (readonly string[])[];
}

export interface LoadObdOptions {
  readonly policy: ObdPolicy;
  readonly campaign: ObdCampaign;
  /** Folder holding `{policy}/{campaign}/{campaign}.csv`. @default OBD_DEFAULT_DIR */
  readonly dir?: string;
}

function badCsv(file: string, line: number, field: string, value: string, constraint: string): LaserError {
  return new LaserError('INVALID_DATA', `${file}:${line}: ${field} (${JSON.stringify(value)}) ${constraint}`, { details: { file, line, field, value, constraint } });
}

function readCsv(file: string): { header: string[]; rows: string[][] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LaserError('NOT_FOUND', `cannot read ${file}: ${(e as Error).message}`, { cause: e, details: { file } });
  }
  const lines = stripByteOrderMark(text).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = (lines[0] ?? '').replace(/\r$/, '').split(',');
  const rows = lines.slice(1).map((l, i) => {
    const cells = l.replace(/\r$/, '').split(',');
    if (cells.length !== header.length) throw badCsv(file, i + 2, 'row', l.slice(0, 40), `must have ${header.length} comma-separated cells, found ${cells.length}`);
    return cells;
  });
  return { header, rows };
}

function column(file: string, header: string[], name: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw badCsv(file, 1, 'header', header.join(',').slice(0, 60), `must contain the column ${name}`);
  return i;
}

export function loadObd(options: LoadObdOptions): ObdLog {
  const policy = checkOneOf('policy', options.policy, OBD_POLICIES);
  const campaign = checkOneOf('campaign', options.campaign, OBD_CAMPAIGNS);
  const dir = options.dir ?? OBD_DEFAULT_DIR;
  const file = join(dir, policy, campaign, `${campaign}.csv`);
  const { header, rows } = readCsv(file);
  const itemContext = loadItemContext(join(dir, policy, campaign, 'item_context.csv'));
  const items = itemContext.items;
  const n = rows.length;
  const cTime = column(file, header, 'timestamp');
  const cItem = column(file, header, 'item_id');
  const cPos = column(file, header, 'position');
  const cClick = column(file, header, 'click');
  const cProp = column(file, header, 'propensity_score');
  const cUser = [0, 1, 2, 3].map((f) => column(file, header, `user_feature_${f}`));
  const cAff = Array.from({ length: items }, (_, i) => column(file, header, `user-item_affinity_${i}`));
  const timestamp: string[] = new Array<string>(n);
  const itemId = new Int32Array(n);
  const position = new Int8Array(n);
  const click = new Uint8Array(n);
  const propensity = new Float64Array(n);
  const userFeatures = cUser.map(() => new Array<string>(n));
  const affinity = new Float32Array(n * items);
  for (let r = 0; r < n; r++) {
    const cells = rows[r] as string[];
    const line = r + 2;
    timestamp[r] = cells[cTime] as string;
    const item = Number(cells[cItem]);
    if (!Number.isInteger(item) || item < 0 || item >= items) throw badCsv(file, line, 'item_id', cells[cItem] as string, `must be an integer in [0, ${items - 1}]`);
    itemId[r] = item;
    const pos = Number(cells[cPos]);
    if (pos !== 1 && pos !== 2 && pos !== 3) throw badCsv(file, line, 'position', cells[cPos] as string, 'must be 1, 2 or 3');
    position[r] = pos;
    const c = cells[cClick];
    if (c !== '0' && c !== '1') throw badCsv(file, line, 'click', c as string, 'must be 0 or 1');
    click[r] = c === '1' ? 1 : 0;
    const p = Number(cells[cProp]);
    if (!(p > 0 && p <= 1)) throw badCsv(file, line, 'propensity_score', cells[cProp] as string, 'must be a probability in (0, 1]');
    propensity[r] = p;
    cUser.forEach((ci, f) => ((userFeatures[f] as string[])[r] = cells[ci] as string));
    for (let i = 0; i < items; i++) {
      const a = Number(cells[cAff[i] as number]);
      if (!Number.isFinite(a)) throw badCsv(file, line, `user-item_affinity_${i}`, cells[cAff[i] as number] as string, 'must be a finite number');
      affinity[r * items + i] = a;
    }
  }
  return { policy, campaign, rows: n, items, timestamp, itemId, position, click, propensity, userFeatures, affinity, itemContext };
}

function loadItemContext(file: string): ObdItemContext {
  const { header, rows } = readCsv(file);
  const cItem = column(file, header, 'item_id');
  const cNum = column(file, header, 'item_feature_0');
  const cCat = [1, 2, 3].map((f) => column(file, header, `item_feature_${f}`));
  const items = rows.length;
  const numeric = new Float64Array(items);
  const categorical = cCat.map(() => new Array<string>(items));
  rows.forEach((cells, r) => {
    const item = Number(cells[cItem]);
    if (item !== r) throw badCsv(file, r + 2, 'item_id', cells[cItem] as string, `must be ${r} (items listed in order)`);
    numeric[r] = Number(cells[cNum]);
    cCat.forEach((ci, f) => ((categorical[f] as string[])[r] = cells[ci] as string));
  });
  return { items, numeric, categorical };
}

/** Click-through rate a log actually achieved (the on-policy value of its logging policy). */
export function obdClickRate(log: ObdLog): number {
  let clicks = 0;
  for (let r = 0; r < log.rows; r++) clicks += log.click[r] as number;
  return clicks / log.rows;
}
