// Does one statement apply to a request? Action, Resource, Principal and Condition must all match.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
import type { NormalRequest, Statement } from './types.js';
import { arnMatch, globMatch } from './wildcard.js';
import { substitute } from './variables.js';
import { conditionsHold } from './conditions.js';

/** Actions match case-insensitively, with wildcards. */
export const actionMatches = (patterns: string[], action: string): boolean => patterns.some((p) => globMatch(p, action, true));

/** Action matches, or NotAction does not. */
export function statementActionMatches(s: Statement, action: string): boolean {
  if (s.action) return actionMatches(s.action, action);
  if (s.notAction) return !actionMatches(s.notAction, action);
  return false;
}

/** Resources match case-sensitively, per ARN component, after policy-variable substitution. */
function resourceMatches(patterns: string[], resource: string, context: Map<string, string[]>): boolean {
  return patterns.some((p) => {
    const v = substitute(p, context);
    return v !== undefined && arnMatch(v, resource);
  });
}

export function statementResourceMatches(s: Statement, req: NormalRequest): boolean {
  if (s.resource) return resourceMatches(s.resource, req.resource, req.context);
  if (s.notResource) return !resourceMatches(s.notResource, req.resource, req.context);
  return true;
}

/** Principal "*" is everyone; otherwise ARNs or account ids (any principal of that account). */
function principalMatches(patterns: string[], principal: string | undefined): boolean {
  return patterns.some((p) => {
    if (p === '*') return true;
    if (!principal) return false;
    if (/^\d{12}$/.test(p)) return principal.split(':')[4] === p;
    return arnMatch(p, principal);
  });
}

export function statementPrincipalMatches(s: Statement, principal: string | undefined): boolean {
  if (s.principal) return principalMatches(s.principal, principal);
  if (s.notPrincipal) return !principalMatches(s.notPrincipal, principal);
  return true;
}

/** Everything but the action: the part that depends only on the request, not on which action. */
export const statementRequestMatches = (s: Statement, req: NormalRequest): boolean =>
  statementResourceMatches(s, req) && statementPrincipalMatches(s, req.principal) && conditionsHold(s.conditions, req.context);

export const statementApplies = (s: Statement, req: NormalRequest): boolean => statementActionMatches(s, req.action) && statementRequestMatches(s, req);
