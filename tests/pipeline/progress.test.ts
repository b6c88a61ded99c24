import { describe, expect, test } from 'vitest';
import { describe as describeEvent, fractionDone } from '../../src/pipeline/progress.ts';
import type { ProgressEvent } from '../../src/pipeline/schemas.ts';

const event = (fields: Partial<ProgressEvent>): ProgressEvent => ({ protocol: 1, event: 'progress', phase: 'train', ...fields }) as ProgressEvent;

describe('progress of a cell', () => {
  test("a training runner's per-epoch event (no step: spec rule 9) closes its epoch", () => {
    expect(fractionDone(event({ repeat: 2, repeats: 5, epoch: 1, epochs: 1, loss: 0.7 }))).toBeCloseTo(2 / 5);
    expect(fractionDone(event({ repeat: 1, repeats: 1, epoch: 2, epochs: 4 }))).toBeCloseTo(2 / 4);
  });

  test('a step event counts the steps within its epoch; an event without counters gives no fraction', () => {
    expect(fractionDone(event({ repeat: 1, repeats: 2, epoch: 1, epochs: 1, step: 10, steps: 40 }))).toBeCloseTo(0.125);
    expect(fractionDone(event({ phase: 'eval', repeat: 1, repeats: 2 }))).toBeNull();
    expect(fractionDone(event({ step: 3 }))).toBeNull(); // steps unknown
  });

  test('the line names the counters it has', () => {
    expect(describeEvent(event({ repeat: 2, repeats: 5, epoch: 1, epochs: 1, loss: 0.69312 }))).toBe('train repeat 2/5 epoch 1/1 loss 0.6931');
  });
});
