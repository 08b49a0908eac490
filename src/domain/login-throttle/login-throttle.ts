import type { FailureRecord } from './brute-force-detector.ts';

/** A failure counter, keyed by what it counts: `ip:<address>`, `account:<sha256 of email>`, `device:<id>`. */
export interface ThrottleRecord extends FailureRecord {
  key: string;
}
