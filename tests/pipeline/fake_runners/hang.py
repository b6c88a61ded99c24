import time
from common import progress
progress(phase="train")
time.sleep(600)
