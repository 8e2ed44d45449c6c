//! Placeholder: the throughput benchmark (bulk import, durable appends with 1 and 32 writers,
//! as-of p50/p99, rebuild, memory, disk) is being written.
fn main() {}
