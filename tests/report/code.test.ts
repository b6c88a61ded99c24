import { describe, expect, test } from 'vitest';
import { benchmarkRunners, lineCounts } from '../../src/report/code.ts';
import type { Framework } from '../../src/pipeline/schemas.ts';

describe('the code side by side', () => {
  test('counts all lines and the lines of code (not blank, not comment-only)', () => {
    expect(lineCounts('# header\nimport x\n\nx.run()  # go\n')).toEqual({ lines: 4, code: 2 });
    expect(lineCounts('')).toEqual({ lines: 0, code: 0 });
    // TypeScript's comments are //, R's #: a TypeScript line starting with # would be code (a private name)
    expect(lineCounts('// header\nconst x = 1;\n\n#y = 2;\n', 'runners/tfjs/cnn_cifar10.ts')).toEqual({ lines: 4, code: 2 });
    expect(lineCounts('# header\nx <- 1\n', 'runners/r-keras/cnn_cifar10.R')).toEqual({ lines: 2, code: 1 });
  });

  test('shows only the frameworks whose runner file exists, in the frameworks order', () => {
    const framework = (id: string, dir: string) => ({ id, runner_dir: dir }) as Framework;
    const sources = [
      { framework: 'jax', path: 'runners/jax/cnn_cifar10.py', source: 'jax' },
      { framework: 'pytorch', path: 'runners/pytorch/cnn_cifar10.py', source: 'torch' },
      { framework: 'pytorch', path: 'runners/pytorch/gru_imdb.py', source: 'gru' },
    ];
    const frameworks = [framework('pytorch', 'runners/pytorch'), framework('tensorflow', 'runners/tensorflow'), framework('jax', 'runners/jax')];
    expect(benchmarkRunners(frameworks, 'cnn-cifar10', sources).map((r) => r.framework)).toEqual(['pytorch', 'jax']);
    expect(benchmarkRunners(frameworks, 'gru-imdb', sources).map((r) => r.path)).toEqual(['runners/pytorch/gru_imdb.py']);
  });
});
