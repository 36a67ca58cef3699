"""Hand freed memory back to the operating system between the build's big steps.

Arrow's allocator and the C library keep memory a program has freed, for reuse; a build
that has just loaded two million cells, or converted them for Great Expectations, would
otherwise carry those hundreds of megabytes into the next step and count them twice in its
peak. Both calls only return pages that nothing uses: no data is touched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


def give_back() -> None:
    """Return freed Arrow and C heap memory to the operating system, where it can."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (macOS, musl)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
