// CustomResourceDefinitions for the six org kinds and Approval, generated from the TypeBox schemas so that the
// cluster and the CLI accept the same shapes. scripts/gen-crds.ts writes them to crds/, and
// test/unit/crds.test.ts fails when the files drift from this generator.
import { stringify } from 'yaml';
import { APPROVAL_KIND, APPROVAL_PLURAL, ApprovalSpec, ApprovalStatus, GROUP, KINDS, VERSION, type Kind } from './schemas.js';

type Json = Record<string, unknown>;

interface KindInfo {
  plural: string;
  shortNames: string[];
  columns: { name: string; type: string; jsonPath: string; description?: string; priority?: number }[];
}

const ready = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' };
const synced = (priority?: number) => ({
  name: 'Synced',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Synced")].status',
  ...(priority ? { priority } : {}),
});
const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** SCPs and RCPs show the same columns: id, how many targets, document size. */
const guardrailColumns = [
  { name: 'ID', type: 'string', jsonPath: '.status.id' },
  { name: 'Attached', type: 'integer', jsonPath: '.status.attachedTo', description: 'Roots, OUs and accounts it is attached to' },
  { name: 'Size', type: 'integer', jsonPath: '.status.size', description: 'Characters in the minified document' },
  ready,
  synced(1),
  age,
];
export const KIND_INFO: Record<Kind, KindInfo> = {
  Organization: {
    plural: 'organizations',
    shortNames: ['org', 'orgs'],
    columns: [
      { name: 'ID', type: 'string', jsonPath: '.status.id' },
      { name: 'Root', type: 'string', jsonPath: '.status.rootId' },
      { name: 'Pending', type: 'integer', jsonPath: '.status.pendingChanges', description: 'Changes the last plan still has to apply' },
      ready,
      synced(1),
      age,
    ],
  },
  OrganizationalUnit: {
    plural: 'organizationalunits',
    shortNames: ['ou', 'ous'],
    columns: [
      { name: 'ID', type: 'string', jsonPath: '.status.id' },
      { name: 'Parent', type: 'string', jsonPath: '.spec.parent' },
      { name: 'Path', type: 'string', jsonPath: '.status.path' },
      ready,
      synced(1),
      age,
    ],
  },
  Account: {
    plural: 'accounts',
    shortNames: ['acct', 'accts'],
    columns: [
      { name: 'Account-ID', type: 'string', jsonPath: '.status.id' },
      { name: 'OU', type: 'string', jsonPath: '.status.ou' },
      { name: 'State', type: 'string', jsonPath: '.status.state' },
      ready,
      synced(1),
      age,
    ],
  },
  ServiceControlPolicy: {
    plural: 'servicecontrolpolicies',
    shortNames: ['scp', 'scps'],
    columns: guardrailColumns,
  },
  ResourceControlPolicy: {
    plural: 'resourcecontrolpolicies',
    shortNames: ['rcp', 'rcps'],
    columns: guardrailColumns,
  },
  ManagementPolicy: {
    plural: 'managementpolicies',
    shortNames: ['mpol', 'mpols'],
    columns: [
      { name: 'Type', type: 'string', jsonPath: '.spec.type' },
      { name: 'ID', type: 'string', jsonPath: '.status.id' },
      { name: 'Attached', type: 'integer', jsonPath: '.status.attachedTo', description: 'Roots, OUs and accounts it is attached to' },
      ready,
      synced(1),
      age,
    ],
  },
  PermissionSet: {
    plural: 'permissionsets',
    shortNames: ['pset', 'psets'],
    columns: [
      { name: 'ARN', type: 'string', jsonPath: '.status.arn' },
      { name: 'Accounts', type: 'integer', jsonPath: '.status.assignedAccounts' },
      ready,
      synced(1),
      age,
    ],
  },
  CrossAccountRole: {
    plural: 'crossaccountroles',
    shortNames: ['xrole', 'xroles'],
    columns: [
      { name: 'Role', type: 'string', jsonPath: '.spec.roleName' },
      { name: 'Ready', type: 'string', jsonPath: '.status.ready', description: 'Accounts with the role in place (N/M)' },
      synced(),
      age,
    ],
  },
};

/**
 * TypeBox JSON schema -> structural OpenAPI v3 schema: literal unions become enums, records
 * become additionalProperties, free-form JSON keeps x-kubernetes-preserve-unknown-fields, and
 * TypeBox-only keywords (and Symbol keys, dropped by the JSON round trip) go away. Defaults are
 * dropped on purpose: orgplane applies them itself (model/build.ts), so the stored object stays
 * what the user wrote and a CLI run and the controller see the same spec.
 */
