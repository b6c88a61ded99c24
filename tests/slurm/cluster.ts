// A real single-node Slurm cluster for the tests, started in a temporary folder: its own munge key
// and socket, slurmctld and slurmd as root on free ports, proctrack/linuxproc (no cgroups), one
// partition of this node. The node declares more CPUs than the machine has (config_overrides), so
// that fake runners, which only sleep, can run several at once on a 2-core machine.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export interface Cluster {
  /** The environment a client (srun, squeue, the build) needs: SLURM_CONF. */
  env: Record<string, string>;
  /** The ids of the jobs in the queue (pending or running) started from the folder `dir`. */
  queue(dir: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** The CPUs the node declares. */
export const CLUSTER_CPUS = 8;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startCluster(): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'rosetta-slurm-'));
  const node = execFileSync('hostname', ['-s'], { encoding: 'utf8' }).trim();
  const key = join(dir, 'munge.key');
  await writeFile(key, randomBytes(1024));
  await chmod(key, 0o400);
  const socket = join(dir, 'munge.sock');
  await execa('/usr/sbin/munged', ['--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${join(dir, 'munged.pid')}`,
    `--log-file=${join(dir, 'munged.log')}`, `--seed-file=${join(dir, 'munged.seed')}`]);
  const conf = join(dir, 'slurm.conf');
  const [controller, daemon] = [await freePort(), await freePort()];
  await mkdir(join(dir, 'state'));
  await mkdir(join(dir, 'spool'));
  await writeFile(conf, [
    // Addresses given, so that the cluster never depends on the host name resolving.
    'ClusterName=rosetta-test', `SlurmctldHost=${node}(127.0.0.1)`, 'SlurmUser=root', 'SlurmdUser=root',
    'AuthType=auth/munge', `AuthInfo=socket=${socket}`, 'CredType=cred/munge',
    'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core',
    'SlurmdParameters=config_overrides', 'MpiDefault=none', 'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none', 'ReturnToService=2', 'InactiveLimit=0', 'KillWait=2', 'MinJobAge=2',
    `SlurmctldPort=${controller}`, `SlurmdPort=${daemon}`, `StateSaveLocation=${join(dir, 'state')}`, `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`, `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`, `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${CLUSTER_CPUS} RealMemory=1000 State=UNKNOWN`,
    `PartitionName=test Nodes=${node} Default=YES MaxTime=INFINITE State=UP`, '',
  ].join('\n'));
  const env = { SLURM_CONF: conf };
  await execa('/usr/sbin/slurmctld', ['-f', conf, '-i']);
  await execa('/usr/sbin/slurmd', ['-f', conf]);
  const queue = async (from: string) =>
    (await execa('squeue', ['-h', '-o', '%i %Z'], { env })).stdout.split('\n').filter((line) => line.endsWith(` ${from}`)).map((line) => line.split(' ')[0]);
  const idle = async () => (await execa('sinfo', ['-h', '-o', '%t'], { env, reject: false })).stdout.trim() === 'idle';
  for (const deadline = Date.now() + 30_000; !(await idle()); ) {
    if (Date.now() > deadline) throw new Error(`the test cluster did not come up:\n${await readFile(join(dir, 'slurmctld.log'), 'utf8').catch(() => '')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    env,
    queue,
    async stop() {
      await execa('scancel', ['--full', '--user=root'], { env, reject: false });
      for (const name of ['slurmd', 'slurmctld', 'munged']) {
        const pid = Number(await readFile(join(dir, `${name}.pid`), 'utf8').catch(() => '0'));
        if (pid) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            // gone already
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
