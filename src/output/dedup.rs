//! Drop dispatches whose event `id` was already seen (the platform may replay after a resume).

use std::collections::{HashSet, VecDeque};

/// Remembers the last `capacity` event ids.
#[derive(Debug)]
pub struct Dedup {
    seen: HashSet<String>,
    order: VecDeque<String>,
    capacity: usize,
}

impl Dedup {
    /// Remember up to `capacity` ids (oldest forgotten first).
    pub fn new(capacity: usize) -> Dedup {
        Dedup {
            seen: HashSet::with_capacity(capacity.min(65_536)),
            order: VecDeque::with_capacity(capacity.min(65_536)),
            capacity: capacity.max(1),
        }
    }

    /// `true` the first time an id is seen, `false` for a duplicate.
    pub fn first_time(&mut self, id: &str) -> bool {
        if self.seen.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.seen.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }
}

impl Default for Dedup {
    fn default() -> Self {
        Dedup::new(100_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_duplicates_within_capacity() {
        let mut dedup = Dedup::new(2);
        assert!(dedup.first_time("a"));
        assert!(!dedup.first_time("a"));
        assert!(dedup.first_time("b"));
        assert!(dedup.first_time("c")); // forgets "a"
        assert!(dedup.first_time("a"));
        assert!(!dedup.first_time("c"));
    }
}