export function toStructural(schema: unknown): Json {
  const s = JSON.parse(JSON.stringify(schema)) as Json;
  return convert(s);
}

function convert(s: Json): Json {
  if (s['x-kubernetes-preserve-unknown-fields'] === true) {
    return { ...(s.description ? { description: s.description } : {}), 'x-kubernetes-preserve-unknown-fields': true };
  }
  const out: Json = {};
  if (typeof s.description === 'string') out.description = s.description;
  if (Array.isArray(s.anyOf)) {
    const options = s.anyOf as Json[];
    if (options.every((o) => o.const !== undefined && typeof o.const === typeof options[0].const)) {
      out.type = typeof options[0].const === 'number' ? 'number' : typeof options[0].const;
      out.enum = options.map((o) => o.const);
      return out;
    }
    throw new Error(`cannot express anyOf of non-literals in a structural schema: ${JSON.stringify(s)}`);
  }
  if (s.const !== undefined) return { ...out, type: typeof s.const, enum: [s.const] };
  const type = s.type as string | undefined;
  if (!type) throw new Error(`schema without a type: ${JSON.stringify(s)}`);
  out.type = type;
  for (const k of ['minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'minItems', 'maxItems', 'maxProperties', 'format', 'x-kubernetes-validations']) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  if (type === 'object') {
    if (s.properties) {
      out.properties = Object.fromEntries(Object.entries(s.properties as Record<string, Json>).map(([k, v]) => [k, convert(v)]));
      if (Array.isArray(s.required) && s.required.length > 0) out.required = s.required;
    } else if (s.patternProperties) {
      out.additionalProperties = convert(Object.values(s.patternProperties as Record<string, Json>)[0]);
    }
  }
  if (type === 'array' && s.items) out.items = convert(s.items as Json);
  return out;
}

/**
 * Approvals: what they let through, for which resource, their state and who granted them.
 * APPROVES and EXPIRES are written by the controller (it resolves ttl and renders the operation).
 */
export const APPROVAL_INFO: KindInfo = {
  plural: APPROVAL_PLURAL,
  shortNames: ['appr', 'apprs'],
  columns: [
    { name: 'Resource', type: 'string', jsonPath: '.spec.resource' },
    { name: 'Approves', type: 'string', jsonPath: '.status.approves', description: 'The exact change: Migration FROM -> TO, or OrgWide FINGERPRINT' },
    { name: 'State', type: 'string', jsonPath: '.status.state', description: 'Pending, Consumed, Expired or Stale' },
    { name: 'Granted-By', type: 'string', jsonPath: '.spec.grantedBy' },
    { name: 'Expires', type: 'string', jsonPath: '.status.expiresAt' },
    age,
    { name: 'Generation', type: 'integer', jsonPath: '.spec.generation', priority: 1 },
    { name: 'Consumed-By', type: 'string', jsonPath: '.status.consumedBy.op', priority: 1 },
    { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
  ],
};

export function buildCrd(kind: Kind): Json {
  return crdFor(kind, KIND_INFO[kind], KINDS[kind]);
}

function crdFor(kind: string, info: KindInfo, k: { spec: unknown; status: unknown }): Json {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'orgplane' } },
    spec: {
      group: GROUP,
      names: { kind, listKind: `${kind}List`, plural: info.plural, singular: kind.toLowerCase(), shortNames: info.shortNames, categories: ['orgplane'] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: info.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: toStructural(k.spec),
                status: toStructural(k.status),
              },
            },
          },
        },
      ],
    },
  };
}

export const buildApprovalCrd = (): Json => crdFor(APPROVAL_KIND, APPROVAL_INFO, { spec: ApprovalSpec, status: ApprovalStatus });

export const buildCrds = (): Json[] => [...(Object.keys(KINDS) as Kind[]).map(buildCrd), buildApprovalCrd()];

export const crdFileName = (crd: Json): string => `${(crd.metadata as { name: string }).name}.yaml`;

const HEADER = '# Generated by scripts/gen-crds.ts from controller/api/schemas.ts; do not edit.\n';

export const renderCrdYaml = (crd: Json): string => HEADER + stringify(crd, { lineWidth: 0 });

export const renderKustomization = (crds: Json[]): string =>
  HEADER + stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: crds.map(crdFileName) }, { lineWidth: 0 });
