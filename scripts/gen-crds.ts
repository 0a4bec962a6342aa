// Writes crds/<plural>.orgplane.io.yaml and crds/kustomization.yaml from the TypeBox schemas.
// Usage: npx tsx scripts/gen-crds.ts [outDir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCrds, crdFileName, renderCrdYaml, renderKustomization } from '../controller/api/crds.js';

const outDir = process.argv[2] ?? 'crds';
mkdirSync(outDir, { recursive: true });
const crds = buildCrds();
for (const crd of crds) {
  writeFileSync(join(outDir, crdFileName(crd)), renderCrdYaml(crd));
  console.log(`wrote ${join(outDir, crdFileName(crd))}`);
}
writeFileSync(join(outDir, 'kustomization.yaml'), renderKustomization(crds));
console.log(`wrote ${join(outDir, 'kustomization.yaml')}`);
