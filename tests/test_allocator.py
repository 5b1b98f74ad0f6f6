"""pitchfit predict's process keeps its freed memory (glibc's mallopt)."""

import platform
import sys

from pitchfit.track import allocator


def test_glibc_takes_the_thresholds_and_other_libcs_are_left_alone():
  glibc = sys.platform.startswith('linux') and platform.libc_ver()[0] == 'glibc'
  assert allocator.keep_freed_memory() is glibc
