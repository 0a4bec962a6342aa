#!/usr/bin/env node
// The `orgplane` command.
// - Installed package (npm pack / npm install -g): runs the compiled CLI in dist/ (prepack builds it).
// - In a checkout (controller/ next to bin/, tsx installed by `make install`): runs the TypeScript
//   source through tsx, so `npx orgplane` is always what the source says, never a stale dist/.
import { existsSync } from 'node:fs';

const source = new URL('../controller/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);

async function fromSource() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    return false; // no tsx (production install of a checkout): use dist/ if there is one
  }
  await import(source.href);
  return true;
}

if (!(existsSync(source) && (await fromSource()))) {
  if (!existsSync(compiled)) {
    process.stderr.write('orgplane: dist/cli/main.js is missing; run `make install` (or `npm run build`) in this checkout\n');
    process.exit(1);
  }
  await import(compiled.href);
}
