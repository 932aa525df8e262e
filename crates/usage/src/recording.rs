//! An in-memory adapter that keeps the registered values, for tests of the functions that
//! register keys.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{UsageError, UsageKeys};

/// Keeps registrations in memory; can be told to fail.
#[derive(Debug, Default)]
pub struct RecordingUsageKeys {
    keys: Mutex<BTreeMap<String, String>>,
    failing: Mutex<bool>,
}

impl RecordingUsageKeys {
    /// The registered values and their descriptions.
    pub fn registered(&self) -> BTreeMap<String, String> {
        self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// From now on every call fails (an outage of API Gateway), or works again.
    pub fn fail(&self, failing: bool) {
        *self.failing.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = failing;
    }

    fn check(&self) -> Result<(), UsageError> {
        match *self.failing.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            true => Err(UsageError::Failed("API Gateway is unreachable".into())),
            false => Ok(()),
        }
    }
}

#[async_trait]
impl UsageKeys for RecordingUsageKeys {
    async fn register(&self, value: &str, description: &str) -> Result<(), UsageError> {
        self.check()?;
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(value.to_owned(), description.to_owned());
        Ok(())
    }

    async fn deregister(&self, value: &str) -> Result<(), UsageError> {
        self.check()?;
        self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(value);
        Ok(())
    }
}
