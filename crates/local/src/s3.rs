//! The in-process S3 endpoint: s3s over a directory of the data dir (s3s-fs), SigV4 enforced with
//! the data dir's [`LocalCredentials`], so aws-sdk-s3 and its presigned URLs work against it.

use std::path::{Path, PathBuf};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::credentials::LocalCredentials;

/// Creates the buckets (directories of the S3 root) that do not exist yet.
pub fn create_buckets(root: &Path, buckets: &[String]) -> std::io::Result<()> {
    for b in buckets {
        std::fs::create_dir_all(root.join(b))?;
    }
    Ok(())
}

/// Serves S3 on `listener` until `stop` turns true, storing objects under `root`.
pub fn serve(
    root: PathBuf,
    creds: &LocalCredentials,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let fs = s3s_fs::FileSystem::new(&root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let service = {
        let mut b = S3ServiceBuilder::new(fs);
        b.set_auth(SimpleAuth::from_single(creds.access_key_id.clone(), creds.secret_access_key.clone()));
        b.build()
    };
    Ok(tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        let graceful = GracefulShutdown::new();
        loop {
            let socket = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((socket, _)) => socket,
                    Err(e) => {
                        tracing::warn!(error = %e, "S3 accept failed");
                        continue;
                    }
                },
                _ = stop.changed() => break,
            };
            // Small requests (presigned GETs, HEADs) must not wait for Nagle's algorithm.
            let _ = socket.set_nodelay(true);
            let conn = http.serve_connection(TokioIo::new(socket), service.clone());
            let conn = graceful.watch(conn.into_owned());
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
        }
    }))
}
