"""glibc's malloc, told to keep freed memory: for a process that tracks files.

Tracking allocates the same few arrays for every block of every file (the
high-pass filter's and the level meter's float64 copies of a block: 0.4 MB
for 8 s). glibc serves blocks above its mmap threshold (128 kB at start)
with fresh pages and gives them back when freed, unless an earlier large
free raised that threshold. Which happens first is an accident of the
allocation order: on a folder of 40 files of 3 s, the same work took 70,000
page faults or 28,000 depending on it, and the kernel time of the faults was
a tenth of the CPU time. Fixing both thresholds makes the process reuse its
freed memory every time.

`pitchfit predict` calls this once, for its own process; `pitchfit.predict`
does not, as a library should not change its host's allocator.
"""

import ctypes
import sys

# mallopt's parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Blocks up to 32 MB come from the heap; up to 64 MB of free heap is kept.
MMAP_THRESHOLD_BYTES = 32 << 20
TRIM_THRESHOLD_BYTES = 64 << 20


def keep_freed_memory():
  """Sets glibc's mmap and trim thresholds; True if it could (Linux only)."""
  if not sys.platform.startswith('linux'):
    return False
  try:
    mallopt = ctypes.CDLL(None).mallopt
  except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt)
    return False
  mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
  mallopt.restype = ctypes.c_int
  return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
              and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
