//! Object storage for backups and media: one bucket through aws-sdk-s3. The local stack serves
//! the S3 API itself (SigV4 and all), so the same code runs in AWS and locally. An
//! organization's objects are reached with its tenant session's credentials
//! ([`Objects::with_credentials`]), which IAM confines to its prefixes.

use std::time::Duration;

pub use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use thiserror::Error;

/// Why an object operation failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ObjectError {
    /// No object under that key.
    #[error("no object {0}")]
    NotFound(String),
    /// A setting is missing or invalid.
    #[error("object storage is not configured: {0}")]
    Config(String),
    /// S3 failed: an outage, not the caller's fault.
    #[error("object storage failed: {0}")]
    Unavailable(String),
}

fn failed<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static, R>(e: SdkError<E, R>) -> ObjectError
where
    R: std::fmt::Debug,
{
    ObjectError::Unavailable(DisplayErrorContext(e).to_string())
}

/// One bucket.
#[derive(Debug, Clone)]
pub struct Objects {
    client: aws_sdk_s3::Client,
    bucket: String,
}

/// An object being read, chunk by chunk.
pub struct Reader {
    body: ByteStream,
    /// Its size in bytes.
    pub size: u64,
}

impl Reader {
    /// The next chunk, `None` at the end.
    pub async fn next(&mut self) -> Result<Option<bytes::Bytes>, ObjectError> {
        self.body.try_next().await.map_err(|e| ObjectError::Unavailable(e.to_string()))
    }
}

impl Objects {
    /// A bucket through a client.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    /// In AWS: the default configuration and the bucket named by the environment variable `var`.
    pub async fn from_env(var: &str) -> Result<Self, ObjectError> {
        let bucket = std::env::var(var)
            .ok()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| ObjectError::Config(format!("{var} is not set")))?;
        let config = podcastflow_resilience::sdk_config().await;
        Ok(Self::new(aws_sdk_s3::Client::new(&config), bucket))
    }

    /// The local stack's S3 at `endpoint` (path-style) with its access key.
    pub fn local(endpoint: &str, region: &str, access_key_id: &str, secret: &str, bucket: &str) -> Self {
        let creds = Credentials::new(access_key_id, secret, None, None, "podcastflow-local");
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(endpoint)
            .force_path_style(true)
            .credentials_provider(creds)
            .build();
        Self::new(aws_sdk_s3::Client::from_conf(config), bucket)
    }

    /// The same bucket reached with other credentials (an organization's tenant session, whose
    /// policy confines it to that organization's prefixes), sharing this client's connections.
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        let config = self.client.config().to_builder().credentials_provider(credentials).build();
        Self { client: aws_sdk_s3::Client::from_conf(config), bucket: self.bucket.clone() }
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Writes a small object whole.
    pub async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), ObjectError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// Starts a multipart upload; returns its id.
    pub async fn start_upload(&self, key: &str, content_type: &str) -> Result<String, ObjectError> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(failed)?;
        out.upload_id.ok_or_else(|| ObjectError::Unavailable("no upload id".into()))
    }

    /// Uploads part `number` (from 1; every part but the last at least 5 MiB); returns its ETag.
    pub async fn upload_part(
        &self,
        key: &str,
        upload: &str,
        number: i32,
        bytes: Vec<u8>,
    ) -> Result<String, ObjectError> {
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload)
            .part_number(number)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(failed)?;
        out.e_tag.ok_or_else(|| ObjectError::Unavailable("no part ETag".into()))
    }

    /// Completes a multipart upload from its parts (number, ETag) in order.
    pub async fn complete_upload(&self, key: &str, upload: &str, parts: &[(i32, String)]) -> Result<(), ObjectError> {
        let parts = parts.iter().map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(e).build()).collect();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// Abandons a multipart upload (its parts are deleted).
    pub async fn abort_upload(&self, key: &str, upload: &str) -> Result<(), ObjectError> {
        self.client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload)
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// Opens an object for reading.
    pub async fn get(&self, key: &str) -> Result<Reader, ObjectError> {
        match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => {
                Ok(Reader { size: out.content_length.and_then(|l| u64::try_from(l).ok()).unwrap_or(0), body: out.body })
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                Err(ObjectError::NotFound(key.into()))
            }
            Err(e) => Err(failed(e)),
        }
    }

    /// An object's size, `None` when it does not exist.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, ObjectError> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => Ok(Some(out.content_length.and_then(|l| u64::try_from(l).ok()).unwrap_or(0))),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    /// Reads a small object whole.
    pub async fn read_all(&self, key: &str) -> Result<Vec<u8>, ObjectError> {
        let mut r = self.get(key).await?;
        let mut out = Vec::with_capacity(usize::try_from(r.size).unwrap_or(0));
        while let Some(chunk) = r.next().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Deletes an object (deleting a missing one succeeds).
    pub async fn delete(&self, key: &str) -> Result<(), ObjectError> {
        self.client.delete_object().bucket(&self.bucket).key(key).send().await.map_err(failed)?;
        Ok(())
    }

    /// A URL that GETs the object for `expires`.
    pub async fn presign_get(&self, key: &str, expires: Duration) -> Result<String, ObjectError> {
        let config = PresigningConfig::expires_in(expires).map_err(|e| ObjectError::Config(e.to_string()))?;
        let req = self.client.get_object().bucket(&self.bucket).key(key).presigned(config).await.map_err(failed)?;
        Ok(req.uri().to_owned())
    }

    /// A URL that PUTs an object of `content_type` and exactly `size` bytes for `expires`.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires: Duration,
    ) -> Result<String, ObjectError> {
        let config = PresigningConfig::expires_in(expires).map_err(|e| ObjectError::Config(e.to_string()))?;
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(i64::try_from(size).unwrap_or(i64::MAX))
            .presigned(config)
            .await
            .map_err(failed)?;
        Ok(req.uri().to_owned())
    }
}
