// The handful of Organizations calls the account workflows make, behind a small interface so
// that the workflow steps read as decisions, and each call has one place that maps SDK shapes.
import {
  CloseAccountCommand,
  CreateAccountCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  ListParentsCommand,
  MoveAccountCommand,
  RemoveAccountFromOrganizationCommand,
  TagResourceCommand,
  paginateListAccounts,
  paginateListCreateAccountStatus,
  type CreateAccountStatus,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { isAwsError } from '../aws/errors.js';
import type { Tags } from '../model/actual.js';

export type CreateState = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';

export interface CreateStatus {
  requestId: string;
  state: CreateState;
  accountId?: string;
  /** AWS FailureReason (EMAIL_ALREADY_EXISTS, ACCOUNT_LIMIT_EXCEEDED, ...) when FAILED. */
  failureReason?: string;
}

export interface CreateAccountInput {
  email: string;
  name: string;
  roleName: string;
  iamUserAccessToBilling?: 'ALLOW' | 'DENY';
  tags: Tags;
}

export interface AccountApi {
  createAccount(input: CreateAccountInput): Promise<CreateStatus>;
  describeCreateAccountStatus(requestId: string): Promise<CreateStatus>;
  /** The account with this email (case-insensitive), if the organization has one. */
  findAccountByEmail(email: string): Promise<{ id: string; state: string } | undefined>;
  /** The newest IN_PROGRESS or SUCCEEDED CreateAccount request for this account name made at or after `sinceMs`. */
  findCreateRequest(name: string, sinceMs: number): Promise<CreateStatus | undefined>;
  parentOf(accountId: string): Promise<string>;
  moveAccount(accountId: string, sourceParentId: string, destinationParentId: string): Promise<void>;
  tagAccount(accountId: string, tags: Tags): Promise<void>;
  /** 'already-closed' when AWS says AccountAlreadyClosedException. */
  closeAccount(accountId: string): Promise<'requested' | 'already-closed'>;
  /** State (ACTIVE, PENDING_CLOSURE, SUSPENDED) from DescribeAccount. */
  accountState(accountId: string): Promise<string>;
  /** 'already-removed' when the organization no longer knows the account. */
  removeAccount(accountId: string): Promise<'removed' | 'already-removed'>;
}

const toTags = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

function toStatus(s: CreateAccountStatus | undefined, what: string): CreateStatus {
  if (!s?.Id || !s.State) throw new Error(`${what} returned no CreateAccountStatus`);
  return {
    requestId: s.Id,
    state: s.State as CreateState,
    accountId: s.AccountId || undefined,
    failureReason: s.FailureReason || undefined,
  };
}

export function sdkAccountApi(org: OrganizationsClient): AccountApi {
  return {
    async createAccount(input) {
      const out = await org.send(
        new CreateAccountCommand({
          Email: input.email,
          AccountName: input.name,
          RoleName: input.roleName,
          IamUserAccessToBilling: input.iamUserAccessToBilling,
          Tags: Object.keys(input.tags).length ? toTags(input.tags) : undefined,
        }),
      );
      return toStatus(out.CreateAccountStatus, 'CreateAccount');
    },
    async describeCreateAccountStatus(requestId) {
      const out = await org.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }));
      return toStatus(out.CreateAccountStatus, 'DescribeCreateAccountStatus');
    },
    async findAccountByEmail(email) {
      const want = email.toLowerCase();
      for await (const page of paginateListAccounts({ client: org }, {})) {
        for (const a of page.Accounts ?? []) {
          if (a.Email?.toLowerCase() === want && a.Id) return { id: a.Id, state: a.State ?? a.Status ?? 'ACTIVE' };
        }
      }
      return undefined;
    },
    async findCreateRequest(name, sinceMs) {
      let best: CreateAccountStatus | undefined;
      for await (const page of paginateListCreateAccountStatus({ client: org }, { States: ['IN_PROGRESS', 'SUCCEEDED'] })) {
        for (const s of page.CreateAccountStatuses ?? []) {
          const at = s.RequestedTimestamp?.getTime() ?? 0;
          // Timestamps are whole seconds on the wire: allow the second the marker was written in.
          if (s.AccountName !== name || at < Math.floor(sinceMs / 1000) * 1000) continue;
          if (!best || at > (best.RequestedTimestamp?.getTime() ?? 0)) best = s;
        }
      }
      return best ? toStatus(best, 'ListCreateAccountStatus') : undefined;
    },
    async parentOf(accountId) {
      const out = await org.send(new ListParentsCommand({ ChildId: accountId }));
      const id = out.Parents?.[0]?.Id;
      if (!id) throw new Error(`ListParents returned no parent for account ${accountId}`);
      return id;
    },
    async moveAccount(accountId, sourceParentId, destinationParentId) {
      await org.send(new MoveAccountCommand({ AccountId: accountId, SourceParentId: sourceParentId, DestinationParentId: destinationParentId }));
    },
    async tagAccount(accountId, tags) {
      await org.send(new TagResourceCommand({ ResourceId: accountId, Tags: toTags(tags) }));
    },
    async closeAccount(accountId) {
      try {
        await org.send(new CloseAccountCommand({ AccountId: accountId }));
        return 'requested';
      } catch (e) {
        if (isAwsError(e, 'AccountAlreadyClosedException')) return 'already-closed';
        throw e;
      }
    },
    async accountState(accountId) {
      const out = await org.send(new DescribeAccountCommand({ AccountId: accountId }));
      const a = out.Account;
      if (!a) throw new Error(`DescribeAccount returned no account for ${accountId}`);
      return a.State ?? a.Status ?? 'ACTIVE';
    },
    async removeAccount(accountId) {
      // Look first: a second RemoveAccountFromOrganization for a gone account is not a clean
      // AccountNotFoundException everywhere (moto answers AWSOrganizationsNotInUseException).
      try {
        await org.send(new DescribeAccountCommand({ AccountId: accountId }));
      } catch (e) {
        if (isAwsError(e, 'AccountNotFoundException')) return 'already-removed';
        throw e;
      }
      try {
        await org.send(new RemoveAccountFromOrganizationCommand({ AccountId: accountId }));
        return 'removed';
      } catch (e) {
        if (isAwsError(e, 'AccountNotFoundException')) return 'already-removed';
        throw e;
      }
    },
  };
}
