//! The local stand-in for IAM credentials: one access key per data dir, generated on first start
//! and kept in `<data-dir>/credentials.json` (mode 0600). The S3 endpoint and the `@connections`
//! management API both require requests signed (SigV4) with it, as AWS requires IAM signatures.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The access key the local stack's AWS endpoints accept.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalCredentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for LocalCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCredentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// The file, in the data dir, that keeps them.
pub const FILE: &str = "credentials.json";

impl LocalCredentials {
    /// The data dir's credentials, created on first use and kept beside the data.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join(FILE);
        if let Some(c) = std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str(&t).ok()) {
            return Ok(c);
        }
        let random = |bytes| podcastflow_identity::tokens::random_token(bytes).map_err(std::io::Error::other);
        let creds = Self {
            access_key_id: format!("LOCAL{}", random(12)?.to_uppercase().replace(['-', '_'], "X")),
            secret_access_key: random(30)?,
        };
        std::fs::write(&path, serde_json::to_vec_pretty(&creds).map_err(std::io::Error::other)?)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(creds)
    }
}
