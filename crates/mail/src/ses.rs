//! The AWS adapter of the mail port: Amazon SES v2 `SendEmail`, plain text with its attachments,
//! from the verified sender in `MAIL_FROM`.

use async_trait::async_trait;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Attachment, Body, Content, Destination, EmailContent, Message as SesMessage};

use crate::{Mail, MailError, Message};

/// Sends through SES v2.
#[derive(Debug, Clone)]
pub struct SesMail {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesMail {
    /// An adapter on an SES client, sending as `from` (an identity verified in SES).
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        Self { client, from: from.into() }
    }

    /// Built from the Lambda environment: the default AWS configuration and `MAIL_FROM`.
    pub async fn from_env() -> Result<Self, MailError> {
        let from = std::env::var("MAIL_FROM")
            .ok()
            .filter(|f| !f.is_empty())
            .ok_or_else(|| MailError("MAIL_FROM is not set".into()))?;
        let config = podcastflow_resilience::sdk_config().await;
        Ok(Self::new(aws_sdk_sesv2::Client::new(&config), from))
    }
}

fn text(data: &str) -> Result<Content, MailError> {
    Content::builder().data(data).charset("UTF-8").build().map_err(|e| MailError(e.to_string()))
}

#[async_trait]
impl Mail for SesMail {
    async fn send(&self, m: &Message) -> Result<(), MailError> {
        let mut message =
            SesMessage::builder().subject(text(&m.subject)?).body(Body::builder().text(text(&m.body)?).build());
        for a in &m.attachments {
            let file = Attachment::builder()
                .file_name(&a.file_name)
                .content_type(&a.content_type)
                .raw_content(Blob::new(a.bytes.clone()))
                .build()
                .map_err(|e| MailError(e.to_string()))?;
            message = message.attachments(file);
        }
        let message = message.build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&m.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| MailError(format!("{}", aws_sdk_sesv2::error::DisplayErrorContext(e))))?;
        Ok(())
    }
}
