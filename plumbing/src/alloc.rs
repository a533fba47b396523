//! The allocator of every program linking this crate (the four programs, the launcher, the load
//! generator): mimalloc. Against glibc's malloc in the same sitting it cut the servers' CPU per
//! journey by 29 % (malloc and free were ≈ 14 % of a profile) and gave back part of the heap a
//! burst grew, which glibc kept entirely; it costs ≈ 15–25 MiB more RSS per idle program.
//! Measured in `BENCHMARKS.md`, "Allocator" and "Memory".

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
