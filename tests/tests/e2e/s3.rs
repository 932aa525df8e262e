//! The local S3 endpoint: buckets from the template, SigV4 enforced, presigned URLs from
//! aws-sdk-s3 usable by any HTTP client.

use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, RequestChecksumCalculation};
use aws_sdk_s3::presigning::PresigningConfig;
use podcastflow_tests::stack::TestStack;

fn client(s: &TestStack, secret: Option<&str>) -> aws_sdk_s3::Client {
    let c = &s.stack.credentials;
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&s.stack.endpoints.s3)
        .force_path_style(true)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .credentials_provider(Credentials::new(
            &c.access_key_id,
            secret.unwrap_or(&c.secret_access_key),
            None,
            None,
            "local-stack",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

fn bucket(s: &TestStack, logical_id: &str) -> String {
    s.stack.buckets.iter().find(|(id, _)| id == logical_id).map(|(_, n)| n.clone()).expect("bucket in the template")
}

#[tokio::test]
async fn presigned_put_then_get_round_trips_and_tampering_is_refused() {
    let s = TestStack::start().await;
    let media = bucket(&s, "MediaBucket");
    let sdk = client(&s, None);
    let key = "org-1/episodes/e-1/recording.mp3";
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let presign = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();

    let put =
        sdk.put_object().bucket(&media).key(key).content_type("audio/mpeg").presigned(presign.clone()).await.unwrap();
    let mut req = s.http.put(put.uri()).body(bytes.clone());
    for (name, value) in put.headers() {
        req = req.header(name, value);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());

    let get = sdk.get_object().bucket(&media).key(key).presigned(presign.clone()).await.unwrap();
    let r = s.http.get(get.uri()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);

    // Another key under the same signature, a forged signature, or no signature at all: refused.
    let other_key = get.uri().replace("recording.mp3", "other.mp3");
    let sig_at = get.uri().find("X-Amz-Signature=").expect("signed") + "X-Amz-Signature=".len();
    let mut forged = get.uri().to_owned();
    let flipped = if &forged[sig_at..=sig_at] == "a" { "b" } else { "a" };
    forged.replace_range(sig_at..=sig_at, flipped);
    let unsigned = format!("{}/{media}/{key}", s.stack.endpoints.s3);
    for url in [other_key, forged, unsigned] {
        let r = s.http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 403, "{url}");
    }
    s.stop().await;
}

#[tokio::test]
async fn the_sdk_works_against_the_endpoint_and_wrong_secrets_do_not() {
    let s = TestStack::start().await;
    let backups = bucket(&s, "BackupsBucket");
    let sdk = client(&s, None);
    let buckets = sdk.list_buckets().send().await.unwrap();
    let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert!(names.contains(&backups.as_str()) && names.contains(&bucket(&s, "MediaBucket").as_str()), "{names:?}");
    sdk.put_object()
        .bucket(&backups)
        .key("backups/o/b/data.jsonl.gz")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();
    let listed = sdk.list_objects_v2().bucket(&backups).prefix("backups/o/").send().await.unwrap();
    assert_eq!(listed.contents().len(), 1);
    let got = sdk.get_object().bucket(&backups).key("backups/o/b/data.jsonl.gz").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello");

    let wrong = client(&s, Some("not-the-secret"));
    assert!(wrong.list_objects_v2().bucket(&backups).send().await.is_err());
    s.stop().await;
}
