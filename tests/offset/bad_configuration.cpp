// SPDX-License-Identifier: MIT OR Apache-2.0
// Compiled only by the offset_heap_rejects_bad_configuration tests, which
// expect the build to fail on a static_assert naming what is wrong with the
// configuration BAD_RECORDS x BAD_GRANULE x BAD_SECOND_LEVELS.
#include <rtalloc/offset_heap.hpp>

template class rtalloc::OffsetHeap<BAD_RECORDS, BAD_GRANULE, BAD_SECOND_LEVELS>;
