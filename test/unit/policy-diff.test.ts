import { describe, expect, it } from 'vitest';
import jsonpatch from 'fast-json-patch';
import { canonicalJson, canonicalPolicy, canonicalValue, parsePolicy, samePolicy } from '../../controller/model/policy-json.js';
import { diffLines, diffPolicies, isEmptyDiff, leaves, showValue } from '../../controller/plan/policy-diff.js';

const doc = (...Statement: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement });
const lines = (before: unknown, after: unknown): string[] => diffLines(diffPolicies(before, after)).map((l) => `${'  '.repeat(l.depth)}${l.sign} ${l.text}`);

describe('policy-json: one canonical form', () => {
  it('ignores key order, whitespace, string-list order, duplicates, ["x"] vs "x" and statement order', () => {
    const a = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["b","a"],"Resource":["*"]},{"Effect":"Allow","Action":"*","Resource":"*"}]}';
    const b = `{
      "Statement": [
        { "Resource": "*", "Action": "*", "Effect": "Allow" },
        { "Action": ["a", "b", "a"], "Effect": "Deny", "Resource": "*" }
      ],
      "Version": "2012-10-17"
    }`;
    expect(samePolicy(a, b)).toBe(true);
    expect(samePolicy(JSON.parse(a), b)).toBe(true);
    expect(samePolicy(a, a.replace('"Deny"', '"Allow"'))).toBe(false);
  });

  it('keeps the historical outputs of the planner helpers', () => {
    expect(canonicalPolicy('{"b":["y","x"],"a":["z"]}')).toBe('{"a":"z","b":["x","y"]}');
    expect(canonicalPolicy('')).toBe('');
    expect(canonicalPolicy('not json')).toBe('not json');
    expect(canonicalJson({ b: 1, a: [2, 1] })).toBe('{"a":[2,1],"b":1}');
    expect(canonicalValue([{ b: 1 }, { a: 1 }])).toEqual([{ a: 1 }, { b: 1 }]);
    expect(parsePolicy('')).toBeUndefined();
    expect(parsePolicy('{"a":1}')).toEqual({ a: 1 });
  });
});

