// Leader election on a coordination.k8s.io/v1 Lease, done by hand (client-node has no helper).
// Every write is a resourceVersion-checked update, so two replicas racing for the same lease
// cannot both win. Expiry is judged on this process's own clock from when it last saw the
// record change (as client-go does), so clock skew between nodes cannot cause two leaders.
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeApis } from './client.js';
import { errorMessage, httpStatus } from './client.js';

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string | Date;
  renewTime?: string | Date;
  leaseTransitions?: number;
}

export interface Observation {
  /** The record as last seen (holder + renewTime), to notice when it changes. */
  fingerprint: string;
  /** Local time (ms) when that record was first seen. */
  at: number;
}

export type LeaseDecision =
  | { action: 'create' }
  | { action: 'renew' }
  | { action: 'takeover'; from: string }
  | { action: 'wait'; holder: string; expiresInMs: number };

export const leaseFingerprint = (r: LeaseRecord | undefined): string =>
  JSON.stringify([r?.holderIdentity ?? '', r?.renewTime ? new Date(r.renewTime).getTime() : 0]);

/**
 * What to do with the lease as read now. `observed` is when this process first saw the current
 * record: someone else's lease counts as expired only leaseDurationSeconds after that.
 */
export function decideLease(
  rec: LeaseRecord | undefined,
  identity: string,
  now: number,
  observed: Observation | undefined,
  defaultDurationSec: number,
): LeaseDecision {
  if (!rec) return { action: 'create' };
  const holder = rec.holderIdentity ?? '';
  if (holder === identity) return { action: 'renew' };
  if (holder === '') return { action: 'takeover', from: '' };
  const durationMs = (rec.leaseDurationSeconds ?? defaultDurationSec) * 1000;
  const fp = leaseFingerprint(rec);
  const seenAt = observed && observed.fingerprint === fp ? observed.at : now;
  const expiresInMs = seenAt + durationMs - now;
  if (expiresInMs <= 0) return { action: 'takeover', from: holder };
  return { action: 'wait', holder, expiresInMs };
}

export interface LeaderElectorOptions {
  apis: KubeApis;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  /** How often the leader renews (and a follower retries). */
  renewIntervalMs: number;
  /** A leader that could not renew for this long steps down (must be < the lease duration). */
  renewDeadlineMs: number;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: (reason: string) => void;
}

export class LeaderElector {
  private leading = false;
  private lastRenewAt = 0;
  private observed?: Observation;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private ticking?: Promise<void>;
  /** Holder identity as last read (for logs, metrics and tests). */
  holder = '';

  constructor(private readonly o: LeaderElectorOptions) {}

  /**
   * Leading and renewed recently enough: checked before every write, so a leader whose
   * renewals stall stops writing before its lease can expire and another replica take over.
   */
  isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenewAt < this.o.renewDeadlineMs;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick();
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err), status: httpStatus(err) }, 'lease update failed');
    }
    if (this.leading && Date.now() - this.lastRenewAt >= this.o.renewDeadlineMs) this.lose('could not renew the lease before the renew deadline');
    // Followers poll a bit more slowly than the leader renews, with jitter so replicas spread out.
    this.schedule(this.leading ? this.o.renewIntervalMs : Math.round(this.o.renewIntervalMs * (1 + Math.random() * 0.2)));
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.o.apis.coordination.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const { apis, namespace, name, identity, leaseDurationSeconds } = this.o;
    const lease = await this.read();
    const rec = lease?.spec as LeaseRecord | undefined;
    const now = Date.now();
    const fp = leaseFingerprint(rec);
    if (!this.observed || this.observed.fingerprint !== fp) this.observed = { fingerprint: fp, at: now };
    const decision = decideLease(rec, identity, now, this.observed, leaseDurationSeconds);
    this.holder = rec?.holderIdentity ?? '';
    if (decision.action === 'wait') {
      if (this.leading) this.lose(`lease is held by ${decision.holder}`);
      return;
    }
    const stamp = new V1MicroTime(now);
    try {
      if (decision.action === 'create') {
        await apis.coordination.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 },
          },
        });
      } else {
        const spec = { ...(lease!.spec ?? {}) };
        spec.holderIdentity = identity;
        spec.leaseDurationSeconds = leaseDurationSeconds;
        spec.renewTime = stamp;
        if (decision.action === 'takeover') {
          spec.acquireTime = stamp;
          spec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
        }
        // The resourceVersion makes this a compare-and-swap: a concurrent writer gets 409.
        await apis.coordination.replaceNamespacedLease({ name, namespace, body: { ...lease!, spec } });
      }
    } catch (err) {
      const code = httpStatus(err);
      if (code === 409) {
        this.o.log.info({ lease: name }, 'lost a lease race; another replica wrote first');
        if (this.leading) this.lose('another replica updated the lease');
        return;
      }
      throw err;
    }
    this.lastRenewAt = now;
    this.holder = identity;
    this.observed = { fingerprint: JSON.stringify([identity, stamp.getTime()]), at: now };
    if (!this.leading) {
      this.leading = true;
      this.o.log.info({ lease: `${namespace}/${name}`, identity, action: decision.action }, 'became leader');
      this.o.onStartedLeading();
    }
  }

  private lose(reason: string, expected = false): void {
    if (!this.leading) return;
    this.leading = false;
    // Stepping down on a stop is the plan, not a warning.
    this.o.log[expected ? 'info' : 'warn']({ reason }, 'lost leadership');
    this.o.onStoppedLeading(reason);
  }

  /** Stops campaigning; with release, a leader hands the lease back so another replica takes over at once. */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    const wasLeading = this.leading;
    this.lose('shutting down', true);
    if (opts.release && wasLeading) {
      try {
        const lease = await this.read();
        if (lease?.spec?.holderIdentity === this.o.identity) {
          const spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime(Date.now()) };
          await this.o.apis.coordination.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: { ...lease, spec } });
          this.holder = '';
          this.o.log.info({ lease: `${this.o.namespace}/${this.o.name}` }, 'released the lease');
        }
      } catch (err) {
        this.o.log.warn({ err: errorMessage(err) }, 'could not release the lease');
      }
    }
  }
}
