//! An in-memory [`Push`] for unit tests: keeps every post, and answers 410 for connections marked
//! gone, as the `@connections` API does for closed ones.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::{Push, PushError};

/// Keeps what was posted, by connection.
#[derive(Debug, Default)]
pub struct RecordingPush {
    posts: Mutex<Vec<(String, Vec<u8>)>>,
    gone: Mutex<Vec<String>>,
}

impl RecordingPush {
    /// Marks a connection closed: posts to it fail with [`PushError::Gone`].
    pub fn close_connection(&self, connection: &str) {
        self.gone.lock().unwrap_or_else(|p| p.into_inner()).push(connection.to_owned());
    }

    /// Takes the posts so far (connection, message), oldest first.
    pub fn take(&self) -> Vec<(String, Vec<u8>)> {
        std::mem::take(&mut *self.posts.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[async_trait]
impl Push for RecordingPush {
    async fn post(&self, connection: &str, message: &[u8]) -> Result<(), PushError> {
        if self.gone.lock().unwrap_or_else(|p| p.into_inner()).iter().any(|g| g == connection) {
            return Err(PushError::Gone);
        }
        self.posts.lock().unwrap_or_else(|p| p.into_inner()).push((connection.to_owned(), message.to_vec()));
        Ok(())
    }

    async fn close(&self, connection: &str) -> Result<(), PushError> {
        self.close_connection(connection);
        Ok(())
    }

    async fn probe(&self) -> Result<(), PushError> {
        Ok(())
    }
}
