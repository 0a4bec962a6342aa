// Policy documents as data for the planner: "has it changed?" and the parsed form Op.change
// carries for renderers. One canonical form (model/policy-json.ts) serves the planner and the
// renderer, so a change the plan reports is a change the diff can show. Pure.
import { canonicalJson, parsePolicy, samePolicy } from '../model/policy-json.js';

export { canonicalJson };

/** Policy documents compared as IAM reads them: whitespace, key order, list order do not matter. */
export const sameJson = (a: string, b: string): boolean => samePolicy(a, b);

/** A policy document as data for Op.change; text that is not JSON stays text, '' is null. */
export const parsedDoc = (doc: string): unknown => parsePolicy(doc) ?? null;
