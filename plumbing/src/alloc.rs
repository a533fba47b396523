//! The allocator of every program linking this crate (the four programs, the launcher, the load
//! generator). glibc's malloc keeps the heap a burst of thousands of connections grew (the hub
//! and the SP stayed at 140–220 MB after 2 000 journeys in flight had ended); mimalloc returns
//! freed pages to the system shortly after, so a program comes back near its idle size once its
//! sessions, codes and tokens expire. Measured in `BENCHMARKS.md`, "Memory".

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
