// Measures how long loading a synthetic organization into moto takes (no orgplane involved):
//   npx tsx bench/load-synthetic.ts [accounts=1000] [concurrency=8]
import { startMoto, createOrganization } from '../test/support/moto.js';
import { generateSyntheticOrg, loadIntoMoto, syntheticManifests } from '../test/support/synthetic-org.js';

const n = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 8);
const moto = await startMoto();
try {
  await createOrganization(moto.endpoint);
  const org = generateSyntheticOrg({ accounts: n });
  console.log(`accounts ${n}, OUs ${org.ous.length}, SCPs ${org.policies.length}, manifests ${syntheticManifests(org).length}`);
  const r = await loadIntoMoto(org, moto.endpoint, { concurrency, onProgress: (m) => console.log(`  ${m}`) });
  console.log(JSON.stringify({ accounts: n, concurrency, timings: r.timings, calls: r.calls }));
} finally {
  await moto.stop();
}
