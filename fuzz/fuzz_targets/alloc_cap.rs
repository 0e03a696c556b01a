//! A global allocator for the fuzz targets that aborts on any single allocation over
//! [`MAX_ALLOC`]: libFuzzer's own `-malloc_limit_mb` needs a sanitizer's malloc hooks, which
//! this stable, sanitizer-free build does not have, and `-rss_limit_mb` only sees memory that
//! is touched. An input that makes a parser ask for that much (a length taken from the input,
//! say) is a bug: the abort makes libFuzzer report a crash and save the input.

use std::alloc::{GlobalAlloc, Layout, System};

/// Far above anything a 64 KiB input (`-max_len`) justifies.
pub const MAX_ALLOC: usize = 256 << 20;

pub struct CappedAlloc;

impl CappedAlloc {
    fn check(size: usize) {
        if size > MAX_ALLOC {
            // No unwinding out of an allocator; abort is what libFuzzer reports.
            eprintln!("fuzz: allocation of {size} bytes (cap {MAX_ALLOC})");
            std::process::abort();
        }
    }
}

// SAFETY: every call forwards to `System` with the caller's layout, unchanged.
unsafe impl GlobalAlloc for CappedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::check(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, as `System` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::check(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout (every allocation goes through it).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::check(new_size);
        // SAFETY: as for `dealloc`; `new_size` is the caller's, checked for the cap above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
