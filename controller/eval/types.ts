// Plain data shared by the SCP/RCP evaluator: requests, parsed policies and results.
// Everything here is JSON-serialisable so that explain can print it and the plan can diff it.

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
export type Effect = 'Allow' | 'Deny';
export type PolicyKind = 'SCP' | 'RCP';

/** Request context: condition keys (any case) -> values. A single value is a one-element array. */
export type ContextInput = Record<string, string | string[] | boolean | number>;

export interface EvalRequest {
  /** "service:Action", e.g. "ec2:RunInstances" (case-insensitive, as AWS matches actions). */
  action: string;
  /** Resource ARN; "*" when the action has no resource. */
  resource?: string;
  /** Principal ARN making the request; needed for the service-linked-role exemption and RCP Principal. */
  principal?: string;
  /** Account that owns the resource, when it differs from the caller's (RCPs apply on this side). */
  resourceAccount?: string;
  context?: ContextInput;
}

/** The request after normalisation: context keys lower-cased (AWS compares key names case-insensitively). */
export interface NormalRequest {
  action: string;
  actionLower: string;
  resource: string;
  principal?: string;
  context: Map<string, string[]>;
}

/** One condition test: Operator -> key -> values. Keys keep their case for display. */
export interface ConditionTest {
  operator: string;
  key: string;
  values: string[];
}

export interface Statement {
  /** 0-based position in the policy's Statement list. */
  index: number;
  sid?: string;
  effect: Effect;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  /** undefined = no Principal element (SCPs); ["*"] = everyone. */
  principal?: string[];
  notPrincipal?: string[];
  conditions: ConditionTest[];
}

export interface ParsedPolicy {
  statements: Statement[];
}

/** A policy attached to a target, with the name and id explain shows. */
export interface AttachedPolicy {
  id: string;
  name: string;
  policy: ParsedPolicy;
}

export interface TargetInfo {
  type: 'root' | 'ou' | 'account';
  id: string;
  name: string;
}

/** Which statement decided a level. */
export interface StatementRef {
  policy: string;
  policyId: string;
  sid?: string;
  index: number;
  effect: Effect;
}

export interface LevelResult {
  kind: PolicyKind;
  target: TargetInfo;
  policies: string[];
  decision: Decision;
  /** The deny that matched, else the allow that matched; absent for an implicit deny. */
  statement?: StatementRef;
}

export interface EvalResult {
  decision: Decision;
  account: TargetInfo;
  action: string;
  resource: string;
  principal?: string;
  /** Set when a rule of AWS lifts the SCPs (or RCPs) off this request, with the reason. */
  scpExemption?: string;
  rcpExemption?: string;
  scpDecision: Decision;
  rcpDecision: Decision;
  levels: LevelResult[];
}
