//! What an administrator sets from the app; the config file gives the defaults.
use crate::{Code, FieldError, Invalid, Msg};
use serde::{Deserialize, Serialize};

/// The settings in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// For how many days a finished import can be undone (its change log is kept that
    /// long), from 1 to 3,650.
    pub import_undo_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            import_undo_days: 30,
        }
    }
}

/// The most days an import can stay undoable: ten years.
pub const MAX_IMPORT_UNDO_DAYS: u32 = 3650;

/// A change to the settings (a JSON merge patch): the settings given, the others kept.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub import_undo_days: Option<i64>,
}

impl SettingsPatch {
    /// The settings once this change is made to `current`, or every value that is wrong.
    pub fn apply(&self, current: Settings) -> Result<Settings, Invalid> {
        let mut next = current;
        let mut errors = Vec::new();
        if let Some(days) = self.import_undo_days {
            match u32::try_from(days)
                .ok()
                .filter(|d| (1..=MAX_IMPORT_UNDO_DAYS).contains(d))
            {
                Some(d) => next.import_undo_days = d,
                None => errors.push(FieldError::new(
                    "import_undo_days",
                    Msg::new(Code::OutOfRange)
                        .with("min", 1)
                        .with("max", MAX_IMPORT_UNDO_DAYS),
                )),
            }
        }
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(Invalid(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_undo_time_of_imports_is_kept_within_ten_years() {
        let now = Settings::default();
        let set = |d| SettingsPatch {
            import_undo_days: Some(d),
        };
        assert_eq!(set(7).apply(now).unwrap().import_undo_days, 7);
        assert_eq!(SettingsPatch::default().apply(now).unwrap(), now);
        for bad in [0, -1, 3651, i64::MAX] {
            let err = set(bad).apply(now).unwrap_err();
            assert_eq!(err.0[0].field, "import_undo_days", "{bad}");
        }
    }
}
