/**
 * Rate limits with counters in the metadata store, so every API replica sees the same counts
 * (SPEC §4): an express-rate-limit `Store` over `store.counters.hit`.
 */
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { rateLimit, type ClientRateLimitInfo, type Options, type Store as RateLimitStore } from 'express-rate-limit';
import type { CounterRepository } from '@plotbox/store';
import { ApiError } from './errors.ts';

/**
 * An express-rate-limit store backed by `counters.hit(key, windowMs)` (one atomic statement per
 * hit in the store). Fixed windows starting at a key's first hit.
 */
export function createCounterRateLimitStore(counters: CounterRepository, prefix: string): RateLimitStore {
  let windowMs = 60_000;
  return {
    localKeys: false,
    prefix,
    init(options: Options): void {
      windowMs = options.windowMs;
    },
    async increment(key: string): Promise<ClientRateLimitInfo> {
      const { count, resetAt } = await counters.hit(`${prefix}${key}`, windowMs);
      return { totalHits: count, resetTime: resetAt };
    },
    // Counts are never given back (no skipSuccessfulRequests): a window simply runs out.
    decrement(): void {},
    async resetKey(key: string): Promise<void> {
      await counters.resetWindow(`${prefix}${key}`);
    },
  };
}

/**
 * A limiter that answers `429 RATE_LIMITED` with `Retry-After` (seconds until the window ends,
 * on the injected clock) through the API's error handler.
 */
export function createRateLimiter(opts: {
  readonly counters: CounterRepository;
  readonly prefix: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly key: (req: Request, res: Response) => string;
  readonly now: () => Date;
}): RequestHandler {
  return rateLimit({
    windowMs: opts.windowMs,
    limit: opts.limit,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    // Our key generator and proxy handling are deliberate (trust proxy = configured hops).
    validate: false,
    passOnStoreError: false,
    store: createCounterRateLimitStore(opts.counters, opts.prefix),
    keyGenerator: (req, res) => opts.key(req, res),
    handler: (req: Request, res: Response, next: NextFunction) => {
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      const resetMs = info?.resetTime instanceof Date ? info.resetTime.getTime() : opts.now().getTime() + opts.windowMs;
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil((resetMs - opts.now().getTime()) / 1000))));
      next(new ApiError('RATE_LIMITED'));
    },
  });
}
