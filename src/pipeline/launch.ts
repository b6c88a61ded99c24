// How a cell's runner process is started on its target: directly in this machine's framework
// environment, or behind an argument-array prefix (ssh, srun). Config values are never handed to a
// local shell; the one string ssh sends to the remote shell is built from single-quoted words.
import { execa } from 'execa';
import { PYTHON_PATH } from './files.ts';
import type { Target } from './schemas.ts';

export interface Launch {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** What ran, without this machine's paths: recorded in the cache entry. */
  display: string[];
}

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The process that runs a job on `target`: its Python with `runnerArgs` (job-process.ts's jobArgs).
 * The cell spec goes to standard input (`--cell -`), so nothing needs copying to a remote machine
 * but the runners.
 */
export function launchFor(target: Target, localPython: string | null, root: string, runnerArgs: string[], variables: Record<string, string>): Launch {
  const env = { ...variables, PYTHONPATH: `${root}/${PYTHON_PATH}` };
  switch (target.launch.kind) {
    case 'local': {
      if (!localPython) throw new Error(`no local Python for target ${target.id}`);
      return { file: localPython, args: runnerArgs, env, display: ['python', ...runnerArgs] };
    }
    case 'offline':
      throw new Error(`target ${target.id} is reached by plan / execute / ingest, not launched from here`);
    case 'ssh': {
      const { argv, remote_dir, python } = target.launch;
      const assignments = Object.entries({ ...variables, PYTHONPATH: PYTHON_PATH }).map(([name, value]) => `${name}=${value}`);
      const remote = ['cd', remote_dir, '&&', 'env', ...assignments, python, ...runnerArgs]
        .map((word) => (word === '&&' ? word : shellQuote(word)))
        .join(' ');
      return { file: argv[0], args: [...argv.slice(1), remote], env: {}, display: [...argv, remote] };
    }
    case 'slurm': {
      const { argv, exclusive } = target.launch;
      const python = target.launch.python ?? localPython;
      if (!python) throw new Error(`no Python for target ${target.id}`);
      const options = [...argv.slice(1), ...(exclusive ? ['--exclusive'] : [])];
      return { file: argv[0], args: [...options, python, ...runnerArgs], env, display: [argv[0], ...options, python, ...runnerArgs] };
    }
  }
}

/** Copies runners/ to an ssh target's remote_dir (tar over the same ssh command). */
export async function syncRunners(target: Target, root: string): Promise<void> {
  if (target.launch.kind !== 'ssh') return;
  const { argv, remote_dir } = target.launch;
  const unpack = `mkdir -p ${shellQuote(remote_dir)} && tar -C ${shellQuote(remote_dir)} -xf -`;
  await execa('tar', ['-C', root, '--exclude=__pycache__', '--exclude=tests', '-cf', '-', 'runners']).pipe(argv[0], [...argv.slice(1), unpack]);
}
