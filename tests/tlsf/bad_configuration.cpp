// SPDX-License-Identifier: MIT OR Apache-2.0
// Compiled only by the tlsf_rejects_bad_configuration tests, which expect the
// build to fail on a static_assert naming what is wrong with the
// configuration BAD_FIRST_LEVELS x BAD_SECOND_LEVELS.
#include <rtalloc/tlsf.hpp>

template class rtalloc::Tlsf<BAD_FIRST_LEVELS, BAD_SECOND_LEVELS>;
