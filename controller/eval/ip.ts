// IpAddress / NotIpAddress: does an address fall in a CIDR block (IPv4 or IPv6)? A policy value
// without a prefix length is a single address (/32 or /128), as AWS reads it.

interface Parsed {
  v6: boolean;
  bits: bigint;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function groupsOf(part: string): number[] | undefined {
  if (part === '') return [];
  const out: number[] = [];
  for (const g of part.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    out.push(parseInt(g, 16));
  }
  return out;
}

function parseV6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
}

function parseAddress(s: string): Parsed | undefined {
  if (s.includes(':')) {
    const bits = parseV6(s);
    return bits === undefined ? undefined : { v6: true, bits };
  }
  const bits = parseV4(s);
  return bits === undefined ? undefined : { v6: false, bits };
}

/** True when `address` is inside `cidr`; false for anything that does not parse. */
export function ipInCidr(cidr: string, address: string): boolean {
  const [base, prefixText] = cidr.trim().split('/');
  const net = parseAddress(base);
  const ip = parseAddress(address.trim());
  if (!net || !ip || net.v6 !== ip.v6) return false;
  const width = net.v6 ? 128 : 32;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return false;
  const shift = BigInt(width - prefix);
  return net.bits >> shift === ip.bits >> shift;
}

/** For the validator: is this a well-formed address or CIDR block? */
export const isCidr = (s: string): boolean => {
  const [base, prefix] = s.split('/');
  const a = parseAddress(base);
  if (!a) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (a.v6 ? 128 : 32));
};
