// `npm run plan -- --target h100`: writes the plan of one target, its cells missing from the cache
// for the current inputs, for scripts/execute-plan.py to run where that target is.
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../src/pipeline/files.ts';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../src/pipeline/errors.ts';
import { plan } from '../src/pipeline/plan.ts';
import { offlinePlan, splitPlan } from '../src/pipeline/offline.ts';
import { checkFilters, oneOf, openProject, optionList as list, reportError } from '../src/pipeline/project.ts';
import { ModeSchema, ProfileSchema } from '../src/pipeline/schemas.ts';

const HELP = `Usage: npm run plan -- --target ID [options]

Writes the cells of one target that are missing from cache/ for the current inputs, with
everything needed to run them, to plan files. Run them where the target is with
  python3 scripts/execute-plan.py PLAN.json --bundle BUNDLE.json
then bring the bundle back and store it with
  npm run ingest -- BUNDLE.json

Options:
  --target ID          the target (required)
  --framework ID       only these frameworks (repeat or separate with commas)
  --benchmark ID       only these benchmarks
  --mode MODE          only these modes (fp32, fast)
  --profile PROFILE    instead of the target's own profile (full, cpu, smoke)
  --max-cells N        at most N cells per plan file (default: all in one)
  --out DIR            where to write the plan files (default: plans/)
  -h, --help           show this help`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      framework: { type: 'string', multiple: true },
      benchmark: { type: 'string', multiple: true },
      mode: { type: 'string', multiple: true },
      profile: { type: 'string' },
      'max-cells': { type: 'string' },
      out: { type: 'string', default: 'plans' },
      root: { type: 'string', default: '.' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.target) throw new UserError('--target is required (e.g. --target h100)');
  const maxCells = values['max-cells'] === undefined ? Infinity : Number(values['max-cells']);
  if (!(maxCells >= 1)) throw new UserError('--max-cells must be a positive integer');

  const root = resolve(values.root);
  const { content, stored } = await openProject(root, console.error);
  const filters = {
    targets: [values.target],
    frameworks: list(values.framework),
    benchmarks: list(values.benchmark),
    modes: list(values.mode)?.map((mode) => oneOf(ModeSchema.options, mode, '--mode')),
    profile: values.profile === undefined ? undefined : oneOf(ProfileSchema.options, values.profile, '--profile'),
  };
  checkFilters(content, filters);
  const whole = await offlinePlan(root, await plan(root, content, stored, filters), content, values.target);
  if (whole.cells.length === 0) {
    console.error(`nothing to plan: every cell of ${values.target} is cached for the current inputs`);
    return 0;
  }
  const parts = splitPlan(whole, maxCells);
  const dir = resolve(root, values.out);
  await mkdir(dir, { recursive: true });
  const stamp = whole.created_at.replace(/[:.]/g, '-');
  for (const [index, part] of parts.entries()) {
    const path = join(dir, `${values.target}-${stamp}${parts.length > 1 ? `-part${index + 1}` : ''}.json`);
    await writeFileAtomic(path, `${JSON.stringify(part, null, 1)}\n`);
    console.log(`${path}: ${part.cells.length} cells`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportError(error, 'npm run plan')),
);