describe('diffPolicies', () => {
  const denyRegions = (regions: string[], notAction = ['iam:*', 'sts:*']) => ({
    Sid: 'DenyRegions',
    Effect: 'Deny',
    NotAction: notAction,
    Resource: '*',
    Condition: { StringNotEquals: { 'aws:RequestedRegion': regions } },
  });

  it('matches statements by Sid and reports field-level changes', () => {
    const d = diffPolicies(doc(denyRegions(['eu-west-1', 'us-east-1'])), doc(denyRegions(['eu-west-1'], ['iam:*', 'sts:*', 'support:*'])));
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toHaveLength(1);
    expect(d.changed[0].label).toBe('"DenyRegions"');
    expect(d.changed[0].fields).toEqual([
      { field: 'NotAction', removed: [], added: ['support:*'] },
      { field: 'Condition', removed: ['StringNotEquals aws:RequestedRegion = us-east-1'], added: [] },
    ]);
    expect(lines(doc(denyRegions(['eu-west-1', 'us-east-1'])), doc(denyRegions(['eu-west-1'])))).toEqual([
      '~ Statement "DenyRegions"',
      '  - Condition: StringNotEquals aws:RequestedRegion = us-east-1',
    ]);
  });

  it('matches Sid-less statements by content, then pairs the most alike as an edit', () => {
    const before = doc({ Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }, { Effect: 'Allow', Action: 'ec2:*', Resource: '*' });
    const after = doc(
      { Effect: 'Allow', Action: 'ec2:*', Resource: '*' },
      { Effect: 'Deny', Action: ['s3:DeleteBucket', 's3:PutBucketPolicy'], Resource: '*' },
    );
    const d = diffPolicies(before, after);
    expect(d.unchanged).toBe(1);
    expect(d.changed.map((c) => [c.label, c.fields])).toEqual([['#2', [{ field: 'Action', removed: [], added: ['s3:PutBucketPolicy'] }]]]);
  });

  it('lists added and removed statements with every field, and an Effect flip as a change', () => {
    const before = doc({ Sid: 'Old', Effect: 'Allow', Action: 'ec2:*', Resource: '*' }, { Sid: 'Flip', Effect: 'Allow', Action: 's3:*', Resource: '*' });
    const after = doc(
      { Sid: 'Flip', Effect: 'Deny', Action: 's3:*', Resource: '*' },
      { Sid: 'New', Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:root' } } },
    );
    expect(lines(before, after)).toEqual([
      '~ Statement "Flip"',
      '  - Effect: Allow',
      '  + Effect: Deny',
      '+ Statement "New"',
      '  + Effect: Deny',
      '  + Action: *',
      '  + Resource: *',
      '  + Condition: StringLike aws:PrincipalArn = arn:aws:iam::*:root',
      '- Statement "Old"',
      '  - Effect: Allow',
      '  - Action: ec2:*',
      '  - Resource: *',
    ]);
  });

  it('never pairs two statements with different Sids', () => {
    const d = diffPolicies(
      doc({ Sid: 'A', Effect: 'Deny', Action: 's3:*', Resource: '*' }),
      doc({ Sid: 'B', Effect: 'Deny', Action: ['s3:*', 'ec2:*'], Resource: '*' }),
    );
    expect(d.changed).toEqual([]);
    expect(d.added.map((e) => e.label)).toEqual(['"B"']);
    expect(d.removed.map((e) => e.label)).toEqual(['"A"']);
  });

  it('reports a Sid rename of identical content as a Sid change', () => {
    const d = diffPolicies(doc({ Sid: 'A', Effect: 'Deny', Action: 's3:*', Resource: '*' }), doc({ Sid: 'B', Effect: 'Deny', Action: 's3:*', Resource: '*' }));
    expect(d.changed.map((c) => c.fields)).toEqual([[{ field: 'Sid', removed: ['A'], added: ['B'] }]]);
  });

  it('is empty for equivalent documents, and treats a missing side as all added / all removed', () => {
    const a = doc({ Effect: 'Allow', Action: ['b', 'a'], Resource: '*' });
    const b = '{"Statement":{"Resource":["*"],"Action":["a","b"],"Effect":"Allow"},"Version":"2012-10-17"}';
    const same = diffPolicies(a, b);
    expect(isEmptyDiff(same)).toBe(true);
    expect(same.patch).toEqual([]);
    expect(diffPolicies(undefined, a).added).toHaveLength(1);
    expect(lines('', a)).toEqual(['+ Version: 2012-10-17', '+ Statement #1', '  + Effect: Allow', '  + Action: a', '  + Action: b', '  + Resource: *']);
    expect(diffPolicies(a, null).removed).toHaveLength(1);
  });

  it('shows document fields and text that is not JSON as whole values', () => {
    expect(lines('{"Version":"2008-10-17","Statement":[]}', '{"Version":"2012-10-17","Statement":[]}')).toEqual([
      '- Version: 2008-10-17',
      '+ Version: 2012-10-17',
    ]);
    expect(lines('not json', 'still not json')).toEqual(['- (document): "not json"', '+ (document): "still not json"']);
  });

  it('gives an RFC 6902 patch that turns the canonical before into the canonical after', () => {
    const before = doc(denyRegions(['eu-west-1', 'us-east-1']), { Effect: 'Allow', Action: '*', Resource: '*' });
    const after = doc(denyRegions(['eu-west-1']));
    const d = diffPolicies(before, after);
    const applied = jsonpatch.applyPatch(canonicalValue(JSON.parse(before)), d.patch, false, false).newDocument;
    expect(canonicalJson(applied)).toBe(canonicalPolicy(after));
  });

  it('quotes values a reviewer could misread and flattens objects into key paths', () => {
    expect(showValue('s3:*')).toBe('s3:*');
    expect(showValue('a b')).toBe('"a b"');
    expect(showValue('x\ny')).toBe('"x\\ny"');
    expect(showValue('')).toBe('""');
    expect(showValue(true)).toBe('true');
    expect(leaves({ AWS: ['arn:b', 'arn:a'] })).toEqual(['AWS = arn:b', 'AWS = arn:a']);
    expect(leaves({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } })).toEqual(['Bool aws:MultiFactorAuthPresent = true']);
  });
});
