/**
 * Per-key rate limits, per API instance: a token bucket in memory for each key (no shared store,
 * so N instances behind a balancer let through up to N times a key's rate). Answers what the IETF
 * `RateLimit-Policy` / `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers) and `Retry-After` say.
 */
import type { RateLimit } from './keys-file.js';

/** The policy's name in the `RateLimit-Policy` and `RateLimit` fields. */
export const ratePolicyName = 'per-key';

export interface RateDecision {
  allowed: boolean;
  /** Whole requests left right now (`r`). */
  remaining: number;
  /** Seconds until at least one more request is allowed (`t`), 0 when the bucket is full. */
  resetSeconds: number;
  /** Response headers that describe the policy and this decision. */
  headers: Record<string, string>;
}

interface Bucket {
  tokens: number;
  at: number;
  limit: number;
  windowSeconds: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Take one request from `key`'s bucket (capacity `limit`, refilled evenly over the window). */
  take(key: string, rate: RateLimit): RateDecision {
    const now = this.now();
    const perMs = rate.limit / (rate.windowSeconds * 1000);
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.limit !== rate.limit || bucket.windowSeconds !== rate.windowSeconds) {
      // A new key, or its rate changed in the keys file: a full bucket of the new size.
      bucket = { tokens: rate.limit, at: now, ...rate };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(rate.limit, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    const remaining = Math.floor(bucket.tokens);
    const missing = remaining >= rate.limit ? 0 : remaining + 1 - bucket.tokens;
    const resetSeconds = missing === 0 ? 0 : Math.max(1, Math.ceil(missing / perMs / 1000));
    const headers: Record<string, string> = {
      'RateLimit-Policy': `"${ratePolicyName}";q=${rate.limit};w=${rate.windowSeconds}`,
      RateLimit: `"${ratePolicyName}";r=${remaining};t=${resetSeconds}`,
    };
    // Never earlier than the reset the RateLimit field names (the draft's rule).
    if (!allowed) headers['Retry-After'] = String(resetSeconds);
    return { allowed, remaining, resetSeconds, headers };
  }

  /** Forget keys no longer in the keys file. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.buckets.keys()) if (!keys.has(key)) this.buckets.delete(key);
  }
}
