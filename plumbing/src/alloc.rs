//! The allocator of every program linking this crate (the four programs, the launcher, the load
//! generator): mimalloc. Against glibc's malloc in the same sitting it cut the servers' CPU per
//! journey by 29 % (malloc and free were ≈ 14 % of a profile) and gave back part of the heap a
//! burst grew, which glibc kept entirely. It is built without asking the kernel for transparent
//! huge pages (the workspace's `no_thp` feature): with them, its arenas were backed by 2 MiB pages
//! that a few small blocks kept resident, and each program idled at 21–34 MiB instead of 11–15.
//! Measured in `BENCHMARKS.md`, "Allocator", "Memory" and "Fifth pass".

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
