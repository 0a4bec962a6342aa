// `make run` step: prepares a fresh local emulator (never real AWS: AWS_ENDPOINT_URL must be a
// loopback address) the way a real management account already is.
import { seedEmulator } from './emulator-seed.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
if (!endpoint || !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(endpoint)) {
  console.error('emulator-org: AWS_ENDPOINT_URL must point at a local emulator (http://127.0.0.1:PORT)');
  process.exit(1);
}
const r = await seedEmulator(endpoint);
console.log(`${r.created ? 'created' : 'found'} organization ${r.organizationId}; Identity Center groups: ${r.groups.join(', ')}`);
