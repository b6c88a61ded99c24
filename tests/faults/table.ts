// `npm run faults`: injects every fault kind of kinds.ts into a sandbox project and prints the table
// of kinds and their outcomes (Markdown). Exit code 1 when any kind did not hold.
import { KINDS, tryKind } from './kinds.ts';
import { makeSandbox } from './sandbox.ts';

const sandbox = await makeSandbox();
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
console.log('| # | group | fault | expected | outcome | held |');
console.log('|---|---|---|---|---|---|');
let failed = 0;
try {
  for (const [index, kind] of KINDS.entries()) {
    const observed = await tryKind(kind, sandbox);
    if (observed.failures.length) failed += 1;
    const held = observed.failures.length ? `NO: ${observed.failures.join('; ')}` : 'yes';
    console.log(`| ${index + 1} | ${kind.group} | ${cell(kind.fault)} | ${cell(kind.expected)} | ${cell(observed.outcome)} | ${cell(held)} |`);
  }
} finally {
  await sandbox.remove();
}
console.log(`\n${KINDS.length} fault kinds, ${KINDS.length - failed} held, ${failed} did not`);
process.exit(failed ? 1 : 0);
