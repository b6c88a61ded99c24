from common import progress, result
progress(phase="train", repeat=1, repeats=1, epoch=1, epochs=1, step=1, steps=2, loss=2.0)
progress(phase="train", repeat=1, repeats=1, epoch=1, epochs=1, step=2, steps=2, loss=1.0)
result()
