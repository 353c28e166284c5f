#pragma once
// Whether this test (and so the agent it runs, built alongside) is instrumented by
// AddressSanitizer: its quarantine keeps freed memory resident and its runtime needs /proc, so
// memory bounds and chroot'ed runs are only meaningful in the normal build.

namespace gic::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool address_sanitizer = true;
#else
inline constexpr bool address_sanitizer = false;
#endif

}  // namespace gic::test
