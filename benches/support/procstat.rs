//! CPU time of waited-for child processes, for the benches that time a command from outside.

use std::time::Duration;

/// CPU time of the children waited for so far (the `cutime` and `cstime` fields of
/// `/proc/self/stat`, in clock ticks of 10 ms).
pub fn children_cpu() -> Duration {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // After the `(comm)`, which may contain spaces: cutime and cstime are the 14th and
            // 15th fields.
            let rest = &s[s.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks =
                fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
            Some(Duration::from_millis(ticks * 10))
        })
        .unwrap_or(Duration::ZERO)
}
