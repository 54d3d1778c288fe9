//! Kinds of record registered while running (a kind defined only in tests; later kinds by
//! their module), beside those Relais is made of: what each capability (export, import)
//! keeps of them, by the kind's name.
use std::sync::RwLock;

pub struct Registered<T: Copy>(RwLock<Vec<(&'static str, T)>>);

impl<T: Copy> Registered<T> {
    pub const fn new() -> Self {
        Registered(RwLock::new(Vec::new()))
    }

    /// Registers `item` for the kind `name`; a name registered twice keeps the first.
    pub fn add(&self, name: &'static str, item: T) {
        let mut all = self.0.write().unwrap_or_else(|p| p.into_inner());
        if !all.iter().any(|(n, _)| *n == name) {
            all.push((name, item));
        }
    }

    /// `built_in`, then what was registered.
    pub fn after(&self, mut built_in: Vec<T>) -> Vec<T> {
        let all = self.0.read().unwrap_or_else(|p| p.into_inner());
        built_in.extend(all.iter().map(|(_, item)| *item));
        built_in
    }
}

impl<T: Copy> Default for Registered<T> {
    fn default() -> Self {
        Self::new()
    }
}
