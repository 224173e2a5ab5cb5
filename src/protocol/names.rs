//! Event names (`t`) shared between frames and items. A bot sees a few dozen distinct names, so each is
//! allocated once and every dispatch holds a cheap clone of it.

use std::sync::Arc;

/// Most distinct names kept. Past this (a server inventing names) each new name simply gets
/// its own allocation, so memory stays bounded.
const LIMIT: usize = 64;

/// A small set of event names handed out as shared strings.
#[derive(Debug, Default, Clone)]
pub struct EventNames {
    names: Vec<Arc<str>>,
}

impl EventNames {
    /// The shared copy of `name`.
    pub fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(found) = self.names.iter().find(|known| ***known == *name) {
            return Arc::clone(found);
        }
        let new: Arc<str> = Arc::from(name);
        if self.names.len() < LIMIT {
            self.names.push(Arc::clone(&new));
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shared_and_the_set_stays_bounded() {
        let mut names = EventNames::default();
        let a = names.get("AT_MESSAGE_CREATE");
        let b = names.get("AT_MESSAGE_CREATE");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*names.get("READY"), "READY");
        for i in 0..1000 {
            assert_eq!(
                &*names.get(&format!("INVENTED_{i}")),
                format!("INVENTED_{i}")
            );
        }
        assert_eq!(names.names.len(), LIMIT);
        assert!(Arc::ptr_eq(&a, &names.get("AT_MESSAGE_CREATE")));
    }
}
