import { checkInteger, checkKnownKeys, checkRange, invalidArgument, murmur3String } from '@laserkit/core';
import type { Candidates, DecideOptions, Decision, Policy } from './types.js';

/** One arm of a traffic ramp: a named policy on a share of users. */
export interface RampArm {
  /** Recorded on every decision this arm makes (e.g. 'control', 'thompson-5pct'). */
  readonly name: string;
  readonly policy: Policy;
  /** Share of users, in percent; the arms' shares sum to 100. */
  readonly percent: number;
}

export interface TrafficRampOptions {
  readonly arms: readonly RampArm[];
  /**
   * Hash seed: a new salt reshuffles which users land in which arm (start a new experiment),
   * the same salt keeps every user in the same arm across processes and restarts. @default 0
   */
  readonly salt?: number;
}

/** Buckets of the hash space: shares are resolved to 0.01 %. */
const BUCKETS = 10_000;

/**
 * Deterministic traffic split by user, as LASER advises for launching exploration (Agarwal et al.
 * WSDM 2014, §5: run exploit-only next to Thompson sampling and start Thompson sampling on a small
 * share of traffic, 5-10 %): a user's arm is murmur3(userId, salt) mod 10,000 against the arms'
 * cumulative shares, so it is stable across requests and servers, and every decision carries it.
 */
export class TrafficRamp {
  readonly arms: readonly RampArm[];
  readonly salt: number;
  private readonly upper: Int32Array;

  constructor(options: TrafficRampOptions) {
    if (options === null || typeof options !== 'object') throw invalidArgument('options', options, 'must be an object with arms');
    checkKnownKeys('options', options, ['arms', 'salt']);
    const arms = options.arms;
    if (!Array.isArray(arms) || arms.length === 0) throw invalidArgument('arms', arms, 'must be a non-empty array of { name, policy, percent }');
    this.salt = checkInteger('salt', options.salt ?? 0, 0, 0xffffffff);
    const names = new Set<string>();
    this.upper = new Int32Array(arms.length);
    // Cumulative shares are rounded to buckets, not each share on its own: 100/3 three times must work.
    let cumulative = 0;
    arms.forEach((arm, i) => {
      if (typeof arm.name !== 'string' || arm.name === '') throw invalidArgument(`arms[${i}].name`, arm.name, 'must be a non-empty string');
      if (names.has(arm.name)) throw invalidArgument(`arms[${i}].name`, arm.name, 'must be unique among the arms');
      names.add(arm.name);
      if (arm.policy === undefined || typeof arm.policy.decide !== 'function') throw invalidArgument(`arms[${i}].policy`, arm.policy, 'must be a Policy');
      checkRange(`arms[${i}].percent`, arm.percent, 0, 100);
      const before = i === 0 ? 0 : (this.upper[i - 1] as number);
      cumulative += arm.percent;
      this.upper[i] = Math.round(cumulative * (BUCKETS / 100));
      if (arm.percent > 0 && this.upper[i] === before) throw invalidArgument(`arms[${i}].percent`, arm.percent, 'must be at least 0.01 (the ramp splits traffic in 0.01 % buckets) or 0');
    });
    if (Math.abs(cumulative - 100) > 1e-9 * 100) {
      throw invalidArgument('arms', arms.map((a) => `${a.name} ${a.percent}%`).join(', '), 'percent shares must sum to 100', 'give the rest of the traffic to the exploit-only control arm');
    }
    this.upper[arms.length - 1] = BUCKETS;
    this.arms = Object.freeze([...arms]);
  }

  /** The arm a user belongs to (the same for the same user id and salt, everywhere). */
  armOf(userId: string): RampArm {
    if (typeof userId !== 'string') throw invalidArgument('userId', userId, 'must be a string');
    const bucket = murmur3String(userId, this.salt) % BUCKETS;
    let i = 0;
    while (bucket >= (this.upper[i] as number)) i++;
    return this.arms[i] as RampArm;
  }

  /** Decides with the user's arm; the decision records the arm's name. */
  decide(userId: string, candidates: Candidates, options: DecideOptions): Decision {
    const arm = this.armOf(userId);
    return { ...arm.policy.decide(candidates, options), arm: arm.name };
  }
}
