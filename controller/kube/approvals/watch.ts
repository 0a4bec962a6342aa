// An informer on the Approvals of the org namespace: a new Approval (or a revoked one) triggers a
// reconcile, so an approved move goes ahead without waiting for the resync. Our own status writes
// do not (the spec is immutable, so the generation never moves).
import { makeInformer, type Informer, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { APPROVAL_PLURAL, GROUP, VERSION } from '../../api/schemas.js';
import { Backoff, DEFAULT_BACKOFF } from '../backoff.js';
import type { KubeApis } from '../client.js';
import { errorMessage, httpStatus } from '../client.js';

export interface ApprovalWatchOptions {
  apis: KubeApis;
  namespace: string;
  log: Logger;
  onChange: (reason: string) => void;
}

export class ApprovalWatcher {
  private informer?: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  private listed = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly backoff = new Backoff(DEFAULT_BACKOFF);

  constructor(private readonly o: ApprovalWatchOptions) {}

  async start(): Promise<void> {
    const { apis, namespace } = this.o;
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const res = (await apis.custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: APPROVAL_PLURAL,
      })) as KubernetesListObject<KubernetesObject>;
      this.listed = true;
      return res;
    };
    const informer = makeInformer(apis.kc, `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${APPROVAL_PLURAL}`, list);
    informer.on('add', (a) => this.o.onChange(`add Approval/${a.metadata?.name}`));
    informer.on('delete', (a) => this.o.onChange(`delete Approval/${a.metadata?.name}`));
    informer.on('error', (err: unknown) => this.failed(err));
    this.informer = informer;
    await this.run();
  }

  private async run(): Promise<void> {
    if (this.stopped || !this.informer) return;
    try {
      await this.informer.start();
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    if (this.stopped || this.timer) return;
    const delay = this.backoff.next();
    this.o.log.warn({ kind: 'Approval', status: httpStatus(err), err: errorMessage(err), retryInMs: delay }, 'informer stopped; restarting');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delay);
    this.timer.unref?.();
  }

  /** Listed at least once (readiness). */
  synced(): boolean {
    return this.listed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.informer?.stop().catch(() => undefined);
  }
}
